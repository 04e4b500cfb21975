/**
 * Keyed primitives of the linkage encodings: purpose keys, 8-byte keyed tokens, and the bit
 * positions of keyed Bloom filters.
 *
 * Keys follow design.md "Keys": HKDF-SHA256 (RFC 5869) of the 32-byte master key, empty salt,
 * 32 bytes, info `koppel/v1/<purpose>`. The HMAC state is keyed once per purpose and cloned per
 * message (RFC 2104's inner/outer pads are the costly part; noble's `_cloneInto` reuses them).
 * Encoding runs once per distinct value, not per row, so this is not a hot path.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac, type _HMAC } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

const utf8 = new TextEncoder();

/** HKDF-SHA256(master, salt = empty, info = `koppel/v1/<purpose>`, 32 bytes). */
export function derivePurposeKeyLocal(master: Uint8Array, purpose: string): Uint8Array {
  return hkdf(sha256, master, new Uint8Array(0), utf8.encode(`koppel/v1/${purpose}`), 32);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Hmac = _HMAC<any>;

/** A pre-keyed HMAC-SHA256 computing many short messages. */
export class KeyedHasher {
  private readonly base: Hmac;
  private scratch: Hmac | undefined;
  private readonly digest = new Uint8Array(32);
  private readonly words = new Uint32Array(this.digest.buffer);

  constructor(key: Uint8Array) {
    this.base = hmac.create(sha256, key) as Hmac;
  }

  /** HMAC(key, tag byte || UTF-8 text) into the 32-byte `digest`; returns it (reused buffer). */
  mac(tag: number, text: string): Uint8Array {
    const h = this.base._cloneInto(this.scratch);
    this.scratch = h;
    h.update(Uint8Array.of(tag)).update(utf8.encode(text)).digestInto(this.digest);
    // digestInto marks the scratch finished; clone resets it next time.
    return this.digest;
  }

  /** HMAC(key, bytes) into `out` at `offset` (32 bytes): the national id pseudonym. */
  macBytesInto(bytes: Uint8Array, out: Uint8Array, offset: number): void {
    const h = this.base._cloneInto(this.scratch);
    this.scratch = h;
    h.update(bytes).digestInto(this.digest);
    out.set(this.digest, offset);
  }

  /** The first 8 bytes of HMAC(key, tag || text) as two little-endian Uint32 words into `out[at..at+1]`. */
  tokenInto(tag: number, text: string, out: Uint32Array, at: number): void {
    this.mac(tag, text);
    out[at] = this.words[0];
    out[at + 1] = this.words[1];
  }
}

/**
 * Bit positions of keyed Bloom filters: each bigram's positions come from one HMAC of the bigram
 * under the encoding key, split into independent 16-bit positions (design.md: not double hashing,
 * which has published attacks). Positions are cached per bigram; the alphabet is small.
 */
export class BloomHasher {
  private readonly hasher: KeyedHasher;
  private readonly cache = new Map<string, Uint16Array>();
  readonly bits: number;

  constructor(key: Uint8Array, readonly words: number, readonly k: number) {
    if (k > 16) throw new Error('at most 16 positions per bigram (one HMAC output)');
    this.hasher = new KeyedHasher(key);
    this.bits = words * 32;
  }

  positions(bigram: string): Uint16Array {
    let p = this.cache.get(bigram);
    if (p === undefined) {
      const digest = this.hasher.mac(0xb1, bigram);
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

export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
