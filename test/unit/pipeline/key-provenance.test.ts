import t from 'tap';
import type { DatasetSchema, ProjectSpec } from '../../../src/model.js';
import { keyVariableCopies, refuseKeyVariableCopies, sourceOf } from '../../../src/pipeline/key-provenance.js';

const vdab: DatasetSchema = {
  name: 'vdab', supplier: 'vdab', schedule: 'quarterly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'inschrijving', role: 'attribute', type: 'date' },
    { name: 'nis_code', role: 'attribute', type: 'code' },
    { name: 'birth_year', role: 'attribute', derive: 'birth_year(geboortedatum)' },
    { name: 'age', role: 'attribute', derive: 'age_on(geboortedatum, 2024-01-01)' },
    { name: 'sex', role: 'attribute', derive: 'sex(insz)' },
    { name: 'jaar_inschrijving', role: 'attribute', derive: 'birth_year(inschrijving)' },
  ],
};
const rsz: DatasetSchema = {
  name: 'rsz', supplier: 'rsz', schedule: 'yearly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'geb', role: 'linkage', type: 'date', format: 'DD/MM/YYYY' },
    { name: 'leeftijd', role: 'attribute', derive: 'age_on(geb, 2024-06-30)' },
    { name: 'geslacht', role: 'attribute', derive: 'sex(insz)' },
    { name: 'loon', role: 'attribute', type: 'number' },
  ],
};
const datasets = (name: string) => ({ vdab, rsz } as Record<string, DatasetSchema>)[name] ?? null;
const spec = (approved: ProjectSpec['approved'], key_variables: string[]): ProjectSpec => ({
  title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2024-01-01', valid_to: '2030-01-01', researchers: ['researcher:an'], k: 5, approved, key_variables,
});

t.test('the source of a column comes from its recorded derivation, whatever the function', async (t) => {
  const col = (name: string) => vdab.columns.find((c) => c.name === name)!;
  t.equal(sourceOf(col('birth_year'), vdab), 'linkage:date');
  t.equal(sourceOf(col('age'), vdab), 'linkage:date');
  t.equal(sourceOf(col('sex'), vdab), 'national_id');
  t.equal(sourceOf(col('jaar_inschrijving'), vdab), 'vdab.inschrijving', 'a derivation of an attribute date is that attribute');
  t.equal(sourceOf(col('inschrijving'), vdab), 'vdab.inschrijving');
  t.equal(sourceOf(col('nis_code'), vdab), 'vdab.nis_code');
});

t.test('refuses a non-key attribute from a key variable\'s source, naming both', async (t) => {
  const copies = keyVariableCopies(spec({ vdab: ['birth_year', 'age', 'nis_code'] }, ['birth_year', 'nis_code']), datasets);
  t.same(copies, [{ dataset: 'vdab', attribute: 'age', key_variable: 'birth_year', source: 'linkage:date' }]);
  t.throws(() => refuseKeyVariableCopies(spec({ vdab: ['birth_year', 'age'] }, ['birth_year']), datasets), {
    code: 'KOPPEL_ERR_SCHEMA_KEY_VARIABLE_COPY', message: /vdab\.age comes from linkage:date, the source of key variable birth_year/,
  });
});

t.test('the attribute itself next to its derivation, and sources shared across datasets', async (t) => {
  t.same(keyVariableCopies(spec({ vdab: ['jaar_inschrijving', 'inschrijving'] }, ['jaar_inschrijving']), datasets).map((c) => c.attribute), ['inschrijving']);
  t.same(keyVariableCopies(spec({ vdab: ['inschrijving', 'jaar_inschrijving'] }, ['inschrijving']), datasets).map((c) => c.attribute), ['jaar_inschrijving']);
  t.same(keyVariableCopies(spec({ vdab: ['sex'], rsz: ['geslacht', 'loon'] }, ['sex']), datasets).map((c) => `${c.dataset}.${c.attribute}`), ['rsz.geslacht'], 'every national number is one source');
  t.same(keyVariableCopies(spec({ vdab: ['birth_year'], rsz: ['leeftijd'] }, ['birth_year']), datasets).map((c) => `${c.dataset}.${c.attribute}`), ['rsz.leeftijd'], 'linkage dates are one source per type');
});

t.test('accepts key variables sharing a source, and attributes of other sources', async (t) => {
  t.same(keyVariableCopies(spec({ vdab: ['birth_year', 'age', 'sex', 'nis_code'], rsz: ['loon'] }, ['birth_year', 'age', 'sex']), datasets), []);
  t.doesNotThrow(() => refuseKeyVariableCopies(spec({ vdab: ['nis_code'], rsz: ['loon'] }, []), datasets));
});
