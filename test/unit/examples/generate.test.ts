/**
 * The committed examples are what `npm run examples` generates, byte for byte, and they are
 * what the demo needs: mostly valid national numbers with a few broken ones, and schemas and a
 * project that Koppel accepts.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED, generateExamples, invalidInszShare } from '../../../examples/generate.js';
import { validateDatasetSchema, validateProjectSpec } from '../../../src/pipeline/schema-validation.js';
import { INSZ_VALID, normaliseInsz } from '../../../src/ingest/insz.js';
import { isPeriod, type DatasetSchema } from '../../../src/model.js';

const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));
const first = generateExamples();

t.test('generation is deterministic: the same seed gives the same bytes', async (t) => {
  const second = generateExamples();
  t.same([...second.files.keys()], [...first.files.keys()], 'the same files');
  for (const [name, content] of first.files) t.equal(second.files.get(name), content, `${name}: the same bytes`);
  const other = generateExamples(SEED + 1);
  t.not(other.files.get('vdab_jobseekers.csv'), first.files.get('vdab_jobseekers.csv'), 'another seed gives other data');
});

t.test('the committed example files equal a fresh generation, so they cannot drift', async (t) => {
  for (const [name, content] of first.files) {
    const file = path.join(EXAMPLES_DIR, name);
    t.ok(fs.existsSync(file), `${name} is committed`);
    if (!fs.existsSync(file)) continue;
    t.ok(fs.readFileSync(file).equals(Buffer.from(content)), `${name} is what generate.ts writes (run npm run examples after changing the generator)`);
  }
  const generatedData = fs.readdirSync(EXAMPLES_DIR).filter((name) => /\.(csv|json)$/.test(name));
  t.same(generatedData.sort(), [...first.files.keys()].sort(), 'and no stale data file lies beside them');
});

t.test('about 1-3% of national numbers per extract are missing, malformed or fail the check', async (t) => {
  for (const [name, extract] of Object.entries(first.extracts)) {
    const share = invalidInszShare(extract);
    t.ok(share >= 0.01 && share <= 0.03, `${name}: ${(share * 100).toFixed(1)}% invalid by the generator's own check`);
    // The product's validator must agree that roughly as many fail (it also accepts BIS numbers).
    const failing = extract.rows.filter((row) => normaliseInsz(String(row[0])).status !== INSZ_VALID).length / extract.rows.length;
    t.ok(failing >= 0.01 && failing <= 0.03, `${name}: ${(failing * 100).toFixed(1)}% refused by Koppel's INSZ validator`);
  }
});

t.test('the national numbers come in the spellings suppliers use, leading zeros lost included', async (t) => {
  const cells = Object.values(first.extracts).flatMap((e) => e.rows.map((row) => String(row[0])));
  t.ok(cells.some((c) => /^\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}$/.test(c)), 'YY.MM.DD-SSS.CC');
  t.ok(cells.some((c) => /^\d{6}-\d{3}-\d{2}$/.test(c)), 'YYMMDD-SSS-CC');
  t.ok(cells.some((c) => /^\d{6} \d{3} \d{2}$/.test(c)), 'YYMMDD SSS CC');
  t.ok(cells.some((c) => /^\d{11}$/.test(c)), '11 digits');
  const short = cells.filter((c) => /^\d{9,10}$/.test(c) && normaliseInsz(c).status === INSZ_VALID);
  t.ok(short.length > 0, `numbers that lost their leading zero and still validate once padded (${short.length})`);
  t.ok(short.every((c) => normaliseInsz(c).digits!.startsWith('0')), 'they normalise to 2000s births');
});

t.test('the example schemas and project pass Koppel\'s own validation', async (t) => {
  const schemas = new Map<string, DatasetSchema>();
  for (const name of ['vdab_jobseekers', 'rsz_employment', 'agodi_diplomas']) {
    const json = JSON.parse(first.files.get(`${name}.schema.json`)!) as unknown;
    const schema = validateDatasetSchema(json);
    t.equal(schema.name, name, `${name}.schema.json is a valid dataset schema`);
    const header = first.files.get(`${name}.csv`)!.split('\n', 1)[0].split(',');
    const read = schema.columns.filter((c) => c.derive === undefined).map((c) => c.name);
    t.same(header, read, `${name}.csv has exactly the columns its schema reads`);
    schemas.set(name, schema);
  }
  const project = validateProjectSpec(JSON.parse(first.files.get('project.json')!) as unknown, (name) => schemas.get(name) ?? null);
  t.same(Object.keys(project.approved).sort(), [...schemas.keys()].sort(), 'project.json approves variables of all three datasets');
  t.ok(project.key_variables.length > 0 && project.k >= 2, 'with key variables and a k');
  const periods = JSON.parse(first.files.get('periods.json')!) as Record<string, string>;
  t.same(Object.keys(periods).sort(), [...schemas.keys()].sort(), 'periods.json names a period per dataset');
  for (const [dataset, period] of Object.entries(periods)) t.ok(isPeriod(period), `${dataset}: ${period} is a period`);
  t.throws(() => validateProjectSpec({ ...project, key_variables: ['not_approved'] }, (name) => schemas.get(name) ?? null), { code: 'KOPPEL_ERR_SCHEMA_INVALID' }, 'the validation used here does refuse a bad project');
});
