// A binary min-heap of node indices ordered by (key, tie). Used for ready sets: the placers pop the
// ready op with the smallest lower bound on its start, ties broken by topological rank so that
// the same input always gives the same plan.

export class KeyedHeap {
  private keys: number[] = [];
  private ties: number[] = [];
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: number, key: number, tie: number): void {
    const { keys, ties, items } = this;
    let i = items.length;
    keys.push(key);
    ties.push(tie);
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p] < key || (keys[p] === key && ties[p] <= tie)) break;
      keys[i] = keys[p];
      ties[i] = ties[p];
      items[i] = items[p];
      i = p;
    }
    keys[i] = key;
    ties[i] = tie;
    items[i] = item;
  }

  peekItem(): number {
    return this.items[0];
  }

  peekKey(): number {
    return this.keys[0];
  }

  peekTie(): number {
    return this.ties[0];
  }

  /** Removes the top; returns [item, key]. Caller checks size first. */
  pop(): [number, number] {
    const { keys, ties, items } = this;
    const topItem = items[0];
    const topKey = keys[0];
    const lastKey = keys.pop()!;
    const lastTie = ties.pop()!;
    const lastItem = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (keys[r] < keys[l] || (keys[r] === keys[l] && ties[r] < ties[l]))) c = r;
        if (keys[c] > lastKey || (keys[c] === lastKey && ties[c] >= lastTie)) break;
        keys[i] = keys[c];
        ties[i] = ties[c];
        items[i] = items[c];
        i = c;
      }
      keys[i] = lastKey;
      ties[i] = lastTie;
      items[i] = lastItem;
    }
    return [topItem, topKey];
  }
}
