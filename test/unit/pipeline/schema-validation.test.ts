import t from 'tap';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
import { validateDatasetSchema, validateProjectSpec } from '../../../src/pipeline/schema-validation.js';
import type { DatasetSchema } from '../../../src/model.js';

const dataset: DatasetSchema = {
  name: 'vdab_jobseekers', supplier: 'vdab', schedule: 'quarterly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'loon_cent', role: 'attribute', type: 'number', unit: 'EUR cent' },
    { name: 'birth_year', role: 'attribute', derive: 'birth_year(geboortedatum)' },
  ],
};

const project = {
  title: 'Transitions', purpose: 'research', legal_basis: 'IVC 22/123',
  valid_from: '2026-01-01', valid_to: '2027-12-31', researchers: ['researcher:an'],
  approved: { vdab_jobseekers: ['birth_year', 'loon_cent'] }, key_variables: ['birth_year'], k: 5,
};

t.test('accepts a well-formed dataset schema', async (t) => {
  t.same(validateDatasetSchema(dataset), dataset);
});

t.test('lists every problem of a bad dataset schema in one error', async (t) => {
  const bad = {
    name: 'Bad Name', supplier: 'vdab', schedule: 'sometimes',
    columns: [
      { name: 'a', role: 'national_id' }, { name: 'a', role: 'national_id' },
      { name: 'd', role: 'linkage', type: 'date' }, { name: 'x', role: 'linkage', type: 'colour' },
      { name: 'y', role: 'drop', derive: 'birth_year(d)' },
    ],
  };
  {
    const err = caught(() => validateDatasetSchema(bad)) as { code: string; details: { problems: string[] } };
    t.equal(err.code, 'KOPPEL_ERR_SCHEMA_INVALID');
    const text = err.details.problems.join('\n');
    for (const needle of ['name must', 'schedule must', 'used twice', 'needs a format', 'needs a type', 'only attributes can be derived', 'at most one column']) {
      t.match(text, needle);
    }
  }
});

t.test('accepts a project whose approvals and key variables exist', async (t) => {
  t.same(validateProjectSpec(project, (n) => (n === dataset.name ? dataset : null)), project);
});

t.test('refuses approvals of unknown datasets or attributes, and key variables not approved', async (t) => {
  const bad = { ...project, approved: { vdab_jobseekers: ['voornaam'], nope: ['x'] }, key_variables: ['sex'], valid_from: '2028-01-01', k: 1 };
  {
    const err = caught(() => validateProjectSpec(bad, (n) => (n === dataset.name ? dataset : null))) as { code: string; details: { problems: string[] } };
    const text = err.details.problems.join('\n');
    t.match(text, 'unknown dataset "nope"');
    t.match(text, '"voornaam" is not an attribute');
    t.match(text, 'key_variables[0]');
    t.match(text, 'valid_from must not be after valid_to');
    t.match(text, 'k must be');
  }
});

t.test('accepts the release choices and refuses anything else, listing each problem', async (t) => {
  const lookup = (n: string) => (n === dataset.name ? dataset : null);
  const chosen = { ...project, longitudinal: true, release_metadata: { match_probability: 'omit', link_method: 'key', period_pattern: 'omit' } };
  t.same(validateProjectSpec(chosen, lookup), chosen);
  const bad = { ...project, longitudinal: 'yes', release_metadata: { match_probability: 'exact', pattern: 'key' } };
  const err = caught(() => validateProjectSpec(bad, lookup)) as { code: string; details: { problems: string[] } };
  t.equal(err.code, 'KOPPEL_ERR_SCHEMA_INVALID');
  t.same(err.details.problems, [
    'longitudinal must be true or false',
    'release_metadata.match_probability must be one of bands, omit',
    'release_metadata.pattern is not a metadata column (match_probability, link_method, period_pattern)',
  ]);
  t.same((caught(() => validateProjectSpec({ ...project, release_metadata: [] }, lookup)) as { details: { problems: string[] } }).details.problems, ['release_metadata must be an object']);
});

t.test('a due rule is accepted beside a periodic schedule and kept as given', async (t) => {
  const withRule = { ...dataset, due_days: 45, expected_from: '2024Q1' };
  t.same(validateDatasetSchema(withRule), withRule);
  t.same(validateDatasetSchema({ ...dataset, schedule: 'monthly', due_days: 0, expected_from: '2024-03' }).due_days, 0);
});

t.test('a bad due rule is refused, each problem listed', async (t) => {
  const problemsOf = (input: object) => (caught(() => validateDatasetSchema(input)) as { code: string; details: { problems: string[] } });
  const bad = problemsOf({ ...dataset, due_days: -1, expected_from: '2024-03' });
  t.equal(bad.code, 'KOPPEL_ERR_SCHEMA_INVALID');
  t.match(bad.details.problems, [/due_days must be an integer from 0 to 366/, /expected_from must be a quarterly period/]);
  t.match(problemsOf({ ...dataset, due_days: 1.5 }).details.problems, [/due_days must be an integer/]);
  t.match(problemsOf({ ...dataset, due_days: 367 }).details.problems, [/due_days must be an integer/]);
  t.match(problemsOf({ ...dataset, expected_from: '1850Q1' }).details.problems, [/from 1900 on/]);
  t.match(problemsOf({ ...dataset, expected_from: 'soon' }).details.problems, [/expected_from must be a quarterly period/]);
  t.match(problemsOf({ ...dataset, schedule: 'adhoc', due_days: 10, expected_from: '2024' }).details.problems, [/due_days needs a periodic schedule/, /expected_from needs a periodic schedule/]);
});
