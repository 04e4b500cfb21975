/**
 * Keyed encoding of one field of one source, per field type (design.md job-file types).
 *
 * Each distinct raw value is normalised once into its token-slot strings (see `TOKEN_SLOTS`)
 * and its Bloom text, HMACed, and the fixed-width results are scattered to the rows that hold
 * it. The slot strings never leave this function.
 */
import type { FieldType } from '../model.js';
import {
  BLOOM_SHAPE, TOKEN_SLOTS, type EncodedField, type FieldQuality,
} from './encoded-source.js';
import type { Data, Utf8 } from 'apache-arrow';
import { Utf8Dictionary, type TextDictionary } from './encode-dictionary.js';
import { BloomHasher, TokenBatch } from './encode-keyed.js';
import { hmacFixedWidth } from './hmac-batch.js';
import {
  municipalityPrefix, normaliseCode, normaliseMunicipality, normaliseNumber, normalisePostcode,
  normaliseSex, postcodePrefix,
} from './normalise-codes.js';
// One INSZ validator and one date parser for uploads and `koppel link` alike.
import { normaliseInsz } from '../ingest/insz.js';
import { compileDateFormat, parseDateText, type DateFormat } from '../ingest/date-format.js';
import {
  firstWord, joinWords, normaliseText, phoneticKey, surnameCore,
} from './normalise-text.js';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Date format for `date` fields (`YYYY-MM-DD`, ...). */
  readonly format?: string;
}

/** Purpose keys, already derived: `encode(type)` for `encode:<type>`, `nationalId` for `link:national_id`. */
export interface EncodingKeys {
  encode(type: FieldType): Uint8Array;
  readonly nationalId: Uint8Array;
}

export interface EncodedFieldResult {
  readonly field: EncodedField;
  /** n * 32 linkage pseudonyms for a national_id field, else null. */
  readonly pseudonyms: Uint8Array | null;
}

/** Tag bytes: slot i is hashed with tag i + 1, except where two slots must be comparable. */
const CROSS_TAG = 0x20;

interface Canonical {
  /** One string per token slot ('' = slot empty for this value). */
  slots: string[];
  /** Text whose bigrams go into the Bloom filter. */
  bloom: string;
}

/** Normalised slot strings; null = present but invalid; undefined = blank. */
function canonicalise(type: FieldType, raw: string, dateFormat: DateFormat | null): Canonical | null | undefined {
  switch (type) {
    case 'given_name': case 'surname': case 'name': {
      const text = normaliseText(raw);
      if (text === '') return undefined;
      const joined = joinWords(text);
      const third = type === 'given_name' ? firstWord(text) : type === 'surname' ? surnameCore(text) : text.split(' ').sort().join('');
      return { slots: [joined, phoneticKey(joined), third, joined, [...joined].sort().join('')], bloom: joined };
    }
    case 'date': {
      const ymd = parseDateText(raw, dateFormat!);
      if (ymd <= 0) return null;
      const day = ymd % 100;
      const month = ((ymd / 100) | 0) % 100;
      const y = String((ymd / 10000) | 0);
      const m = String(month).padStart(2, '0');
      const d = String(day).padStart(2, '0');
      // ydm is hashed under the ymd tag: a record's ydm equals another's ymd exactly when the
      // two dates are the same with day and month swapped.
      return { slots: [`${y}-${m}-${d}`, day <= 12 && day !== month ? `${y}-${d}-${m}` : '', `${y}-${m}`, `${m}-${d}`, `${y}-${d}`], bloom: '' };
    }
    case 'sex': {
      const s = normaliseSex(raw);
      return s === null ? null : s === '' ? undefined : { slots: [s], bloom: '' };
    }
    case 'postcode': {
      const p = normalisePostcode(raw);
      return p === '' ? undefined : { slots: [p, postcodePrefix(p)], bloom: '' };
    }
    case 'municipality': {
      const p = normaliseMunicipality(raw);
      return p === '' ? undefined : { slots: [p, municipalityPrefix(p)], bloom: '' };
    }
    case 'text': case 'code': {
      const c = normaliseCode(raw);
      return c === '' ? undefined : { slots: [c], bloom: c };
    }
    case 'number': {
      const v = normaliseNumber(raw);
      return v === null ? null : v === '' ? undefined : { slots: [v], bloom: '' };
    }
    case 'national_id': {
      const v = normaliseInsz(raw);
      return v.digits !== null ? { slots: [v.digits], bloom: '' } : null;
    }
  }
}

