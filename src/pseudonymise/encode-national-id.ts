/**
 * Keyed encoding of a national_id field straight from Arrow Utf8 chunks: no string per row and
 * no dictionary. National numbers hardly repeat within a source, so the dictionary path
 * (`encode-field.ts`), which pays off for names and dates, here only costs a string and a Map
 * entry per row.
 *
 * ```
 * Utf8 chunks ──normaliseInszBytes──> digits (n x 11 ASCII) + present ──HMAC──> pseudonyms (n x 32)
 *                                                                                tokens = bytes 0..7
 * ```
 * Same result, bit for bit, as `encodeField` over `dictionaryOfUtf8` (the tests pin it):
 * a row is null when it is null, empty or blank after trimming, and invalid when it has a
 * value that does not normalise to a valid number. The byte kernel sees digits and the
 * separators `. - / space`; a row with any other byte (a tab, a letter, a non-breaking space)
 * takes the string path of the dictionary encoder, trimmed exactly like it, so both agree on
 * rare inputs too.
 *
 * The two halves are split so that the HMAC, the only expensive part, can run elsewhere (a
 * worker thread) on the digits alone: `nationalIdDigits` then `nationalIdField`.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { INSZ_LENGTH, INSZ_MALFORMED, INSZ_MISSING, INSZ_VALID, normaliseInszBytes } from '../ingest/insz.js';
import type { EncodedField } from './encoded-source.js';
import { HMAC_SHA256_BYTES, hmacFixedWidth, type HmacKeyInput } from './hmac-batch.js';
import type { EncodedFieldResult } from './encode-field.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

/** A column's normalised national numbers: the HMAC input, and what the report counts. */
export interface NationalIdDigits {
  readonly length: number;
  /** length x 11 ASCII digits; ASCII zeros where the row is not valid. */
  readonly digits: Uint8Array;
  /** 1 = a valid number, HMACed; 0 = null or invalid (32 zero bytes). */
  readonly present: Uint8Array;
  readonly nulls: number;
  readonly invalid: number;
}

const SPACE = 0x20;
const utf8 = new TextEncoder();

/**
 * Validates and normalises every row of `chunks` (in order) into 11-digit numbers. `alloc`
 * allocates the zeroed outputs (`sharedBytes` when worker threads will read them).
 */
export function nationalIdDigits(chunks: readonly Data<Utf8>[], alloc: (bytes: number) => Uint8Array = (b) => new Uint8Array(b)): NationalIdDigits {
  let n = 0;
  for (const c of chunks) n += c.length;
  const digits = alloc(n * INSZ_LENGTH);
  const present = alloc(n);
  let nulls = 0;
  let invalid = 0;
  let row = 0;
  for (const data of chunks) {
    const offsets = data.valueOffsets;
    const bytes = data.values;
    // Decided once per chunk: most chunks of a CSV column have no nulls at all.
    const bitmap = validityBitmap(data);
    const base = data.offset;
    for (let i = 0; i < data.length; i++, row++) {
      const at = row * INSZ_LENGTH;
      if (bitmap !== null && !isBitSet(bitmap, base + i)) {
        digits.fill(0x30, at, at + INSZ_LENGTH);
        nulls++;
        continue;
      }
      const start = offsets[i];
      const end = offsets[i + 1];
      let status = normaliseInszBytes(bytes, start, end, digits, at);
      if (status === INSZ_VALID) { present[row] = 1; continue; }
      if (status === INSZ_MISSING) {
        // Only separators (or nothing): blank when they are all spaces, which trimming removes.
        let blank = true;
        for (let k = start; k < end; k++) if (bytes[k] !== SPACE) { blank = false; break; }
        if (blank) nulls++; else invalid++;
        continue;
      }
      if (status === INSZ_MALFORMED) {
        // A byte the kernel does not know: decide as the string path does (trim, then validate).
        const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8').trim();
        if (text === '') { nulls++; continue; }
        const raw = utf8.encode(text);
        status = normaliseInszBytes(raw, 0, raw.length, digits, at);
        if (status === INSZ_VALID) { present[row] = 1; continue; }
      }
      invalid++;
    }
  }
  return { length: n, digits, present, nulls, invalid };
}

/**
 * The linkage pseudonyms of `d`: HMAC(link key, 11 digits) per present row, 32 zero bytes
 * elsewhere, into `out` (n x 32, owned by the caller).
 */
export function pseudonymiseDigits(key: HmacKeyInput, d: NationalIdDigits, out: Uint8Array, from = 0, to = d.length): void {
  const skip = new Uint8Array(to - from);
  for (let r = from; r < to; r++) skip[r - from] = d.present[r] ^ 1;
  hmacFixedWidth(
    key, d.digits.subarray(from * INSZ_LENGTH, to * INSZ_LENGTH), INSZ_LENGTH, to - from,
    out.subarray(from * HMAC_SHA256_BYTES, to * HMAC_SHA256_BYTES), skip,
  );
}

/** The encoded field from the digits and their pseudonyms: the token is a pseudonym's first 8 bytes. */
export function nationalIdField(name: string, d: NationalIdDigits, pseudonyms: Uint8Array): EncodedFieldResult {
  const n = d.length;
  const tokens = new Uint32Array(n * 2);
  // Little-endian words, as the dictionary encoder reads them (DataView, little-endian).
  const view = new DataView(pseudonyms.buffer, pseudonyms.byteOffset, pseudonyms.byteLength);
  const present = d.present;
  for (let r = 0; r < n; r++) {
    if (present[r] === 0) continue;
    tokens[r * 2] = view.getUint32(r * HMAC_SHA256_BYTES, true);
    tokens[r * 2 + 1] = view.getUint32(r * HMAC_SHA256_BYTES + 4, true);
  }
  const field: EncodedField = {
    name, type: 'national_id', present, slots: 1, tokens,
    bloomWords: 0, bloom: null, bloomPop: null, quality: { nulls: d.nulls, invalid: d.invalid },
  };
  return { field, pseudonyms };
}

/** All three steps on this thread. */
export function encodeNationalIdColumn(name: string, chunks: readonly Data<Utf8>[], key: HmacKeyInput): EncodedFieldResult {
  const d = nationalIdDigits(chunks);
  const pseudonyms = new Uint8Array(d.length * HMAC_SHA256_BYTES);
  pseudonymiseDigits(key, d, pseudonyms);
  return nationalIdField(name, d, pseudonyms);
}
