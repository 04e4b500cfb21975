import t from 'tap';
import type { DatasetSchema } from '../../../src/model.js';
import { compileIngestSchema } from '../../../src/ingest/ingest-schema.js';
import { matchHeader } from '../../../src/ingest/header-match.js';

const plan = compileIngestSchema({
  name: 'd',
  supplier: 's',
  schedule: 'yearly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'naam', role: 'linkage', type: 'surname' },
    { name: 'loon', role: 'attribute', type: 'number' },
    { name: 'by', role: 'attribute', derive: 'sex(insz)' },
  ],
} satisfies DatasetSchema);

t.test('maps schema columns to file positions in any order, names trimmed', async (t) => {
  t.same([...matchHeader(['loon', ' insz', 'naam '], plan)], [['loon', 0], ['insz', 1], ['naam', 2]]);
});

t.test('names missing, unknown and duplicate columns', async (t) => {
  const err = t.throws(() => matchHeader(['insz', 'Naam', 'insz', 'x'], plan), { code: 'KOPPEL_ERR_INGEST_HEADER' }) as any;
  t.same(err.details, { missing: ['naam', 'loon'], unknown: ['Naam', 'x'], unknown_positions: [2, 4], duplicate: ['insz'] });
  t.match(err.message, /missing 2 \(naam, loon\); unknown 2 \(Naam, x\); duplicate 1 \(insz\)/);
});

t.test('names no column when none matches: the first row is probably data', async (t) => {
  const err = t.throws(() => matchHeader(['85073003328', 'Peeters', '2500'], plan), { code: 'KOPPEL_ERR_INGEST_HEADER' }) as any;
  t.same(err.details, { missing: ['insz', 'naam', 'loon'], unknown_positions: [1, 2, 3], unknown_count: 3 });
  t.notMatch(err.message, /Peeters|85073003328|2500/);
});

t.test('an extra column is refused for an upload and ignored with allowExtra (koppel link)', async (t) => {
  const header = ['insz', 'naam', 'loon', 'straat'];
  const err = t.throws(() => matchHeader(header, plan), { code: 'KOPPEL_ERR_INGEST_HEADER' }) as any;
  t.same(err.details.unknown, ['straat']);
  t.same([...matchHeader(header, plan, { allowExtra: true })], [['insz', 0], ['naam', 1], ['loon', 2]]);
});

t.test('with allowExtra, a missing or duplicate column is still refused, naming it', async (t) => {
  const missing = t.throws(() => matchHeader(['insz', 'straat', 'loon'], plan, { allowExtra: true }), { code: 'KOPPEL_ERR_INGEST_HEADER' }) as any;
  t.same(missing.details.missing, ['naam']);
  t.match(missing.message, /missing 1 \(naam\); other columns 1 \(straat\)/);
  const twice = t.throws(() => matchHeader(['insz', 'naam', 'loon', 'naam '], plan, { allowExtra: true }), { code: 'KOPPEL_ERR_INGEST_HEADER' }) as any;
  t.same(twice.details.duplicate, ['naam']);
});

t.test('the headerless guard holds with and without allowExtra: no name of the first row is shown', async (t) => {
  for (const options of [{}, { allowExtra: true }]) {
    const err = t.throws(() => matchHeader(['85073003328', 'Peeters', '2500', 'Antwerpen'], plan, options), { code: 'KOPPEL_ERR_INGEST_HEADER' }) as any;
    t.same(err.details, { missing: ['insz', 'naam', 'loon'], unknown_positions: [1, 2, 3, 4], unknown_count: 4 });
    t.notMatch(`${err.message} ${JSON.stringify(err.details)}`, /Peeters|85073003328|2500|Antwerpen/);
  }
});
