// Parsing and printing sizes and times for options and reports.
import { OpplaceError } from './errors';
import { ownValue } from './records';
import { quoteInput } from './text';
import { MAX_BYTES } from './graph';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  '': 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** '16GiB' → 17179869184; '512MiB'; '1TiB'; '1.5GB'; a plain number is bytes. */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new OpplaceError(`invalid ${what} "${quoteInput(text)}" (use e.g. 16GiB, 512MiB, 1TiB or a number of bytes)`);
  const unit = ownValue(SIZE_UNITS, m[2].toLowerCase());
  if (unit === undefined)
    throw new OpplaceError(`invalid ${what} "${quoteInput(text)}": unknown unit "${quoteInput(m[2])}" (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)`);
  const v = Number(m[1]) * unit;
  if (!Number.isFinite(v) || v < 0) throw new OpplaceError(`invalid ${what} "${quoteInput(text)}"`);
  if (v > MAX_BYTES) throw new OpplaceError(`invalid ${what} "${quoteInput(text)}": at most 2^60 bytes (1 EiB)`);
  return Math.round(v);
}

const DECIMAL_UNITS = new Set(['kb', 'mb', 'gb', 'tb']);
const LETTER_UNITS = new Set(['k', 'm', 'g', 't']);

/**
 * What a size with a decimal (GB) or one-letter (G) unit was read as, in the binary unit every
 * output prints: `16gb` → "16gb = 16 GB (decimal) = 14.9 GiB". Null for bytes and binary units,
 * which need no note. Units are case-insensitive; GB is 10^9 bytes, GiB and G are 2^30.
 */
export function sizeUnitNote(text: string): string | null {
  const m = /^\s*([0-9.e]+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return null;
  const unit = m[2].toLowerCase();
  const bytes = parseSize(text);
  if (DECIMAL_UNITS.has(unit))
    return `${text.trim()} = ${m[1]} ${unit.toUpperCase()} (decimal) = ${formatBytes(bytes)}; write ${m[1]}${unit[0].toUpperCase()}iB for binary`;
  if (LETTER_UNITS.has(unit)) return `${text.trim()} = ${formatBytes(bytes)} (binary; write ${m[1]}${unit.toUpperCase()}B for decimal)`;
  return null;
}

/** '16GiB' or '16GiB,16GiB,8GiB,8GiB' for `devices` devices. One value applies to all. */
export function parseMemoryLimits(text: string, devices: number): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.every((p) => p.length === 0)) throw new OpplaceError('--memory needs a size, e.g. 16GiB');
  // "16GiB,,8GiB" is a typo for some list: dropping the empty entry would shift every later limit
  // to the wrong device, so it is an error, as is a stray leading or trailing comma.
  const empty = parts.findIndex((p) => p.length === 0);
  if (empty >= 0) throw new OpplaceError(`--memory "${text}": limit ${empty + 1} of ${parts.length} is empty (a stray comma?)`);
  const sizes = parts.map((p) => parseSize(p, 'memory limit'));
  if (sizes.length === 1) return Array(devices).fill(sizes[0]);
  if (sizes.length !== devices) throw new OpplaceError(`--memory lists ${sizes.length} limits but --devices is ${devices}`);
  return sizes;
}

export function formatBytes(bytes: number): string {
  return formatBytesRounded(bytes, 'nearest');
}

function formatBytesRounded(bytes: number, rounding: 'nearest' | 'up'): string {
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes / 1024;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  if (rounding === 'up') {
    const scale = 10 ** digits;
    v = Math.ceil(v * scale - 1e-9) / scale;
  }
  return `${v.toFixed(digits)} ${units[i]}`;
}

/** A memory requirement for messages: rounded up, so "fits with X" is true of the X printed. */
export function formatBytesAtLeast(bytes: number): string {
  return formatBytesRounded(bytes, 'up');
}

/** FLOPs in decimal units (inspect, the viewer): "4.79 GFLOP", "192 FLOP". */
export function formatFlops(f: number): string {
  const units: [number, string][] = [
    [1e15, 'PFLOP'],
    [1e12, 'TFLOP'],
    [1e9, 'GFLOP'],
    [1e6, 'MFLOP'],
    [1e3, 'kFLOP'],
  ];
  for (const [v, u] of units) if (f >= v) return `${(f / v).toFixed(2)} ${u}`;
  return `${f} FLOP`;
}

export function formatUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(3)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${us.toFixed(1)} µs`;
}

/** "1 segment", "2 segments": a count with its noun in the right number. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
