import t from 'tap';
import { FixedSizeBinary, makeData, type Data } from 'apache-arrow';
import { PseudonymTable, hasPseudonym, pseudonymColumnOf, PSEUDONYM_BYTES } from '../../../src/link/pseudonym-join.js';

/*
 * Synthetic pseudonym columns: a pool of random 32-byte pseudonyms where some share their
 * first 8 bytes (prefix collisions), rows drawn from the pool or null, built as apache-arrow
 * FixedSizeBinary Data, optionally sliced so that `offset` is non-zero.
 */

/** Pool of distinct pseudonyms; entries 2i+1 copy the first 8 bytes of entry 2i. */
function pseudonymPool(seedBytes: Uint8Array, count: number): Uint8Array {
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
type RowSpec = number | null;

interface SourceSpec {
  readonly rows: readonly RowSpec[];
  /** Rows of padding before the slice, so the Data has a non-zero offset. */
  readonly lead: number;
}

/** Build a FixedSizeBinary(32) Data for `spec` (sliced when `lead` > 0). */
function sourceData(pool: Uint8Array, spec: SourceSpec): Data<FixedSizeBinary> {
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

t.test('interns equal pseudonyms to one id and tells prefix collisions apart', async (t) => {
  const pool = pseudonymPool(new Uint8Array([7, 1, 2, 3]), 4);
  const table = new PseudonymTable(2);
  const a = table.intern(pool, 0);
  const b = table.intern(pool, PSEUDONYM_BYTES); // same first 8 bytes as entry 0
  t.equal(a, 0);
  t.equal(b, 1, 'a pseudonym sharing only the first 8 bytes is a different key');
  t.equal(table.intern(pool.slice(0, PSEUDONYM_BYTES), 0), 0, 'a copy of the bytes finds the same key');
  t.equal(table.lookup(pool, 2 * PSEUDONYM_BYTES), -1, 'an absent pseudonym is not found');
  t.same(Array.from(table.keyBytes(1)), Array.from(pool.subarray(PSEUDONYM_BYTES, 2 * PSEUDONYM_BYTES)));
  t.throws(() => table.keyBytes(2), RangeError);
});

t.test('grows by doubling and keeps capacity a power of two at least twice the size', async (t) => {
  const n = 5000;
  const pool = pseudonymPool(new Uint8Array([9, 9, 9, 9]), n);
  const table = new PseudonymTable(1);
  let wrongIds = 0;
  for (let i = 0; i < n; i++) if (table.intern(pool, i * PSEUDONYM_BYTES) !== i) wrongIds++;
  t.equal(wrongIds, 0, 'new pseudonyms get dense ids in insertion order');
  t.equal(table.size, n);
  t.ok(table.capacity >= 2 * n, 'capacity >= 2x distinct');
  t.equal(table.capacity & (table.capacity - 1), 0, 'capacity is a power of two');
  for (let i = 0; i < n; i += 97) t.equal(table.lookup(pool, i * PSEUDONYM_BYTES), i);
});

t.test('reads validity with the offset of a sliced Data', async (t) => {
  const pool = pseudonymPool(new Uint8Array([1, 2, 3, 4]), 4);
  const data = sourceData(pool, { rows: [null, 1, null, 2], lead: 5 });
  t.equal(data.offset, 5, 'the fixture really is sliced');
  const column = pseudonymColumnOf(data);
  t.same([0, 1, 2, 3].map((r) => hasPseudonym(column, r)), [false, true, false, true]);
  const ids = new PseudonymTable().internColumn(column);
  t.same(Array.from(ids), [-1, 0, -1, 1]);
});

t.test('treats an empty validity bitmap as all valid (apache-arrow without nulls)', async (t) => {
  const pool = pseudonymPool(new Uint8Array([5, 5, 5, 5]), 2);
  const column = { pseudonyms: pool, valid: new Uint8Array(0), length: 2 };
  t.same(Array.from(new PseudonymTable().internColumn(column)), [0, 1]);
});

t.test('rejects a column whose buffer is shorter than its rows', async (t) => {
  t.throws(() => new PseudonymTable().internColumn({ pseudonyms: new Uint8Array(40), valid: null, length: 2 }), RangeError);
});
