/**
 * HMAC of Arrow columns: national numbers to linkage pseudonyms, any Utf8 or Binary column to
 * its keyed hashes, as FixedSizeBinary(32) columns whose nulls are the input's invalid or null
 * rows. The kernels underneath are hmac-batch.ts.
 */
import { FixedSizeBinary, makeData, type Data, type Utf8, type Binary } from 'apache-arrow';
import { HMAC_SHA256_BYTES, hmacFixedWidth, hmacVarWidth, type HmacKeyInput } from './hmac-batch.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

/** Validity bitmap (Arrow: bit set = valid, LSB first) from a status column (0 = valid). */
export function validityFromStatus(status: Uint8Array, count: number): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const bitmap = new Uint8Array((count + 7) >>> 3);
  let valid = 0;
  for (let i = 0; i < count; i++) {
    if (status[i] === 0) {
      bitmap[i >>> 3] |= 1 << (i & 7);
      valid++;
    }
  }
  const nullCount = count - valid;
  return { nullBitmap: nullCount === 0 ? undefined : bitmap, nullCount };
}

function fixedBinaryData(values: Uint8Array, status: Uint8Array, count: number): Data<FixedSizeBinary> {
  const { nullBitmap, nullCount } = validityFromStatus(status, count);
  return makeData({ type: new FixedSizeBinary(HMAC_SHA256_BYTES), length: count, nullCount, data: values, nullBitmap });
}

/**
 * Linkage pseudonyms of a column of normalised national numbers.
 * `digits`: n numbers of 11 ASCII digits back to back; `status`: n entries, 0 = valid,
 * anything else (missing, malformed, bad check digit) gives a null pseudonym.
 */
export function pseudonymiseNationalIds(linkKey: HmacKeyInput, digits: Uint8Array, status: Uint8Array): Data<FixedSizeBinary> {
  const n = status.length;
  if (digits.length !== n * 11) throw new RangeError(`digits hold ${digits.length} bytes, expected 11 per status entry (${n * 11})`);
  const values = new Uint8Array(n * HMAC_SHA256_BYTES);
  hmacFixedWidth(linkKey, digits, 11, n, values, status);
  return fixedBinaryData(values, status, n);
}

/**
 * `pseudonymiseNationalIds` in slices of `sliceRows`, awaiting `between()` after each: a server
 * turns its event loop there (a batch of 65,536 numbers is tens of ms of HMACs). The same bytes.
 */
export async function pseudonymiseNationalIdsInSlices(
  linkKey: HmacKeyInput, digits: Uint8Array, status: Uint8Array, between: () => Promise<void>, sliceRows = 16_384,
): Promise<Data<FixedSizeBinary>> {
  const n = status.length;
  if (digits.length !== n * 11) throw new RangeError(`digits hold ${digits.length} bytes, expected 11 per status entry (${n * 11})`);
  const values = new Uint8Array(n * HMAC_SHA256_BYTES);
  for (let from = 0; from < n; from += sliceRows) {
    const to = Math.min(n, from + sliceRows);
    hmacFixedWidth(linkKey, digits.subarray(from * 11, to * 11), 11, to - from, values.subarray(from * HMAC_SHA256_BYTES, to * HMAC_SHA256_BYTES), status.subarray(from, to));
    await between();
  }
  return fixedBinaryData(values, status, n);
}

/**
 * HMAC of every non-null value of a Utf8 or Binary column (e.g. a normalised name column),
 * as a FixedSizeBinary(32) column with the same nulls. Honours `data.offset` for sliced input.
 */
export function hmacUtf8(key: HmacKeyInput, data: Data<Utf8 | Binary>): Data<FixedSizeBinary> {
  const n = data.length;
  const status = new Uint8Array(n);
  const bitmap = validityBitmap(data);
  if (bitmap !== null) for (let i = 0; i < n; i++) status[i] = isBitSet(bitmap, data.offset + i) ? 0 : 1;
  const values = new Uint8Array(n * HMAC_SHA256_BYTES);
  // valueOffsets is already sliced to this Data's rows by apache-arrow; values is not.
  hmacVarWidth(key, data.values, data.valueOffsets, n, values, status);
  return fixedBinaryData(values, status, n);
}
