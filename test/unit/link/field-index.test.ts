import t from 'tap';
import fc from 'fast-check';
import { generatePairs, type PairList, type SourcePair } from '../../../src/link/blocking.js';
import { ruleKeys } from '../../../src/link/rule-keys.js';
import { compareField, comparisonSpecs } from '../../../src/link/comparison.js';
import { indexFields, UNKNOWN_TO_NEW } from '../../../src/link/field-index.js';
import { encodeRows, insz, type Row, type TestField } from './link-fixtures.js';

const FIELDS: TestField[] = [
  { name: 'nid', type: 'national_id' }, { name: 'given', type: 'given_name' }, { name: 'surname', type: 'surname' },
  { name: 'dob', type: 'date', format: 'YYYY-MM-DD' }, { name: 'sex', type: 'sex' }, { name: 'postcode', type: 'postcode' },
];
// Small vocabularies, so values repeat, names swap, dates swap day and month, and some are missing.
const GIVEN = ['Lotte', 'Jasper', 'Noor', 'Lotte Marie', 'Jan', 'Peeters', null];
const SURNAME = ['Peeters', 'Maes', 'Van den Broeck', 'Vandenbroeck', 'Jan', 'Claes', null];
const DOB = ['1980-01-02', '1980-02-01', '1975-06-30', '1980-01-03', '2001-07-07', null];
const NID = [insz(1980, 1, 2, 33), insz(1975, 6, 30, 34), insz(2001, 7, 7, 35), null];
const row = fc.record({
  nid: fc.constantFrom(...NID), given: fc.constantFrom(...GIVEN), surname: fc.constantFrom(...SURNAME),
  dob: fc.constantFrom(...DOB), sex: fc.constantFrom('M', 'F', null), postcode: fc.constantFrom('2000', '2018', '9000', null),
}) as fc.Arbitrary<Row>;

/** Every pair of a new record with another source's record, per source pair holding a new source. */
function pairsWithNew(sizes: readonly number[], isNew: readonly boolean[]): PairList[] {
  const lists: PairList[] = [];
  for (let l = 0; l < sizes.length; l++) {
    for (let r = l + 1; r < sizes.length; r++) {
      if (!isNew[l] && !isNew[r]) continue;
      const a: number[] = []; const b: number[] = [];
      for (let x = 0; x < sizes[l]; x++) for (let y = 0; y < sizes[r]; y++) { a.push(x); b.push(y); }
      lists.push({ left: l, right: r, a: Int32Array.from(a), b: Int32Array.from(b), length: a.length });
    }
  }
  return lists;
}

t.test('indexing the spine against the new records\' values compares, blocks and counts every pair with a new record as the full index does', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.array(row, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 3 }),
    fc.integer({ min: 1, max: 3 }),
    (rows, newMask) => {
      const isNew = rows.map((_, s) => ((newMask >> s) & 1) === 1 || s === rows.length - 1);
      if (isNew.every((n) => n)) isNew[0] = false;
      const sources = encodeRows(rows.map((r, s) => ({ name: `s${s}`, rows: r })), FIELDS);
      const full = indexFields(sources);
      const incremental = indexFields(sources, isNew);
      const specs = comparisonSpecs(full);
      const lists = pairsWithNew(rows.map((r) => r.length), isNew);
      for (const list of lists) {
        for (const spec of specs) {
          const want = new Uint8Array(list.length); const got = new Uint8Array(list.length);
          compareField(spec, full, sources, list, want);
          compareField(spec, incremental, sources, list, got);
          if (!want.every((v, i) => v === got[i])) return false;
        }
      }
      // Term frequencies and presence: as the full index's for every value a new record holds.
      for (let f = 0; f < FIELDS.length; f++) {
        if (full[f].present !== incremental[f].present) return false;
        for (let s = 0; s < sources.length; s++) {
          if (!isNew[s]) continue;
          for (let r = 0; r < sources[s].size; r++) {
            const a = full[f].ids[0][s][r]; const b = incremental[f].ids[0][s][r];
            if ((a < 0) !== (b < 0) || (a >= 0 && full[f].wholeCounts[a] !== incremental[f].wholeCounts[b])) return false;
          }
        }
      }
      // Blocking: the same candidate pairs under every single-slot and a two-field rule.
      const pairs: SourcePair[] = lists.map((l) => ({ left: l.left, right: l.right }));
      const rules = [[{ field: 1, slot: 0 }], [{ field: 2, slot: 1 }], [{ field: 3, slot: 0 }], [{ field: 1, slot: 0 }, { field: 5, slot: 0 }]];
      const generate = (index: typeof full) => generatePairs(rules.map((rule) => ruleKeys(rule, index, sources.length)), pairs, { maxBlockPairs: 1e9 }).pairs
        .map((l) => Array.from({ length: l.length }, (_, i) => `${l.left}.${l.a[i]}-${l.right}.${l.b[i]}`).sort().join(' '));
      return JSON.stringify(generate(full)) === JSON.stringify(generate(incremental));
    },
  ), { numRuns: 150 });
  t.pass('150 random spines and new deliveries');
});

t.test('a spine value no new record holds is neither absent nor equal to any id', async (t) => {
  const people: Row[] = [{ nid: null, given: 'Lotte', surname: 'Peeters', dob: '1980-01-02', sex: 'F', postcode: '2000' }];
  const others: Row[] = [{ nid: null, given: 'Jasper', surname: 'Maes', dob: '1975-06-30', sex: 'F', postcode: null }];
  const sources = encodeRows([{ name: 'spine', rows: people }, { name: 'new', rows: others }], FIELDS);
  const index = indexFields(sources, [false, true]);
  t.equal(index[1].ids[0][0][0], UNKNOWN_TO_NEW, 'the spine\'s given name is unknown to the new records');
  t.equal(index[5].ids[0][0][0], UNKNOWN_TO_NEW, 'a postcode only the spine holds is unknown, not absent');
  t.equal(index[5].ids[0][1][0], -1, 'the new record\'s missing postcode is absent');
  t.ok(index[4].ids[0][0][0] >= 0, 'a value both hold gets its id');
  t.equal(index[0].ids[0][0][0], -1, 'the national id is indexed whole (here: absent)');
});
