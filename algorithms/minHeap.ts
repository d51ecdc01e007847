// A binary min-heap of numbers (node indices): ready sets in stable topological sorts, where the
// smallest index goes first so the same input always gives the same order.
export class MinHeap {
  private readonly a: number[] = [];

  constructor(init: Iterable<number> = []) {
    for (const x of init) this.push(x);
  }

  get size(): number {
    return this.a.length;
  }

  /** The smallest element, without removing it; the caller checks `size` first. */
  peek(): number {
    return this.a[0];
  }

  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= x) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }

  /** Removes and returns the smallest element; the caller checks `size` first. */
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r] < a[l] ? r : l;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
