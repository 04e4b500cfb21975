/**
 * The keyed encodings the linkage engine works on: nothing textual, only fixed-width typed
 * arrays, so a source can be kept in an Arrow file (one FixedSizeBinary(8) column per token
 * slot, one FixedSizeBinary(4 * words) column per Bloom filter, validity from `present`) and
 * handed to the engine without any cleartext.
 *
 * Layout of one field of `n` records:
 * ```
 * present   Uint8Array(n)                 1 = value present and valid, 0 = null or invalid
 * tokens    Uint32Array(n * slots * 2)    record r, slot s -> words [(r*slots+s)*2, +1]:
 *                                         the first 8 bytes of HMAC(encode key, tag|value)
 * bloom     Uint32Array(n * words)        keyed Bloom filter of the value's bigrams
 * bloomPop  Uint16Array(n)                its popcount (for Dice without recounting)
 * ```
 * The national id field's slot 0 is the first 8 bytes of its linkage pseudonym; the full 32-byte
 * pseudonyms sit beside it for the deterministic pass.
 */
import type { FieldType } from '../model.js';

/** What each token slot of a field type holds (the order is the slot index). */
export const TOKEN_SLOTS: Readonly<Record<FieldType, readonly string[]>> = {
  national_id: ['pseudonym'],
  // `cross` is keyed under the shared `name` purpose so given name and surname can be compared
  // with each other (registers swap them).
  // `anagram` (the letters sorted) catches transposed letters, which Dice of bigrams punishes.
  given_name: ['whole', 'phonetic', 'first', 'cross', 'anagram'],
  surname: ['whole', 'phonetic', 'core', 'cross', 'anagram'],
  name: ['whole', 'phonetic', 'sorted', 'cross', 'anagram'],
  date: ['ymd', 'ydm', 'ym', 'md', 'yd'],
  sex: ['whole'],
  postcode: ['whole', 'prefix'],
  municipality: ['whole', 'prefix'],
  text: ['whole'],
  code: ['whole'],
  number: ['whole'],
};

/**
 * Bloom filter size (32-bit words) and bit positions per bigram; 0 words = no filter.
 * Given names and surnames take 8 words (256 bits; 16 before delivery format 2): a name's ~8
 * bigrams set ~90 bits, and on the Belgian benchmark at 200,000 people the 512-bit filter bought
 * F1 0.99676 against 0.99667 for 64 more bytes per record and name field (README, "Encodings").
 * Shrinking a filter keeps `k`, so an older, larger filter folds into today's (`foldBloom`).
 */
export const BLOOM_SHAPE: Readonly<Record<FieldType, { words: number; k: number }>> = {
  national_id: { words: 0, k: 0 },
  given_name: { words: 8, k: 12 },
  surname: { words: 8, k: 12 },
  name: { words: 32, k: 12 },
  date: { words: 0, k: 0 },
  sex: { words: 0, k: 0 },
  postcode: { words: 0, k: 0 },
  municipality: { words: 0, k: 0 },
  text: { words: 32, k: 10 },
  code: { words: 8, k: 8 },
  number: { words: 0, k: 0 },
};

export interface FieldQuality {
  /** Records with no value. */
  nulls: number;
  /** Records whose value did not parse (bad date, invalid national number, unknown sex code). */
  invalid: number;
}

export interface EncodedField {
  readonly name: string;
  readonly type: FieldType;
  readonly present: Uint8Array;
  readonly slots: number;
  /**
   * Not readonly: the link stage, once it has indexed them into dense ids, may drop them (left
   * empty) when its caller gives the sources up (`LinkHooks.releaseInputs`): at 35M records they
   * are 4.5 GB that nothing after the index reads.
   */
  tokens: Uint32Array;
  readonly bloomWords: number;
  readonly bloom: Uint32Array | null;
  readonly bloomPop: Uint16Array | null;
  readonly quality: FieldQuality;
}

export interface EncodedSource {
  readonly name: string;
  readonly size: number;
  /** Each person has at most one record here (design.md `unique`, default true). */
  readonly unique: boolean;
  /** Fields in the job's field order; every source has every field. */
  readonly fields: readonly EncodedField[];
  /**
   * 32-byte linkage pseudonyms (n * 32) of the national_id field, or null when the job has none
   * (or once the link stage has released them, as for `tokens`).
   */
  pseudonyms: Uint8Array | null;
}

export function slotIndex(type: FieldType, slot: string): number {
  const i = TOKEN_SLOTS[type].indexOf(slot);
  if (i < 0) throw new Error(`field type ${type} has no token slot ${slot}`);
  return i;
}
