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
} from '../link/encoded-source.js';
import type { TextDictionary } from './encode-dictionary.js';
import { BloomHasher, TokenBatch } from './encode-keyed.js';
import { hmacFixedWidth } from './hmac-batch.js';
import {
  municipalityPrefix, normaliseCode, normaliseMunicipality, normaliseNumber, normalisePostcode,
  normaliseSex, postcodePrefix,
} from './normalise-codes.js';
import { compileDateFormat, parseDate, type DateFormat, type ParsedDate } from './normalise-date.js';
// One INSZ validator for uploads and `koppel link` alike.
import { normaliseInsz } from '../ingest/insz.js';
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
function canonicalise(type: FieldType, raw: string, dateFormat: DateFormat | null, date: ParsedDate): Canonical | null | undefined {
  switch (type) {
    case 'given_name': case 'surname': case 'name': {
      const text = normaliseText(raw);
      if (text === '') return undefined;
      const joined = joinWords(text);
      const third = type === 'given_name' ? firstWord(text) : type === 'surname' ? surnameCore(text) : text.split(' ').sort().join('');
      return { slots: [joined, phoneticKey(joined), third, joined, [...joined].sort().join('')], bloom: joined };
    }
    case 'date': {
      if (!parseDate(raw, dateFormat!, date)) return null;
      const y = String(date.y);
      const m = String(date.m).padStart(2, '0');
      const d = String(date.d).padStart(2, '0');
      // ydm is hashed under the ymd tag: a record's ydm equals another's ymd exactly when the
      // two dates are the same with day and month swapped.
      return { slots: [`${y}-${m}-${d}`, date.d <= 12 && date.d !== date.m ? `${y}-${d}-${m}` : '', `${y}-${m}`, `${m}-${d}`, `${y}-${d}`], bloom: '' };
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

export function encodeField(spec: FieldSpec, dict: TextDictionary, keys: EncodingKeys): EncodedFieldResult {
  const { type } = spec;
  const slotNames = TOKEN_SLOTS[type];
  const slots = slotNames.length;
  const shape = BLOOM_SHAPE[type];
  const distinct = dict.values.length;
  const dateFormat = type === 'date' ? compileDateFormat(spec.format ?? '') : null;
  if (type === 'date' && dateFormat === null) throw new Error(`field ${spec.name}: unknown date format`);

  // Per distinct value: state (0 blank, 1 valid, 2 invalid), tokens, bloom, pseudonym.
  const state = new Uint8Array(distinct);
  const dTokens = new Uint32Array(distinct * slots * 2);
  const dBloom = shape.words > 0 ? new Uint32Array(distinct * shape.words) : null;
  const dPop = shape.words > 0 ? new Uint16Array(distinct) : null;
  const dPseudo = type === 'national_id' ? new Uint8Array(distinct * 32) : null;

  const batch = new TokenBatch(type === 'national_id' ? keys.nationalId : keys.encode(type));
  const crossTokens = slotNames.includes('cross') ? new TokenBatch(keys.encode('name')) : null;
  const bloom = dBloom !== null ? new BloomHasher(keys.encode(type), shape.words, shape.k) : null;
  const date: ParsedDate = { y: 0, m: 0, d: 0 };
  const digits = dPseudo !== null ? new Uint8Array(distinct * 11) : null;

  for (let v = 0; v < distinct; v++) {
    const c = canonicalise(type, dict.values[v], dateFormat, date);
    if (c === undefined) continue;
    if (c === null) { state[v] = 2; continue; }
    state[v] = 1;
    if (digits !== null) {
      // design.md: the linkage HMAC input is the 11 ASCII digits of the normalised number.
      for (let i = 0; i < 11; i++) digits[v * 11 + i] = c.slots[0].charCodeAt(i);
      continue;
    }
    for (let s = 0; s < slots; s++) {
      const text = c.slots[s];
      if (text === '') continue; // an empty slot stays 0,0 and is compared as absent
      const at = (v * slots + s) * 2;
      if (slotNames[s] === 'cross') crossTokens!.add(CROSS_TAG, text, at);
      else batch.add(type === 'date' && s === 1 ? 1 : s + 1, text, at);
    }
    if (bloom !== null && c.bloom !== '') dPop![v] = bloom.encodeInto(c.bloom, dBloom!, v * shape.words);
  }
  batch.flushInto(dTokens);
  crossTokens?.flushInto(dTokens);
  if (digits !== null) {
    const skip = new Uint8Array(distinct);
    for (let v = 0; v < distinct; v++) skip[v] = state[v] === 1 ? 0 : 1;
    hmacFixedWidth(keys.nationalId, digits, 11, distinct, dPseudo!, skip);
    // The comparison token of a national id is the pseudonym's first 8 bytes.
    const view = new DataView(dPseudo!.buffer);
    for (let v = 0; v < distinct; v++) {
      if (state[v] !== 1) continue;
      dTokens[v * 2] = view.getUint32(v * 32, true);
      dTokens[v * 2 + 1] = view.getUint32(v * 32 + 4, true);
    }
  }

  // Scatter to rows.
  const n = dict.codes.length;
  const present = new Uint8Array(n);
  const tokens = new Uint32Array(n * slots * 2);
  const rowBloom = dBloom !== null ? new Uint32Array(n * shape.words) : null;
  const rowPop = dPop !== null ? new Uint16Array(n) : null;
  const pseudonyms = dPseudo !== null ? new Uint8Array(n * 32) : null;
  const quality: FieldQuality = { nulls: 0, invalid: 0 };
  const width = slots * 2;
  const words = shape.words;
  for (let r = 0; r < n; r++) {
    const v = dict.codes[r];
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
      name: spec.name, type, present, slots, tokens,
      bloomWords: words, bloom: rowBloom, bloomPop: rowPop, quality,
    },
    pseudonyms,
  };
}
