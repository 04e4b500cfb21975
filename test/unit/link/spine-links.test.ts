import t from 'tap';
import { linkRecords } from '../../../src/link/link-records.js';
import { linkFrame } from '../../../src/link/link-frame.js';
import { linkSettings } from '../../../src/link/link-settings.js';
import { restrictToNew } from '../../../src/link/spine-links.js';
import { DECISION_NON_MATCH } from '../../../src/link/clerical-decisions.js';
import { encodeRows, type Row, type TestField } from './link-fixtures.js';

const FIELDS: TestField[] = [
  { name: 'given', type: 'given_name' }, { name: 'surname', type: 'surname' }, { name: 'dob', type: 'date', format: 'YYYY-MM-DD' },
];
const person = (given: string, surname: string, dob: string): Row => ({ given, surname, dob });
const people = [
  person('Lotte', 'Peeters', '1980-01-02'), person('Jasper', 'Maes', '1975-06-30'), person('Noor', 'El Amrani', '1990-11-11'),
  person('Arne', 'Claes', '1962-03-15'), person('Fien', 'Willems', '2001-07-07'), person('Wout', 'Goossens', '1988-09-21'),
];

t.test('an incremental frame compares only source pairs that hold a new source', async (t) => {
  const sources = encodeRows([{ name: 'a', rows: people }, { name: 'b', rows: people }, { name: 'c', rows: people.slice(0, 3) }], FIELDS);
  const frame = linkFrame(sources, linkSettings());
  const restricted = restrictToNew(frame, { newSources: [false, false, true], prior: { a: new Int32Array(0), b: new Int32Array(0), length: 0 } });
  t.same(restricted.sourcePairs, [{ left: 0, right: 2 }, { left: 1, right: 2 }]);
  t.equal(restricted.comparablePairs, 6 * 3 + 6 * 3);
  t.same(restricted.incremental, { newSources: [false, false, true], budgetShare: 36 / (36 + 36) }, 'the engine\'s pair budget shrinks to the share of pairs compared');
  t.equal(restrictToNew(frame, undefined), frame, 'a full run keeps the frame');
});

t.test('the spine\'s earlier links hold its persons, and a new record joins the person it matches', async (t) => {
  const sources = encodeRows([{ name: 'a', rows: people }, { name: 'b', rows: people }, { name: 'c', rows: [people[4]] }], FIELDS);
  // The previous run linked a's record i with b's record i, except person 1 (left apart).
  const pairs = [0, 2, 3, 4, 5];
  const prior = { a: Int32Array.from(pairs), b: Int32Array.from(pairs, (i) => 6 + i), length: pairs.length };
  const result = linkRecords(sources, linkSettings({ threshold: 0.5 }), {}, { newSources: [false, false, true], prior });
  const { clusters } = result;
  for (const i of pairs) t.equal(clusters[i], clusters[6 + i], `spine person ${i} is held by its earlier link`);
  t.not(clusters[1], clusters[7], 'spine records the earlier run left apart are not compared again');
  t.equal(clusters[12], clusters[4], 'the new record joins its person');
  for (let i = 0; i < result.links.length; i++) t.ok(result.links.left[i] >= 12 || result.links.right[i] >= 12, 'every new link has a new record');
});

t.test('a cannot-link decided since the previous run outweighs its replayed link, also through a new record', async (t) => {
  const sources = encodeRows([{ name: 'a', rows: people }, { name: 'b', rows: people }, { name: 'c', rows: [people[2]] }], FIELDS);
  const pairs = [0, 2, 3, 4, 5];
  const prior = { a: Int32Array.from(pairs), b: Int32Array.from(pairs, (i) => 6 + i), length: pairs.length };
  // A reviewer called a's record 2 and b's record 2 a non-match; c's record matches both.
  const decisions = {
    leftSource: Int32Array.of(0), leftRecord: Int32Array.of(2), rightSource: Int32Array.of(1), rightRecord: Int32Array.of(2), verdict: Uint8Array.of(DECISION_NON_MATCH),
  };
  const result = linkRecords(sources, linkSettings({ threshold: 0.5, decisions }), {}, { newSources: [false, false, true], prior });
  const { clusters } = result;
  t.not(clusters[2], clusters[8], 'the decided pair stays apart');
  t.ok(clusters[12] !== clusters[2] || clusters[12] !== clusters[8], 'the new record joins at most one of them');
  for (const i of [0, 3, 4, 5]) t.equal(clusters[i], clusters[6 + i], `spine person ${i} is still held by its earlier link`);
});
