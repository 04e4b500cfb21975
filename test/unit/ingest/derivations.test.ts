import t from 'tap';
import type { DatasetSchema } from '../../../src/model.js';
import { deriveAgeOn, deriveBirthYear, deriveSex, validateDerivations } from '../../../src/ingest/derivations.js';
import { normaliseInszColumn } from '../../../src/ingest/insz.js';
import { utf8FromStrings, utf8ToStrings } from '../../../src/util/arrow-columns.js';
import { makeInsz } from './synthetic.js';

const schema = (extra: DatasetSchema['columns'][number][]): DatasetSchema => ({
  name: 'test_set',
  supplier: 'acme',
  schedule: 'quarterly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'DD/MM/YYYY' },
    { name: 'gemeente', role: 'attribute', type: 'code' },
    ...extra,
  ],
});

t.test('accepts the three derive functions on the right columns', async (t) => {
  const d = validateDerivations(
    schema([
      { name: 'by', role: 'attribute', derive: 'birth_year(geboortedatum)' },
      { name: 'age', role: 'attribute', derive: ' age_on( geboortedatum , 2024-01-01 ) ' },
      { name: 'sex', role: 'attribute', derive: 'sex(insz)' },
    ]),
  );
  t.same([...d.keys()], ['by', 'age', 'sex']);
  t.same(d.get('age'), { fn: 'age_on', source: 'geboortedatum', onDate: 20240101 });
});

t.test('lists every bad derivation in one KOPPEL_ERR_SCHEMA_INVALID', async (t) => {
  const cases: [string, string][] = [
    ['median(geboortedatum)', 'unknown derive function'],
    ['birth_year(nope)', 'unknown column'],
    ['birth_year(gemeente)', 'type date'],
    ['sex(geboortedatum)', 'national_id'],
    ['age_on(geboortedatum)', '2 arguments'],
    ['age_on(geboortedatum, 2024-13-01)', 'reference day'],
    ['birth_year', 'must look like'],
    ['birth_year(geboortedatum, insz)', '1 argument'],
  ];
  for (const [expr, why] of cases) {
    const err = t.throws(() => validateDerivations(schema([{ name: 'x', role: 'attribute', derive: expr }])), { code: 'KOPPEL_ERR_SCHEMA_INVALID' }) as any;
    t.match(err.details.problems[0], why, expr);
  }
  const both = t.throws(() =>
    validateDerivations(schema([{ name: 'a', role: 'attribute', derive: 'x(y)' }, { name: 'b', role: 'linkage', derive: 'sex(insz)' }])),
  ) as any;
  t.equal(both.details.problems.length, 2);
  t.match(both.details.problems[1], 'only attribute columns');
});

t.test('derives birth year and age on a day, birthdays counted exactly', async (t) => {
  const ymd = Int32Array.of(19850730, 0, 20000101, 20000102, 20250101);
  t.same(utf8ToStringsOf(deriveBirthYear(ymd)), [1985, null, 2000, 2000, 2025]);
  t.same(utf8ToStringsOf(deriveAgeOn(ymd, 20240101)), [38, null, 24, 23, null], 'born after the day: null');
});

t.test('derives sex from valid numbers only; BIS numbers with the sex unknown give null', async (t) => {
  const ids = normaliseInszColumn(
    utf8FromStrings([makeInsz(1985, 7, 30, 33), makeInsz(1985, 7, 30, 34), makeInsz(1985, 27, 30, 33), makeInsz(1985, 47, 30, 34), '12345678901', null]),
  );
  t.same(utf8ToStrings(deriveSex(ids.digits, ids.status)), ['M', 'F', null, 'F', null, null]);
});

function utf8ToStringsOf(data: { length: number; values: Int32Array; nullCount: number; nullBitmap?: Uint8Array | null; offset: number }): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < data.length; i++) {
    const ok = data.nullCount === 0 || ((data.nullBitmap![(data.offset + i) >> 3] >> ((data.offset + i) & 7)) & 1) === 1;
    out.push(ok ? data.values[i] : null);
  }
  return out;
}
