import t from 'tap';
import fc from 'fast-check';
import { Vector } from 'apache-arrow';
import {
  PseudonymTable, hasPseudonym, pseudonymColumnOf, PSEUDONYM_BYTES, type PseudonymColumn,
} from '../../../src/link/pseudonym-join.js';
import {
  joinPseudonyms, joinPseudonymsPartitioned, IN_PLACE_ROWS, type JoinPairs, type JoinTuning,
} from '../../../src/link/partitioned-join.js';
import {
  pseudonymPool, sourceData, columnOf, sourceSpecArb, POOL, type RowSpec, type SourceSpec,
} from './spine-fixtures.js';

/** The oracle: hex strings of each row read through apache-arrow's own accessor. */
function hexRows(data: ReturnType<typeof sourceData>): (string | null)[] {
  const v = new Vector([data]);
  const out: (string | null)[] = [];
  for (let i = 0; i < v.length; i++) {
    const b = v.get(i);
    out.push(b === null ? null : Buffer.from(b).toString('hex'));
  }
  return out;
}

/**
 * The join oracle: a Map from hex to the ascending left rows, walked by right row, so pairs come
 * out in the contract's order (right row, then left row).
 */
function expectedPairs(left: ReturnType<typeof sourceData>, right: ReturnType<typeof sourceData>): string[] {
  const leftRows = new Map<string, number[]>();
  hexRows(left).forEach((hex, i) => {
    if (hex === null) return;
    const rows = leftRows.get(hex);
    if (rows === undefined) leftRows.set(hex, [i]);
    else rows.push(i);
  });
  const out: string[] = [];
  hexRows(right).forEach((hex, j) => {
    if (hex !== null) for (const i of leftRows.get(hex) ?? []) out.push(`${i}:${j}`);
  });
  return out;
}

function pairsOf(got: JoinPairs): string[] {
  const out: string[] = [];
  for (let k = 0; k < got.count; k++) out.push(`${got.left[k]}:${got.right[k]}`);
  return out;
}

function joinsLikeOracle(pool: Uint8Array, l: SourceSpec, r: SourceSpec, tuning: JoinTuning): boolean {
  const ld = sourceData(pool, l);
  const rd = sourceData(pool, r);
  const got = joinPseudonymsPartitioned(pseudonymColumnOf(ld), pseudonymColumnOf(rd), tuning);
  return got.left.length === got.count && got.right.length === got.count
    && JSON.stringify(pairsOf(got)) === JSON.stringify(expectedPairs(ld, rd));
}

/** A pool whose entries all share entry 0's first 8 bytes: every key hashes to one partition and one slot run. */
function samePrefixPool(count: number): Uint8Array {
  const pool = pseudonymPool(new Uint8Array([6, 6, 6, 6]), count);
  for (let i = 1; i < count; i++) pool.copyWithin(i * PSEUDONYM_BYTES, 0, 8);
  return pool;
}

/**
 * Tunings that force many partitions (most of them empty or of one row) on small columns,
 * joined in one pass or in many (down to a partition at a time).
 */
const partitionedArb = fc.record({
  partitionRows: fc.integer({ min: 1, max: 64 }),
  inPlaceRows: fc.constant(0),
  passRows: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constant(1 << 30)),
});

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

t.test('joins many-to-many exactly like a naive map of hex strings', async (t) => {
  const pool = pseudonymPool(new Uint8Array([3, 1, 4, 1]), POOL);
  fc.assert(fc.property(sourceSpecArb, sourceSpecArb, (l, r) => {
    const ld = sourceData(pool, l);
    const rd = sourceData(pool, r);
    return JSON.stringify(pairsOf(joinPseudonyms(pseudonymColumnOf(ld), pseudonymColumnOf(rd)))) === JSON.stringify(expectedPairs(ld, rd));
  }), { numRuns: 200 });
  t.pass('200 random pairs of columns agree with the oracle');
});

t.test('gives the same pairs split over many partitions and passes, most partitions empty or of one row', async (t) => {
  const pool = pseudonymPool(new Uint8Array([3, 1, 4, 1]), POOL);
  fc.assert(fc.property(sourceSpecArb, sourceSpecArb, partitionedArb, (l, r, tuning) => joinsLikeOracle(pool, l, r, tuning)), { numRuns: 300 });
  t.pass('300 random pairs of columns and partition sizes agree with the oracle');
});

