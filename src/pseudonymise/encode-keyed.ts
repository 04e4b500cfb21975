/**
 * Keyed primitives of the linkage encodings: batches of 8-byte keyed tokens, and the bit
 * positions of keyed Bloom filters. Both run on the column HMAC kernel (`hmac-batch.ts`: the
 * key's inner and outer states computed once, two compressions per short message).
 */
import { hmacBytes, hmacVarWidth, prepareHmacKey, type HmacSha256Key } from './hmac-batch.js';

const utf8 = new TextEncoder();

/**
 * Collects messages `tag byte || UTF-8 text`, then HMACs them all at once and writes the first
 * 8 bytes of each digest as two little-endian Uint32 words at the message's target position.
 */
export class TokenBatch {
  private readonly key: HmacSha256Key;
  private bytes = new Uint8Array(4096);
  private offsets = new Int32Array(257);
  private targets = new Int32Array(256);
  private count = 0;
  private used = 0;

  constructor(key: Uint8Array | HmacSha256Key) {
    this.key = prepareHmacKey(key);
  }

  /** Queues HMAC(key, tag || text), whose token goes to `out[target], out[target + 1]` on flush. */
  add(tag: number, text: string, target: number): void {
    const need = this.used + 1 + text.length * 3;
    if (need > this.bytes.length) {
      const b = new Uint8Array(Math.max(need, this.bytes.length * 2)); b.set(this.bytes); this.bytes = b;
    }
    if (this.count + 1 >= this.targets.length) {
      const t = new Int32Array(this.targets.length * 2); t.set(this.targets); this.targets = t;
      const o = new Int32Array(this.offsets.length * 2); o.set(this.offsets); this.offsets = o;
    }
    this.bytes[this.used++] = tag;
    this.used += utf8.encodeInto(text, this.bytes.subarray(this.used)).written;
    this.targets[this.count++] = target;
    this.offsets[this.count] = this.used;
  }

  /** Computes every queued token into `out` and empties the batch. */
  flushInto(out: Uint32Array): void {
    const n = this.count;
    if (n === 0) return;
    const digests = new Uint8Array(n * 32);
    hmacVarWidth(this.key, this.bytes, this.offsets, n, digests);
    const view = new DataView(digests.buffer);
    for (let i = 0; i < n; i++) {
      out[this.targets[i]] = view.getUint32(i * 32, true);
      out[this.targets[i] + 1] = view.getUint32(i * 32 + 4, true);
    }
    this.count = 0;
    this.used = 0;
  }
}

/**
 * Bit positions of keyed Bloom filters: each bigram's positions come from one HMAC of the bigram
 * under the encoding key, split into independent 16-bit positions (design.md: not double hashing,
 * which has published attacks). Positions are cached per bigram; the alphabet is small.
 */
export class BloomHasher {
  private readonly key: HmacSha256Key;
  private readonly cache = new Map<string, Uint16Array>();
  readonly bits: number;

  constructor(key: Uint8Array | HmacSha256Key, readonly words: number, readonly k: number) {
    if (k > 16) throw new Error('at most 16 positions per bigram (one HMAC output)');
    if ((words & (words - 1)) !== 0) throw new Error('Bloom filter words must be a power of two');
    this.key = prepareHmacKey(key);
    this.bits = words * 32;
  }

  positions(bigram: string): Uint16Array {
    let p = this.cache.get(bigram);
    if (p === undefined) {
      const message = new Uint8Array(1 + bigram.length * 3);
      message[0] = 0xb1; // the Bloom tag: never equal to a token's tag byte
      const length = 1 + utf8.encodeInto(bigram, message.subarray(1)).written;
      const digest = hmacBytes(this.key, message.subarray(0, length));
      p = new Uint16Array(this.k);
      const mask = this.bits - 1; // bits is a power of two: masking keeps positions uniform
      for (let i = 0; i < this.k; i++) p[i] = ((digest[2 * i] << 8) | digest[2 * i + 1]) & mask;
      this.cache.set(bigram, p);
    }
    return p;
  }

  /** Sets the bigrams of `_text_` into `out[at .. at+words]`; returns the popcount. */
  encodeInto(text: string, out: Uint32Array, at: number): number {
    const padded = `_${text}_`;
    for (let i = 0; i + 1 < padded.length; i++) {
      const p = this.positions(padded.slice(i, i + 2));
      for (let j = 0; j < p.length; j++) out[at + (p[j] >>> 5)] |= 1 << (p[j] & 31);
    }
    let pop = 0;
    for (let w = 0; w < this.words; w++) pop += popcount32(out[at + w]);
    return pop;
  }
}

/**
 * The filters of `n` records, `fromWords` each, as filters of `toWords` (a smaller power of two).
 * A bit position is `hash & (bits - 1)`, so the position a bigram takes in the smaller filter is
 * its position in the larger one with the top bits cleared: OR-ing the larger filter's
 * `toWords`-word blocks gives, bit for bit, what `BloomHasher` with `toWords` writes (same key
 * and `k`). This is how filters stored at an older, larger size are compared with today's.
 */
export function foldBloom(bloom: Uint32Array, fromWords: number, toWords: number, n: number): Uint32Array {
  if (fromWords === toWords) return bloom;
  if (toWords > fromWords || fromWords % toWords !== 0 || (toWords & (toWords - 1)) !== 0) {
    throw new Error(`a Bloom filter of ${fromWords} words cannot be folded into ${toWords}`);
  }
  const out = new Uint32Array(n * toWords);
  for (let r = 0; r < n; r++) {
    const from = r * fromWords; const to = r * toWords;
    for (let w = 0; w < fromWords; w++) out[to + (w & (toWords - 1))] |= bloom[from + w];
  }
  return out;
}

export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
