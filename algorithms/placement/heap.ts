// A binary min-heap of node indices ordered by (key, tie). Used for ready sets: the placers pop the
// ready op with the smallest lower bound on its start, ties broken by topological rank so that
// the same input always gives the same plan; the pipeline simulator keeps its pending events in one
// too (key = time, tie = event). Typed arrays that grow by doubling, and `pop` returns
// only the item (its key is left in `poppedKey`): the scheduling core pushes and pops a few times
// per op, and a tuple per pop was a fifth of its time in garbage collection (BERT-L12, m-ETF).

export class KeyedHeap {
  private keys: Float64Array;
  private ties: Float64Array;
  private items: Int32Array;
  private count = 0;
  /** Key of the item the last `pop` returned. */
  poppedKey = 0;

  constructor(capacity = 16) {
    this.keys = new Float64Array(capacity);
    this.ties = new Float64Array(capacity);
    this.items = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Empties the heap (its arrays are kept). */
  clear(): void {
    this.count = 0;
  }

  private grow(): void {
    const cap = this.items.length * 2;
    const keys = new Float64Array(cap);
    const ties = new Float64Array(cap);
    const items = new Int32Array(cap);
    keys.set(this.keys);
    ties.set(this.ties);
    items.set(this.items);
    this.keys = keys;
    this.ties = ties;
    this.items = items;
  }

  push(item: number, key: number, tie: number): void {
    if (this.count === this.items.length) this.grow();
    const { keys, ties, items } = this;
    let i = this.count++;
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

  /** Removes the top and returns it (its key in `poppedKey`). Caller checks size first. */
  pop(): number {
    const { keys, ties, items } = this;
    const topItem = items[0];
    this.poppedKey = keys[0];
    const n = --this.count;
    if (n > 0) {
      const lastKey = keys[n];
      const lastTie = ties[n];
      const lastItem = items[n];
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
    return topItem;
  }
}
