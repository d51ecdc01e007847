// Name-keyed plain objects (presets, device maps, tensor tables) hold keys that come from input —
// a node named "__proto__", `--comm constructor`. Looking such a key up with `obj[key]` finds
// Object.prototype's members, and assigning `obj["__proto__"] = v` replaces the prototype instead
// of adding an entry. These two helpers use own keys only.

/** obj[key] when it is an own entry, else undefined (never an inherited member). */
export function ownValue<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Adds or replaces an own entry, also for the keys "__proto__", "constructor", … */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}
