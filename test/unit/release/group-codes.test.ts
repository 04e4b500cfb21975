import t from 'tap';
import fc from 'fast-check';
import { groupByCodes } from '../../../src/release/group-codes.js';

/** The plain answer: rows sorted by tuple (null, -1, first), then by row; a group per distinct tuple. */
function reference(codes: readonly Int32Array[], records: number) {
  const rows = Array.from({ length: records }, (_, i) => i);
  const cmp = (a: number, b: number) => {
    for (const c of codes) if (c[a] !== c[b]) return c[a] - c[b];
    return a - b;
  };
  rows.sort(cmp);
  const groupOf = new Array<number>(records);
  const size: number[] = [];
  let count = 0;
  rows.forEach((row, i) => {
    if (i === 0 || codes.some((c) => c[row] !== c[rows[i - 1]])) { count++; size.push(0); }
    groupOf[row] = count - 1;
    size[count - 1]++;
  });
  return { count, order: rows, groupOf, size };
}

// Cardinalities chosen so that every path runs: one 16-bit pass (small key space), two passes
// (up to 2^32), and the per-variable sort (a key space past 2^32).
const table = fc.integer({ min: 1, max: 4 }).chain((variables) => fc.record({
  cards: fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 200, max: 70_000 }), fc.constant(5_000_000)), { minLength: variables, maxLength: variables }),
  records: fc.integer({ min: 0, max: 300 }),
  seed: fc.integer(),
}));

t.test('records are grouped by tuple in lexicographic order (null first), rows in order within a group, on every path', async (t) => {
  fc.assert(fc.property(table, ({ cards, records, seed }) => {
    let state = seed >>> 0;
    const next = () => { state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0; return state; };
    // Few distinct values per column, so that tuples repeat and groups have several rows.
    const codes = cards.map((card) => {
      const pool = Array.from({ length: 3 }, () => (card === 0 ? -1 : (next() % (card + 1)) - 1));
      return Int32Array.from({ length: records }, () => pool[next() % pool.length]);
    });
    const got = groupByCodes(codes, cards, records);
    const want = reference(codes, records);
    t.equal(got.count, want.count);
    t.same([...got.order], want.order);
    t.same([...got.groupOf], want.groupOf);
    t.same([...got.size], want.size);
    for (let g = 0; g < got.count; g++) t.equal(got.order[got.start[g]], want.order[want.order.findIndex((r) => want.groupOf[r] === g)]);
  }), { numRuns: 300 });
});

t.test('no variables: every record is one group', async (t) => {
  const got = groupByCodes([], [], 4);
  t.equal(got.count, 1);
  t.same([...got.order], [0, 1, 2, 3]);
});
