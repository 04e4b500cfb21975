/**
 * A hash set of key tuples with some variables masked to null: the tuple of record `row` with
 * every variable whose bit is set in `mask` read as null (-1). Local suppression asks "would
 * this record, with these values suppressed, fall into that group?" without building the
 * suppressed tuple. Open addressing with linear probing over typed arrays; an entry is a
 * (row, mask) pair standing for its tuple, plus a count the caller may use.
 */
export class TupleTable {
  private slots: Int32Array;
  private rows: Int32Array;
  private masks: Int32Array;
  private hashes: Int32Array;
  /** Per entry, a counter for the caller. */
  counts: Int32Array;
  size = 0;

  constructor(private readonly codes: readonly Int32Array[], expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.rows = new Int32Array(capacity >>> 1);
    this.masks = new Int32Array(capacity >>> 1);
    this.hashes = new Int32Array(capacity >>> 1);
    this.counts = new Int32Array(capacity >>> 1);
  }

  private hash(row: number, mask: number): number {
    let h = 0x811c9dc5 | 0;
    const codes = this.codes;
    for (let v = 0; v < codes.length; v++) {
      const c = (mask >>> v) & 1 ? -1 : codes[v][row];
      h = Math.imul(h ^ (c + 1), 0x01000193);
      h ^= h >>> 15;
    }
    return h;
  }

  private same(id: number, row: number, mask: number): boolean {
    const r = this.rows[id];
    const m = this.masks[id];
    const codes = this.codes;
    for (let v = 0; v < codes.length; v++) {
      const a = (mask >>> v) & 1 ? -1 : codes[v][row];
      const b = (m >>> v) & 1 ? -1 : codes[v][r];
      if (a !== b) return false;
    }
    return true;
  }

  /** The entry of this tuple, or -1. */
  find(row: number, mask: number): number {
    const h = this.hash(row, mask);
    const slotMask = this.slots.length - 1;
    for (let s = h & slotMask; ; s = (s + 1) & slotMask) {
      const id = this.slots[s];
      if (id < 0) return -1;
      if (this.hashes[id] === h && this.same(id, row, mask)) return id;
    }
  }

  /** The entry of this tuple, inserted if new. */
  add(row: number, mask: number): number {
    const h = this.hash(row, mask);
    const slotMask = this.slots.length - 1;
    let s = h & slotMask;
    for (; ; s = (s + 1) & slotMask) {
      const id = this.slots[s];
      if (id < 0) break;
      if (this.hashes[id] === h && this.same(id, row, mask)) return id;
    }
    if (this.size === this.rows.length) {
      this.grow();
      return this.add(row, mask);
    }
    const id = this.size++;
    this.rows[id] = row;
    this.masks[id] = mask;
    this.hashes[id] = h;
    this.slots[s] = id;
    return id;
  }

  private grow(): void {
    const capacity = this.slots.length * 2;
    const copy = (a: Int32Array): Int32Array => {
      const b = new Int32Array(capacity >>> 1);
      b.set(a);
      return b;
    };
    this.rows = copy(this.rows);
    this.masks = copy(this.masks);
    this.hashes = copy(this.hashes);
    this.counts = copy(this.counts);
    this.slots = new Int32Array(capacity).fill(-1);
    for (let id = 0; id < this.size; id++) {
      let s = this.hashes[id] & (capacity - 1);
      while (this.slots[s] >= 0) s = (s + 1) & (capacity - 1);
      this.slots[s] = id;
    }
  }
}