t.test('gives the same pairs when every key falls into one partition and one slot run', async (t) => {
  const pool = samePrefixPool(POOL);
  const tails = new Set(Array.from({ length: POOL }, (_, i) => Buffer.from(pool.subarray(i * PSEUDONYM_BYTES + 8, (i + 1) * PSEUDONYM_BYTES)).toString('hex')));
  t.equal(tails.size, POOL, 'the pool keys differ only after the shared 8-byte prefix');
  const tuningArb = fc.oneof(partitionedArb, fc.constant({}));
  fc.assert(fc.property(sourceSpecArb, sourceSpecArb, tuningArb, (l, r, tuning) => joinsLikeOracle(pool, l, r, tuning)), { numRuns: 200 });
  t.pass('200 random pairs of same-prefix columns agree with the oracle');
});

t.test('gives the same pairs when a partition is larger than asked (columns smaller than one partition)', async (t) => {
  const pool = pseudonymPool(new Uint8Array([8, 6, 7, 5]), POOL);
  const bigPartitions = fc.record({ partitionRows: fc.integer({ min: 50, max: 1 << 20 }), inPlaceRows: fc.constantFrom(0, 1 << 30), passRows: fc.integer({ min: 1, max: 1 << 20 }) });
  fc.assert(fc.property(sourceSpecArb, sourceSpecArb, bigPartitions, (l, r, tuning) => joinsLikeOracle(pool, l, r, tuning)), { numRuns: 200 });
  t.pass('200 random pairs of small columns with partitions larger than the columns agree with the oracle');
});

t.test('joins nothing when either side is empty or all null, in place or partitioned', async (t) => {
  const pool = pseudonymPool(new Uint8Array([2, 2, 2, 2]), 4);
  const some = { rows: [1, 2, null, 1], lead: 2 };
  for (const tuning of [{}, { partitionRows: 1, inPlaceRows: 0, passRows: 1 }]) {
    const join = (l: SourceSpec, r: SourceSpec): JoinPairs => joinPseudonymsPartitioned(columnOf(pool, l), columnOf(pool, r), tuning);
    for (const [l, r] of [
      [{ rows: [], lead: 0 }, some], [some, { rows: [], lead: 0 }], [{ rows: [], lead: 0 }, { rows: [], lead: 0 }],
      [{ rows: [null, null], lead: 3 }, some], [some, { rows: [null], lead: 0 }],
    ] as const) {
      const got = join(l, r);
      t.same([got.count, got.left.length, got.right.length], [0, 0, 0], `${l.rows.length} x ${r.rows.length} rows, tuning ${JSON.stringify(tuning)}`);
    }
  }
});

t.test('tells apart pseudonyms that differ in one byte only, at every byte position', async (t) => {
  // Key 0 and 32 variants of it, variant b + 1 with byte b flipped: only a full 32-byte
  // comparison keeps them apart (and bytes 0-7 also move the hash).
  const base = pseudonymPool(new Uint8Array([7, 7, 7, 7]), 1);
  const keys = new Uint8Array(33 * PSEUDONYM_BYTES);
  for (let v = 0; v < 33; v++) {
    keys.set(base, v * PSEUDONYM_BYTES);
    if (v > 0) keys[v * PSEUDONYM_BYTES + v - 1] ^= 0x01;
  }
  const left: PseudonymColumn = { pseudonyms: keys, valid: null, length: 33 };
  const reversed = new Uint8Array(keys.length);
  for (let v = 0; v < 33; v++) reversed.set(keys.subarray(v * PSEUDONYM_BYTES, (v + 1) * PSEUDONYM_BYTES), (32 - v) * PSEUDONYM_BYTES);
  const right: PseudonymColumn = { pseudonyms: reversed, valid: null, length: 33 };
  const want = Array.from({ length: 33 }, (_, j) => `${32 - j}:${j}`);
  for (const tuning of [{}, { partitionRows: 1, inPlaceRows: 0, passRows: 1 }]) {
    t.same(pairsOf(joinPseudonymsPartitioned(left, right, tuning)), want, JSON.stringify(tuning));
  }
});

