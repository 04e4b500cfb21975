import t from 'tap';
import fc from 'fast-check';
import { Vector } from 'apache-arrow';
import {
  PseudonymTable, joinPseudonyms, hasPseudonym, pseudonymColumnOf, PSEUDONYM_BYTES,
} from '../../../src/link/pseudonym-join.js';
import { pseudonymPool, sourceData, columnOf, sourceSpecArb, POOL } from './spine-fixtures.js';

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
    const got = joinPseudonyms(pseudonymColumnOf(ld), pseudonymColumnOf(rd));
    const lh = hexRows(ld);
    const rh = hexRows(rd);
    const expected: string[] = [];
    for (let j = 0; j < rh.length; j++) {
      for (let i = 0; i < lh.length; i++) if (rh[j] !== null && lh[i] === rh[j]) expected.push(`${i}:${j}`);
    }
    const actual: string[] = [];
    for (let k = 0; k < got.count; k++) actual.push(`${got.left[k]}:${got.right[k]}`);
    return JSON.stringify(actual) === JSON.stringify(expected);
  }), { numRuns: 200 });
  t.pass('200 random pairs of columns agree with the oracle');
});

t.test('joins nothing when either side is empty or all null', async (t) => {
  const pool = pseudonymPool(new Uint8Array([2, 2, 2, 2]), 4);
  t.equal(joinPseudonyms(columnOf(pool, { rows: [], lead: 0 }), columnOf(pool, { rows: [1, 2], lead: 0 })).count, 0);
  t.equal(joinPseudonyms(columnOf(pool, { rows: [null, null], lead: 3 }), columnOf(pool, { rows: [null], lead: 0 })).count, 0);
});
