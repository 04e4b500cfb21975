import t from 'tap';
import type { DatasetSchema } from '../../../src/model.js';
import { compileIngestSchema, validateIngestSchema } from '../../../src/ingest/ingest-schema.js';

const base: DatasetSchema = {
  name: 'rsz_test',
  supplier: 'rsz',
  schedule: 'quarterly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'gebdat', role: 'linkage', type: 'date', format: 'YYYYMMDD' },
    { name: 'loon', role: 'attribute', type: 'number' },
    { name: 'by', role: 'attribute', derive: 'birth_year(gebdat)' },
    { name: 'x', role: 'drop' },
  ],
};

t.test('compiles the columns the file must carry and what to do with each', async (t) => {
  const plan = compileIngestSchema(base);
  t.same(plan.fileColumns, ['insz', 'gebdat', 'loon', 'x']);
  t.equal(plan.nationalId, 'insz');
  t.same(plan.linkage.map((c) => c.name), ['gebdat']);
  t.same(plan.attributes, [{ name: 'loon', type: 'number', required: false }]);
  t.same(plan.derived.map((d) => d.name), ['by']);
  t.ok(plan.dateFormats.has('gebdat'));
});

t.test('lists every problem in one KOPPEL_ERR_SCHEMA_INVALID', async (t) => {
  const bad: DatasetSchema = {
    ...base,
    columns: [
      ...base.columns,
      { name: 'insz2', role: 'national_id' },
      { name: 'loon', role: 'attribute' },
      { name: 'bedrag', role: 'attribute', type: 'money' },
      { name: 'dag', role: 'attribute', type: 'date', format: 'DD-MMM-YYYY' },
      { name: 'rol', role: 'owner' as never },
    ],
  };
  const err = t.throws(() => validateIngestSchema(bad), { code: 'KOPPEL_ERR_SCHEMA_INVALID' }) as any;
  const problems: string[] = err.details.problems;
  t.equal(problems.length, 5, problems.join('\n'));
  for (const what of ['declared twice', 'unknown role', 'only one national_id', 'unknown attribute type', 'date format']) {
    t.ok(problems.some((p) => p.includes(what)), what);
  }
  t.throws(() => validateIngestSchema({ ...base, columns: [] }), { code: 'KOPPEL_ERR_SCHEMA_INVALID' });
});