t.test('ignores the bytes under a null row, on either side, in place or partitioned', async (t) => {
  // Arrow does not promise zeros under nulls: here every null row holds a real pool key.
  const pool = pseudonymPool(new Uint8Array([5, 3, 5, 3]), 4);
  const columnWithNulls = (keys: number[], nulls: number[], offset: number): PseudonymColumn => {
    const pseudonyms = new Uint8Array(keys.length * PSEUDONYM_BYTES);
    keys.forEach((k, i) => pseudonyms.set(pool.subarray(k * PSEUDONYM_BYTES, (k + 1) * PSEUDONYM_BYTES), i * PSEUDONYM_BYTES));
    const valid = new Uint8Array(Math.ceil((offset + keys.length) / 8)).fill(0xff);
    for (const i of nulls) valid[(offset + i) >> 3] &= ~(1 << ((offset + i) & 7));
    return { pseudonyms, valid, offset, length: keys.length };
  };
  const left = columnWithNulls([0, 1, 2, 1], [1], 3); // row 1 (key 1) is null
  const right = columnWithNulls([1, 2, 0, 2], [3], 6); // row 3 (key 2) is null
  for (const tuning of [{}, { partitionRows: 1, inPlaceRows: 0, passRows: 1 }]) {
    t.same(pairsOf(joinPseudonymsPartitioned(left, right, tuning)), ['3:0', '2:1', '0:2'], JSON.stringify(tuning));
  }
});

t.test('reads pseudonyms that start at an unaligned byte offset', async (t) => {
  const pool = pseudonymPool(new Uint8Array([4, 4, 4, 4]), 6);
  const rows = [3, 0, 5, 3];
  const backing = new Uint8Array(1 + rows.length * PSEUDONYM_BYTES);
  rows.forEach((p, i) => backing.set(pool.subarray(p * PSEUDONYM_BYTES, (p + 1) * PSEUDONYM_BYTES), 1 + i * PSEUDONYM_BYTES));
  const odd: PseudonymColumn = { pseudonyms: backing.subarray(1), valid: null, length: rows.length };
  t.equal(odd.pseudonyms.byteOffset % 4, 1, 'the fixture really is unaligned');
  const aligned = columnOf(pool, { rows: [5, 1, 3], lead: 0 });
  for (const tuning of [{}, { partitionRows: 1, inPlaceRows: 0, passRows: 1 }]) {
    t.same(pairsOf(joinPseudonymsPartitioned(odd, aligned, tuning)), ['2:0', '0:2', '3:2']);
    t.same(pairsOf(joinPseudonymsPartitioned(aligned, odd, tuning)), ['2:0', '0:2', '2:3']);
  }
});

t.test('joins above the in-place threshold with the default partitions, duplicates and nulls included', async (t) => {
  // Default tuning, so the real partition count (> 1) and partition size are exercised.
  const distinct = 60_000;
  const pool = pseudonymPool(new Uint8Array([1, 9, 8, 4]), distinct);
  let x = 12345;
  const next = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const rowsOf = (n: number): RowSpec[] => Array.from({ length: n }, () => (next() % 10 === 0 ? null : next() % distinct));
  const l = { rows: rowsOf(IN_PLACE_ROWS + 9_000), lead: 3 };
  const r = { rows: rowsOf(40_000), lead: 0 };
  const ld = sourceData(pool, l);
  const rd = sourceData(pool, r);
  const want = expectedPairs(ld, rd);
  t.ok(want.length > 40_000, `many-to-many: ${want.length} pairs`);
  t.same(pairsOf(joinPseudonyms(pseudonymColumnOf(ld), pseudonymColumnOf(rd))), want, 'default tuning: one pass');
  t.same(pairsOf(joinPseudonymsPartitioned(pseudonymColumnOf(ld), pseudonymColumnOf(rd), { passRows: 20_000 })), want, 'several passes');
});

t.test('rejects a partition or pass size below one row and a short right column even when the left is empty', async (t) => {
  const pool = pseudonymPool(new Uint8Array([2, 2, 2, 2]), 4);
  const empty = columnOf(pool, { rows: [], lead: 0 });
  t.throws(() => joinPseudonymsPartitioned(empty, empty, { partitionRows: 0 }), RangeError);
  t.throws(() => joinPseudonymsPartitioned(empty, empty, { passRows: 0 }), RangeError);
  t.throws(() => joinPseudonyms(empty, { pseudonyms: new Uint8Array(40), valid: null, length: 2 }), RangeError);
});
