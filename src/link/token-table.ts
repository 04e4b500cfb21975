/**
 * Dense ids for 64-bit keyed tokens: an open-addressing hash table over two Uint32 words per
 * key, so equality of tokens becomes equality of small integers (blocking groups, term
 * frequencies and exact comparisons all run on Int32Arrays afterwards).
 *
 * ```
 * slots   Int32Array(capacity)   -1 empty, else the dense id stored there
 * keyLo   Uint32Array(ids)       key words by id (grown by doubling)
 * keyHi   Uint32Array(ids)
 * counts  Int32Array(ids)        how many times each id was inserted
 * ```
 * Linear probing; the capacity stays a power of two at most half full.
 */
export class TokenTable {
  private slots: Int32Array;
  private mask: number;
  private keyLo: Uint32Array;
  private keyHi: Uint32Array;
  private counts: Int32Array;
  size = 0;

  constructor(expected = 1024) {
    let capacity = 16;
    while (capacity < expected * 2) capacity <<= 1;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    this.keyLo = new Uint32Array(Math.max(16, expected));
    this.keyHi = new Uint32Array(Math.max(16, expected));
    this.counts = new Int32Array(Math.max(16, expected));
  }

  /** The id of (lo, hi), inserting it when new; counts the insertion. */
  add(lo: number, hi: number): number {
    const id = this.idOf(lo, hi, true);
    this.counts[id]++;
    return id;
  }

  /** The id of (lo, hi), or -1 when absent (no insertion). */
  find(lo: number, hi: number): number {
    return this.idOf(lo, hi, false);
  }

  /** Occurrence counts by id (a view; valid until the next insertion). */
  countsView(): Int32Array {
    return this.counts.subarray(0, this.size);
  }

  private idOf(lo: number, hi: number, insert: boolean): number {
    // Tokens are HMAC outputs, already uniform; mixing the two words is enough. Keys that are
    // dense ids (combined blocking keys) are mixed by the multiply.
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & this.mask;
    const slots = this.slots;
    for (;;) {
      const id = slots[i];
      if (id < 0) break;
      if (this.keyLo[id] === lo >>> 0 && this.keyHi[id] === hi >>> 0) return id;
      i = (i + 1) & this.mask;
    }
    if (!insert) return -1;
    const id = this.size++;
    if (id >= this.keyLo.length) this.growKeys();
    this.keyLo[id] = lo;
    this.keyHi[id] = hi;
    slots[i] = id;
    if (this.size * 2 > this.mask + 1) this.rehash();
    return id;
  }

  private growKeys(): void {
    const n = this.keyLo.length * 2;
    const lo = new Uint32Array(n); lo.set(this.keyLo); this.keyLo = lo;
    const hi = new Uint32Array(n); hi.set(this.keyHi); this.keyHi = hi;
    const c = new Int32Array(n); c.set(this.counts); this.counts = c;
  }

  private rehash(): void {
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(capacity).fill(-1);
    const mask = capacity - 1;
    for (let id = 0; id < this.size; id++) {
      let h = Math.imul(this.keyLo[id] ^ Math.imul(this.keyHi[id], 0x9e3779b1), 0x85ebca6b);
      h ^= h >>> 15;
      let i = h & mask;
      while (slots[i] >= 0) i = (i + 1) & mask;
      slots[i] = id;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
