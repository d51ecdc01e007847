// Per-device memory over time for the scheduler: a sorted list of allocation/free events with the
// running total after each. Events at equal times are ordered frees first, so the state after the
// last event of a timestamp is the largest one at that instant. Commits happen in nearly
// increasing time, so inserts and scans touch only the tail of the list.

export class MemoryLine {
  times: number[] = [];
  /** 0 = free, 1 = alloc (frees sort first at equal times). */
  kinds: number[] = [];
  cum: number[] = [];
  /** Bytes held for the whole step (persistent weights, reserved groups). */
  persistent = 0;
  /** Largest running total seen (an upper bound of the current maximum over all time). */
  maxDynamic = 0;

  /** Index of the first event strictly after (time, kind). */
  private upper(time: number, kind: number): number {
    const { times, kinds } = this;
    let lo = 0;
    let hi = times.length;
    // fast path: appending at the end
    if (hi === 0 || times[hi - 1] < time || (times[hi - 1] === time && kinds[hi - 1] <= kind)) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] < time || (times[mid] === time && kinds[mid] <= kind)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(time: number, delta: number): void {
    if (delta === 0) return;
    const kind = delta < 0 ? 0 : 1;
    const pos = this.upper(time, kind);
    const before = pos > 0 ? this.cum[pos - 1] : 0;
    if (pos === this.times.length) {
      this.times.push(time);
      this.kinds.push(kind);
      this.cum.push(before + delta);
    } else {
      this.times.splice(pos, 0, time);
      this.kinds.splice(pos, 0, kind);
      this.cum.splice(pos, 0, before + delta);
      for (let j = pos + 1; j < this.cum.length; j++) this.cum[j] += delta;
    }
    if (delta > 0) {
      for (let j = pos; j < this.cum.length; j++) if (this.cum[j] > this.maxDynamic) this.maxDynamic = this.cum[j];
    }
  }

  /** Largest dynamic usage at any time ≥ `time` given the events known so far. */
  maxFrom(time: number): number {
    const pos = this.upper(time, 1);
    let m = pos > 0 ? this.cum[pos - 1] : 0;
    for (let j = pos; j < this.cum.length; j++) if (this.cum[j] > m) m = this.cum[j];
    return m;
  }

  /**
   * Earliest time ≥ `from` after which `need` more bytes fit under `room` (dynamic room) for the
   * rest of the known timeline; Infinity when even the final state has no room.
   */
  earliestFit(from: number, need: number, room: number): number {
    if (this.maxFrom(from) + need <= room) return from;
    const { cum, times } = this;
    const last = cum.length - 1;
    if (last < 0 || cum[last] + need > room) return Infinity;
    let j = last;
    while (j > 0 && cum[j - 1] + need <= room && times[j - 1] > from) j--;
    return times[j];
  }
}
