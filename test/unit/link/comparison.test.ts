import t from 'tap';
import { compareField, comparisonSpecs } from '../../../src/link/comparison.js';
import { indexFields } from '../../../src/link/field-index.js';
import type { PairList } from '../../../src/link/blocking.js';
import { encodeRows, type Row, type TestField } from './link-fixtures.js';

const FIELDS: TestField[] = [
  { name: 'given_name', type: 'given_name' }, { name: 'surname', type: 'surname' },
  { name: 'dob', type: 'date', format: 'YYYY-MM-DD' }, { name: 'postcode', type: 'postcode' }, { name: 'sex', type: 'sex' },
];

/** Levels of field `name` for row i of `left` against row i of `right`, as labels. */
function levels(left: Row[], right: Row[], name: string): string[] {
  const sources = encodeRows([{ name: 'l', rows: left }, { name: 'r', rows: right }], FIELDS);
  const index = indexFields(sources);
  const specs = comparisonSpecs(index);
  const f = specs.findIndex((s) => s.name === name);
  const list: PairList = { left: 0, right: 1, a: Int32Array.from(left.keys()), b: Int32Array.from(left.keys()), length: left.length };
  const out = new Uint8Array(left.length);
  compareField(specs[f], index, sources, list, out);
  return [...out].map((l) => specs[f].levels[l]);
}

const row = (given: string | null, surname: string | null, dob: string | null = null, postcode: string | null = null, sex: string | null = null): Row => ({ given_name: given, surname, dob, postcode, sex });

t.test('surname levels: exact through particles and case, without particles, phonetic, transposed, typo, swapped, different, null', async (t) => {
  const got = levels(
    [row('Jan', 'Van den Broeck'), row('Jan', 'Van den Broeck'), row('Jan', 'Claes'), row('Jan', 'Jacobs'), row('Jan', 'Vandekerckhove'), row('Jan', 'Vermeulen'), row('Marc', 'Martin'), row('Jan', 'Peeters'), row('Jan', null)],
    [row('Jan', 'VANDENBROECK'), row('Jan', 'Broeck'), row('Jan', 'Klaas'), row('Jan', 'Ajcobs'), row('Jan', 'Vandekerckhovq'), row('Jan', 'Vernreulen'), row('Martin', 'Marc'), row('Jan', 'Maes'), row('Jan', 'Maes')],
    'surname');
  t.same(got, ['exact', 'same without particles', 'phonetic or letters transposed', 'phonetic or letters transposed', 'dice >= 0.85', 'dice >= 0.7', 'swapped with given name', 'different', 'null']);
});

t.test('given name levels: first of several given names, hyphens, phonetic spelling', async (t) => {
  const got = levels([row('Jan Pieter', 'X'), row('Jean-Pierre', 'X'), row('Sofie', 'X')], [row('JAN', 'X'), row('Jean Pierre', 'X'), row('Sophie', 'X')], 'given_name');
  t.same(got, ['same first given name', 'exact', 'phonetic or letters transposed']);
});

t.test('date levels: exact, day and month swapped, one part differs, different, invalid is null', async (t) => {
  const got = levels(
    [row('a', 'b', '1985-03-07'), row('a', 'b', '1985-03-07'), row('a', 'b', '1985-03-07'), row('a', 'b', '1985-03-07'), row('a', 'b', '1985-03-07')],
    [row('a', 'b', '1985-03-07'), row('a', 'b', '1985-07-03'), row('a', 'b', '1986-03-07'), row('a', 'b', '1990-11-21'), row('a', 'b', '1985-02-31')],
    'dob');
  t.same(got, ['exact', 'day and month swapped', 'one part differs', 'different', 'null']);
});

t.test('postcode and sex levels', async (t) => {
  t.same(levels([row('a', 'b', null, '9000'), row('a', 'b', null, '9000'), row('a', 'b', null, '9000')], [row('a', 'b', null, 'B-9000'), row('a', 'b', null, '9001'), row('a', 'b', null, '2000')], 'postcode'), ['exact', 'prefix', 'different']);
  t.same(levels([row('a', 'b', null, null, 'M'), row('a', 'b', null, null, 'V')], [row('a', 'b', null, null, '1'), row('a', 'b', null, null, '1')], 'sex'), ['exact', 'different']);
});
