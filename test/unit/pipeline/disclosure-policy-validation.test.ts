import t from 'tap';
import { validateProjectSpec } from '../../../src/pipeline/schema-validation.js';
import type { DatasetSchema } from '../../../src/model.js';

const dataset: DatasetSchema = {
  name: 'vdab_jobseekers', supplier: 'vdab', schedule: 'quarterly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'nis_code', role: 'attribute', type: 'text' },
    { name: 'nationality', role: 'attribute', type: 'text' },
    { name: 'loon_cent', role: 'attribute', type: 'number', unit: 'EUR cent' },
    { name: 'birth_year', role: 'attribute', type: 'number' },
    ...['a1', 'a2', 'a3'].map((name) => ({ name, role: 'attribute' as const, type: 'text' as const })),
  ],
};

const project = {
  title: 'Transitions', purpose: 'research', legal_basis: 'IVC 22/123',
  valid_from: '2026-01-01', valid_to: '2027-12-31', researchers: ['researcher:an'],
  approved: { vdab_jobseekers: ['birth_year', 'nis_code', 'nationality', 'loon_cent'] },
  key_variables: ['birth_year', 'nis_code', 'nationality'], k: 5,
};
const schemas = (n: string): DatasetSchema | null => (n === dataset.name ? dataset : null);

function problems(spec: object): string {
  try {
    validateProjectSpec(spec, schemas);
  } catch (err) {
    const e = err as { code: string; details: { problems: string[] } };
    if (e.code !== 'KOPPEL_ERR_SCHEMA_INVALID') throw err;
    return e.details.problems.join('\n');
  }
  return '';
}

t.test('accepts hierarchies, a suppression limit and a sensitive attribute', async (t) => {
  const spec = {
    ...project,
    hierarchies: { birth_year: { bands: [5, 10] }, nis_code: { prefixes: [2, 1] }, nationality: { groups: [{ NL: 'EU', MA: 'non-EU' }] } },
    suppression_limit: 0.05,
    sensitive: { attribute: 'loon_cent', l: 2 },
  };
  t.same(validateProjectSpec(spec, schemas), spec);
});

t.test('refuses hierarchies that do not nest, name no key variable, clash with generalise or span too big a lattice', async (t) => {
  const text = problems({
    ...project,
    generalise: { nis_code: { prefix: 2 } },
    hierarchies: { birth_year: { bands: [5, 12] }, nis_code: { prefixes: [2] }, loon_cent: { prefixes: [3, 2] }, nationality: { colours: [1] } },
  });
  for (const needle of ['not a multiple', 'only key variables', 'fixed level in generalise', 'hierarchies.nationality must be']) t.match(text, needle);
  // Five variables with ten levels each (plus value and *): 12^5 nodes.
  const names = ['nis_code', 'nationality', 'a1', 'a2', 'a3'];
  const big = problems({
    ...project, approved: { vdab_jobseekers: names }, key_variables: names,
    hierarchies: Object.fromEntries(names.map((n) => [n, { prefixes: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1] }])),
  });
  t.match(big, 'span 248832 lattice nodes');
});

t.test('refuses a suppression limit outside 0..1 and a sensitive attribute that is a key variable or not approved', async (t) => {
  t.match(problems({ ...project, suppression_limit: 2 }), 'suppression_limit must be');
  t.match(problems({ ...project, sensitive: { attribute: 'birth_year', l: 2 } }), 'sensitive.attribute');
  t.match(problems({ ...project, sensitive: { attribute: 'voornaam', l: 2 } }), 'sensitive.attribute');
  t.match(problems({ ...project, sensitive: { attribute: 'loon_cent', l: 1 } }), 'sensitive.l');
});