/**
 * The encodings of distinct values, by value index: state (0 blank, 1 valid, 2 invalid), tokens,
 * Bloom filter and popcount, pseudonym (national ids). Grows as values are added, so that a
 * `FieldEncoder` encodes each distinct value once over a whole delivery.
 */
class ValueEncodings {
  readonly slots: number;
  readonly words: number;
  readonly national: boolean;
  state = new Uint8Array(0);
  tokens = new Uint32Array(0);
  bloom: Uint32Array | null = null;
  pop: Uint16Array | null = null;
  pseudo: Uint8Array | null = null;
  size = 0;

  constructor(type: FieldType) {
    this.slots = TOKEN_SLOTS[type].length;
    this.words = BLOOM_SHAPE[type].words;
    this.national = type === 'national_id';
    // Present from the start, empty: which arrays exist says what the field has, values or not.
    if (this.words > 0) { this.bloom = new Uint32Array(0); this.pop = new Uint16Array(0); }
    if (this.national) this.pseudo = new Uint8Array(0);
  }

  /** Room for `n` values, keeping the encoded ones. */
  reserve(n: number): void {
    if (n <= this.state.length) return;
    const cap = Math.max(n, this.state.length * 2, 64);
    const state = new Uint8Array(cap); state.set(this.state); this.state = state;
    const tokens = new Uint32Array(cap * this.slots * 2); tokens.set(this.tokens); this.tokens = tokens;
    if (this.words > 0) {
      const bloom = new Uint32Array(cap * this.words); if (this.bloom !== null) bloom.set(this.bloom); this.bloom = bloom;
      const pop = new Uint16Array(cap); if (this.pop !== null) pop.set(this.pop); this.pop = pop;
    }
    if (this.national) {
      const pseudo = new Uint8Array(cap * 32); if (this.pseudo !== null) pseudo.set(this.pseudo); this.pseudo = pseudo;
    }
  }
}

/** The keyed hashers of one field, made once (the Bloom hasher caches bigram positions). */
interface FieldHashers {
  readonly batch: TokenBatch;
  readonly crossTokens: TokenBatch | null;
  readonly bloom: BloomHasher | null;
  readonly dateFormat: DateFormat | null;
}

function hashersFor(spec: FieldSpec, keys: EncodingKeys): FieldHashers {
  const { type } = spec;
  const shape = BLOOM_SHAPE[type];
  const dateFormat = type === 'date' ? compileDateFormat(spec.format ?? '', `field ${spec.name}`) : null;
  return {
    batch: new TokenBatch(type === 'national_id' ? keys.nationalId : keys.encode(type)),
    crossTokens: TOKEN_SLOTS[type].includes('cross') ? new TokenBatch(keys.encode('name')) : null,
    bloom: shape.words > 0 ? new BloomHasher(keys.encode(type), shape.words, shape.k) : null,
    dateFormat,
  };
}

/** Normalises and HMACs values[from..to) into `t` (which must have room for them). */
function encodeValues(spec: FieldSpec, h: FieldHashers, keys: EncodingKeys, values: readonly string[], from: number, to: number, t: ValueEncodings): void {
  const { type } = spec;
  const slotNames = TOKEN_SLOTS[type];
  const slots = slotNames.length;
  const words = t.words;
  const { state, tokens } = t;
  if (to <= from) return;
  const digits = t.national ? new Uint8Array((to - from) * 11) : null;
  for (let v = from; v < to; v++) {
    const c = canonicalise(type, values[v], h.dateFormat);
    if (c === undefined) continue;
    if (c === null) { state[v] = 2; continue; }
    state[v] = 1;
    if (digits !== null) {
      // design.md: the linkage HMAC input is the 11 ASCII digits of the normalised number.
      for (let i = 0; i < 11; i++) digits[(v - from) * 11 + i] = c.slots[0].charCodeAt(i);
      continue;
    }
    for (let s = 0; s < slots; s++) {
      const text = c.slots[s];
      if (text === '') continue; // an empty slot stays 0,0 and is compared as absent
      const at = (v * slots + s) * 2;
      if (slotNames[s] === 'cross') h.crossTokens!.add(CROSS_TAG, text, at);
      else h.batch.add(type === 'date' && s === 1 ? 1 : s + 1, text, at);
    }
    if (h.bloom !== null && c.bloom !== '') t.pop![v] = h.bloom.encodeInto(c.bloom, t.bloom!, v * words);
  }
  h.batch.flushInto(tokens);
  h.crossTokens?.flushInto(tokens);
  if (digits !== null) {
    const n = to - from;
    const skip = new Uint8Array(n);
    for (let v = from; v < to; v++) skip[v - from] = state[v] === 1 ? 0 : 1;
    const pseudo = t.pseudo!.subarray(from * 32, to * 32);
    hmacFixedWidth(keys.nationalId, digits, 11, n, pseudo, skip);
    digits.fill(0);
    // The comparison token of a national id is the pseudonym's first 8 bytes.
    const view = new DataView(t.pseudo!.buffer);
    for (let v = from; v < to; v++) {
      if (state[v] !== 1) continue;
      tokens[v * 2] = view.getUint32(v * 32, true);
      tokens[v * 2 + 1] = view.getUint32(v * 32 + 4, true);
    }
  }
  t.size = to;
}

