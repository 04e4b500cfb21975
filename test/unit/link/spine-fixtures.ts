/**
 * Synthetic pseudonym columns for the join and spine tests: a pool of random 32-byte
 * pseudonyms where some share their first 8 bytes (prefix collisions), rows drawn from the
 * pool or null, and the columns built as apache-arrow FixedSizeBinary Data, optionally
 * sliced so that `offset` is non-zero.
 */
import fc from 'fast-check';
import { FixedSizeBinary, makeData, type Data } from 'apache-arrow';
import { pseudonymColumnOf, PSEUDONYM_BYTES, type PseudonymColumn } from '../../../src/link/pseudonym-join.js';

/** Pool of distinct pseudonyms; entries 2i+1 copy the first 8 bytes of entry 2i. */
export function pseudonymPool(seedBytes: Uint8Array, count: number): Uint8Array {
  const pool = new Uint8Array(count * PSEUDONYM_BYTES);
  // xorshift32 over the seed: deterministic, synthetic bytes.
  let x = (seedBytes[0] | (seedBytes[1] << 8) | (seedBytes[2] << 16) | (seedBytes[3] << 24) | 1) >>> 0;
  for (let i = 0; i < pool.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    pool[i] = x & 0xff;
  }
  for (let i = 1; i < count; i += 2) {
    pool.copyWithin(i * PSEUDONYM_BYTES, (i - 1) * PSEUDONYM_BYTES, (i - 1) * PSEUDONYM_BYTES + 8);
    pool[i * PSEUDONYM_BYTES + 31] ^= 0x5a; // guarantee a different tail
  }
  return pool;
}

/** One row: an index into the pool, or null. */
export type RowSpec = number | null;

export interface SourceSpec {
  readonly rows: readonly RowSpec[];
  /** Rows of padding before the slice, so the Data has a non-zero offset. */
  readonly lead: number;
}

/** Build a FixedSizeBinary(32) Data for `spec` (sliced when `lead` > 0). */
export function sourceData(pool: Uint8Array, spec: SourceSpec): Data<FixedSizeBinary> {
  const n = spec.lead + spec.rows.length;
  const values = new Uint8Array(n * PSEUDONYM_BYTES);
  const bitmap = new Uint8Array(Math.ceil(n / 8) + 1);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const r = i < spec.lead ? 0 : spec.rows[i - spec.lead];
    if (r === null) { nulls++; continue; }
    values.set(pool.subarray(r * PSEUDONYM_BYTES, (r + 1) * PSEUDONYM_BYTES), i * PSEUDONYM_BYTES);
    bitmap[i >> 3] |= 1 << (i & 7);
  }
  const whole = makeData({ type: new FixedSizeBinary(PSEUDONYM_BYTES), length: n, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, data: values });
  return spec.lead > 0 ? whole.slice(spec.lead, spec.rows.length) : whole;
}

export function columnOf(pool: Uint8Array, spec: SourceSpec): PseudonymColumn {
  return pseudonymColumnOf(sourceData(pool, spec));
}

export const POOL = 24;

export const sourceSpecArb = fc.record({
  rows: fc.array(fc.option(fc.integer({ min: 0, max: POOL - 1 }), { nil: null, freq: 4 }), { maxLength: 40 }),
  lead: fc.integer({ min: 0, max: 9 }),
});

export const sourcesArb = fc.array(sourceSpecArb, { maxLength: 5 });
