/**
 * Release pseudonyms (design.md "Storage layout"): the lowercase hex of the first 16 bytes of
 * HMAC-SHA256(release key, UTF-8 decimal text of the person id).
 *
 * Each release has its own release key (`PURPOSES.release(projectId, releaseId)`), so the same
 * person gets unrelated pseudonyms in two releases, of one project or of two, and they cannot
 * be joined on it; a longitudinal project's releases share `PURPOSES.release(projectId)`. 16 bytes
 * (128 bits) keep collisions negligible for any population while staying short in a CSV.
 *
 * Output is an Arrow Utf8 column of fixed-width 32-character values (offsets i * 32), built
 * from one byte buffer: no string per row.
 */
import { Utf8, makeData, type Data } from 'apache-arrow';
import { HMAC_SHA256_BYTES, hmacVarWidth, prepareHmacKey, type HmacKeyInput } from './hmac-batch.js';

export const RELEASE_PSEUDONYM_BYTES = 16;
export const RELEASE_PSEUDONYM_CHARS = RELEASE_PSEUDONYM_BYTES * 2;
/** Decimal digits of the largest safe integer (2^53 - 1 = 9007199254740991). */
const MAX_ID_DIGITS = 16;
/** Int32 value offsets: n * 32 must stay below 2^31. */
const MAX_ROWS = Math.floor(0x7fffffff / RELEASE_PSEUDONYM_CHARS);

const HEX = new TextEncoder().encode('0123456789abcdef');

/**
 * Write the decimal text of every id into one buffer with Arrow-style offsets.
 * Ids must be positive safe integers (the TTP's persistent person ids).
 */
export function decimalColumn(personIds: ArrayLike<number>): { values: Uint8Array; offsets: Int32Array } {
  const n = personIds.length;
  const values = new Uint8Array(n * MAX_ID_DIGITS);
  const offsets = new Int32Array(n + 1);
  const scratch = new Uint8Array(MAX_ID_DIGITS);
  let p = 0;
  for (let i = 0; i < n; i++) {
    let v = personIds[i];
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new RangeError(`person id at row ${i} is not a positive safe integer`);
    }
    // Digits come out least significant first; reverse them through the scratch.
    let d = 0;
    while (v > 0) {
      const q = Math.floor(v / 10);
      scratch[d++] = 48 + (v - q * 10);
      v = q;
    }
    while (d > 0) values[p++] = scratch[--d];
    offsets[i + 1] = p;
  }
  return { values, offsets };
}

export function releasePseudonyms(releaseKey: HmacKeyInput, personIds: ArrayLike<number>): Data<Utf8> {
  const n = personIds.length;
  if (n > MAX_ROWS) throw new RangeError(`at most ${MAX_ROWS} release pseudonyms per batch, got ${n}`);
  const { values, offsets } = decimalColumn(personIds);
  const macs = new Uint8Array(n * HMAC_SHA256_BYTES);
  hmacVarWidth(prepareHmacKey(releaseKey), values, offsets, n, macs);
  const hex = new Uint8Array(n * RELEASE_PSEUDONYM_CHARS);
  for (let i = 0, src = 0, dst = 0; i < n; i++, src += HMAC_SHA256_BYTES) {
    for (let j = 0; j < RELEASE_PSEUDONYM_BYTES; j++) {
      const b = macs[src + j];
      hex[dst++] = HEX[b >>> 4];
      hex[dst++] = HEX[b & 15];
    }
  }
  const valueOffsets = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) valueOffsets[i] = i * RELEASE_PSEUDONYM_CHARS;
  return makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets, data: hex });
}
