// The simulator's pending events (schedule.ts): a binary heap ordered by (time, item).

/** Pending events by (time, item), in typed arrays: no allocation per push or pop. */
export class EventQueue {
  private readonly time: Float64Array;
  private readonly item: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.time = new Float64Array(capacity);
    this.item = new Int32Array(capacity);
  }

  topTime(): number {
    return this.time[0];
  }

  topItem(): number {
    return this.item[0];
  }

  push(t: number, x: number): void {
    const { time, item } = this;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (time[p] < t || (time[p] === t && item[p] <= x)) break;
      time[i] = time[p];
      item[i] = item[p];
      i = p;
    }
    time[i] = t;
    item[i] = x;
  }

  pop(): void {
    const { time, item } = this;
    const n = --this.size;
    const t = time[n];
    const x = item[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (time[r] < time[l] || (time[r] === time[l] && item[r] < item[l])) ? r : l;
      if (time[c] > t || (time[c] === t && item[c] >= x)) break;
      time[i] = time[c];
      item[i] = item[c];
      i = c;
    }
    time[i] = t;
    item[i] = x;
  }
}