/** The per-row field: each row takes its value's encodings. */
function scatter(spec: FieldSpec, codes: Int32Array, t: ValueEncodings): EncodedFieldResult {
  const n = codes.length;
  const width = t.slots * 2;
  const words = t.words;
  const present = new Uint8Array(n);
  const tokens = new Uint32Array(n * width);
  const rowBloom = t.bloom !== null ? new Uint32Array(n * words) : null;
  const rowPop = t.pop !== null ? new Uint16Array(n) : null;
  const pseudonyms = t.pseudo !== null ? new Uint8Array(n * 32) : null;
  const quality: FieldQuality = { nulls: 0, invalid: 0 };
  const { state, tokens: dTokens, bloom: dBloom, pop: dPop, pseudo: dPseudo } = t;
  for (let r = 0; r < n; r++) {
    const v = codes[r];
    if (v < 0 || state[v] === 0) { quality.nulls++; continue; }
    if (state[v] === 2) { quality.invalid++; continue; }
    present[r] = 1;
    // Word loops, not set(subarray): a subarray is an object, and this runs per row and field.
    for (let i = 0, from = v * width, to = r * width; i < width; i++) tokens[to + i] = dTokens[from + i];
    if (rowBloom !== null) {
      const from = v * words; const to = r * words;
      for (let i = 0; i < words; i++) rowBloom[to + i] = dBloom![from + i];
      rowPop![r] = dPop![v];
    }
    if (pseudonyms !== null) for (let i = 0, from = v * 32, to = r * 32; i < 32; i++) pseudonyms[to + i] = dPseudo![from + i];
  }
  return {
    field: {
      name: spec.name, type: spec.type, present, slots: t.slots, tokens,
      bloomWords: words, bloom: rowBloom, bloomPop: rowPop, quality,
    },
    pseudonyms,
  };
}

/** Encodes a whole column given as a dictionary (distinct values once, then per row). */
export function encodeField(spec: FieldSpec, dict: TextDictionary, keys: EncodingKeys): EncodedFieldResult {
  const t = new ValueEncodings(spec.type);
  t.reserve(dict.values.length);
  encodeValues(spec, hashersFor(spec, keys), keys, dict.values, 0, dict.values.length, t);
  return scatter(spec, dict.codes, t);
}

/** Distinct values a `FieldEncoder` keeps before it starts afresh (bounds memory on unique text). */
const MAX_KEPT_VALUES = 1 << 20;

/**
 * Encodes a column chunk by chunk (an upload's batches) and remembers what it encoded: a value
 * seen in an earlier chunk is not normalised or HMACed again. Same result per chunk as
 * `encodeField` over that chunk's dictionary. The distinct values stay in memory until the
 * encoder is dropped (or it holds more than `MAX_KEPT_VALUES` and starts afresh), never longer.
 */
export class FieldEncoder {
  private dict = new Utf8Dictionary();
  private table: ValueEncodings;
  private readonly hashers: FieldHashers;

  constructor(readonly spec: FieldSpec, private readonly keys: EncodingKeys) {
    this.table = new ValueEncodings(spec.type);
    this.hashers = hashersFor(spec, keys);
  }

  encode(chunks: readonly Data<Utf8>[]): EncodedFieldResult {
    if (this.dict.values.length > MAX_KEPT_VALUES) {
      this.dict = new Utf8Dictionary();
      this.table = new ValueEncodings(this.spec.type);
    }
    const codes = this.dict.codesOf(chunks);
    const values = this.dict.values;
    if (values.length > this.table.size) {
      this.table.reserve(values.length);
      encodeValues(this.spec, this.hashers, this.keys, values, this.table.size, values.length, this.table);
    }
    return scatter(this.spec, codes, this.table);
  }
}
