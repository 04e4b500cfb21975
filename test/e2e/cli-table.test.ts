/**
 * `koppel table --config table.json --out DIR` (issue 12): a table from a local CSV through the
 * server's table pipeline, on constructed data with a known answer; bad configs exit 2 naming
 * the field.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { main } from '../../src/cli/main.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write(chunk, _e, done) { f(String(chunk)); done(); } });
  const code = await main(argv, { stdout: sink((s) => { out += s; }), stderr: sink((s) => { err += s; }), env: {} });
  return { code, out, err };
}

/** Region A: 40 persons of one quarter each; region B: 4 persons in 2024Q1 (under the threshold), 30 in Q2. */
function wages(): string {
  const lines = ['person_id,region,quarter,wage,employer'];
  let p = 0;
  for (const [region, quarter, n] of [['A', '2024Q1', 20], ['A', '2024Q2', 20], ['B', '2024Q1', 4], ['B', '2024Q2', 30]] as const) {
    for (let i = 0; i < n; i++) lines.push(`p${p++},${region},${quarter},${(200000 + i * 10).toFixed(0)},e${i % 7}`);
  }
  return `${lines.join('\n')}\n`;
}

t.test('koppel table builds a table from a local file, suppresses and audits it, and writes its outputs', async (t) => {
  const dir = t.testdir({ 'wages.csv': wages() });
  const config = {
    file: 'wages.csv', person: 'person_id', period: 'quarter', name: 'persons_by_region', title: 'Persons by region and quarter', measure: 'persons',
    dimensions: [{ variable: 'region' }, { variable: 'period' }], open_data: true, dcat: { licence: 'CC-BY-4.0', publisher: 'Test' },
  };
  writeFileSync(join(dir, 'table.json'), JSON.stringify(config));
  const r = await run(['table', '--config', join(dir, 'table.json'), '--out', join(dir, 'out')]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /9 cells: \d+ published, 1 primary, [1-9]\d* secondary suppressions/);
  t.match(r.out, /0 narrower than their protection/);
  const rows = readFileSync(join(dir, 'out', 'table.csv'), 'utf8').trim().split('\n');
  t.equal(rows[0], 'region,period,value,flag');
  t.ok(rows.includes('B,2024Q1,,primary'), 'the 4 persons of B in 2024Q1 are suppressed');
  t.ok(rows.includes('Total,Total,74,published'), 'the grand total is published');
  t.ok(rows.filter((l) => l.endsWith(',secondary')).length >= 2, 'its row and column each get a complementary suppression');
  const manifest = JSON.parse(readFileSync(join(dir, 'out', 'manifest.json'), 'utf8'));
  t.equal(manifest.suppression_audit.narrow, 0);
  t.ok(JSON.parse(readFileSync(join(dir, 'out', 'datapackage.json'), 'utf8')).resources[0].schema.fields.length === 4);
});

t.test('a sum by employer: contributions are added per unit before the dominance rule', async (t) => {
  const dir = t.testdir({ 'wages.csv': 'person_id,region,wage,employer\n' + Array.from({ length: 30 }, (_, i) => `p${i},${i < 15 ? 'A' : 'B'},1000,${i < 15 ? 'big' : `e${i}`}`).join('\n') + '\n' });
  writeFileSync(join(dir, 'table.json'), JSON.stringify({
    file: 'wages.csv', person: 'person_id', name: 'wages', title: 'Wages', measure: 'sum', value: 'wage', unit: 'employer',
    dimensions: [{ variable: 'region' }], policy: { min_frequency: 1, dominance: { n: 1, k: 85 }, p_percent: null },
  }));
  const r = await run(['table', '--config', join(dir, 'table.json'), '--out', join(dir, 'out')]);
  t.equal(r.code, 0, r.err);
  const rows = readFileSync(join(dir, 'out', 'table.csv'), 'utf8').trim().split('\n');
  t.ok(rows.includes('A,,primary'), 'region A has one employer: 15 records, one contributor, dominant');
  t.ok(rows.includes('B,,secondary') !== rows.includes('Total,,secondary'), 'and B or the total protects it');
});

t.test('a bad config exits 2 naming the field', async (t) => {
  const dir = t.testdir({ 'wages.csv': wages() });
  const cases: [object, RegExp][] = [
    [{ measure: 'sum' }, /value: a sum table names its value column/],
    [{ dimensions: [{ variable: 'region', band: 0 }] }, /dimensions\.0\.band/],
    [{ dimensions: [{ variable: 'period' }], period: undefined }, /a period dimension needs the "period" column/],
    [{ colour: 'red' }, /additional properties \(colour\)/],
    [{ file: 'missing.csv' }, /KOPPEL_ERR_LINK_SOURCE_UNREADABLE/],
    [{ dimensions: [{ variable: 'nope' }] }, /no column nope|nope/],
  ];
  for (const [patch, message] of cases) {
    writeFileSync(join(dir, 'table.json'), JSON.stringify({ file: 'wages.csv', person: 'person_id', period: 'quarter', name: 'x', title: 'X', measure: 'persons', dimensions: [{ variable: 'region' }], ...patch }));
    const r = await run(['table', '--config', join(dir, 'table.json'), '--out', join(dir, 'out')]);
    t.equal(r.code, 2, `exit 2 for ${JSON.stringify(patch)}`);
    t.match(r.err, message);
  }
  t.equal((await run(['table', '--out', dir])).code, 2, '--config is required');
});

/**
 * Persons per region and quarter: region B has 4 persons in 2024Q1 (under the threshold). With
 * the loss measured by value, the first quarter alone protects B with A (12 persons), the two
 * quarters alone with C (A's second quarter is large): built without the first quarter in mind,
 * the second would publish A's first quarter, and with the first table's published C and total
 * give B's 4 persons away (41 - 25 - 12).
 */
function quarters(which: readonly string[]): string {
  const lines = ['person_id,region,quarter'];
  let p = 0;
  for (const [region, quarter, n] of [['A', '2024Q1', 12], ['B', '2024Q1', 4], ['C', '2024Q1', 25], ['A', '2024Q2', 200], ['B', '2024Q2', 30], ['C', '2024Q2', 10]] as const) {
    for (let i = 0; i < n; i++, p++) if (which.includes(quarter)) lines.push(`p${p},${region},${quarter}`);
  }
  return `${lines.join('\n')}\n`;
}

const flagsOf = (csv: string) => new Map(csv.trim().split('\n').slice(1).map((l) => { const f = l.split(','); return [`${f[0]},${f[1]}`, f[3]]; }));

t.test('koppel table --earlier: the second quarter, built with the first as earlier, keeps the first\'s suppressed cells suppressed where shared', async (t) => {
  const dir = t.testdir({ 'q1.csv': quarters(['2024Q1']), 'both.csv': quarters(['2024Q1', '2024Q2']) });
  const config = (file: string, extra: object = {}) => JSON.stringify({
    file, person: 'person_id', period: 'quarter', name: 'persons_by_region', title: 'Persons by region and quarter', measure: 'persons', loss: 'value',
    dimensions: [{ variable: 'region' }, { variable: 'period' }], ...extra,
  });
  writeFileSync(join(dir, 'q1.json'), config('q1.csv'));
  t.equal((await run(['table', '--config', join(dir, 'q1.json'), '--out', join(dir, 'out1')])).code, 0);
  const first = flagsOf(readFileSync(join(dir, 'out1', 'table.csv'), 'utf8'));
  t.equal(first.get('B,2024Q1'), 'primary');
  t.equal(first.get('A,2024Q1'), 'secondary', 'the first quarter protects B with A');
  t.equal(first.get('C,2024Q1'), 'published');

  writeFileSync(join(dir, 'q2.json'), config('both.csv'));
  t.equal((await run(['table', '--config', join(dir, 'q2.json'), '--out', join(dir, 'alone')])).code, 0);
  t.equal(flagsOf(readFileSync(join(dir, 'alone', 'table.csv'), 'utf8')).get('A,2024Q1'), 'published', 'without --earlier the second quarter would publish A in 2024Q1');

  for (const [label, args, earlierInConfig] of [['--earlier table.json', ['--earlier', join(dir, 'out1', 'table.json')], undefined], ['"earlier": table.csv in the config', [], ['out1/table.csv']]] as const) {
    writeFileSync(join(dir, 'q2.json'), config('both.csv', earlierInConfig === undefined ? {} : { earlier: earlierInConfig }));
    const out = join(dir, `out-${earlierInConfig === undefined ? 'json' : 'csv'}`);
    const r = await run(['table', '--config', join(dir, 'q2.json'), '--out', out, ...args]);
    t.equal(r.code, 0, r.err);
    t.match(r.out, /earlier tables: 1 linked, [1-9]\d* shared cells/, `${label}: the earlier table is linked`);
    const second = flagsOf(readFileSync(join(out, 'table.csv'), 'utf8'));
    for (const region of ['A', 'B', 'C', 'Total']) {
      const before = first.get(`${region},2024Q1`)!;
      t.equal(second.get(`${region},2024Q1`) === 'published', before === 'published', `${label}: ${region},2024Q1 was ${before}, is ${second.get(`${region},2024Q1`)}`);
    }
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    t.equal(manifest.suppression_audit.narrow, 0);
    t.match(manifest.consistency, { linked_tables: 1 });
    t.ok(manifest.consistency.differing_cells > 0, 'the first quarter\'s totals (one quarter) differ from the second\'s (two) and are not shared');
  }

  // The second quarter's file alone does not hold the first quarter's suppressed cells.
  writeFileSync(join(dir, 'q2only.csv'), quarters(['2024Q2']));
  writeFileSync(join(dir, 'q2.json'), config('q2only.csv', { earlier: ['out1/table.json'] }));
  const refused = await run(['table', '--config', join(dir, 'q2.json'), '--out', join(dir, 'out3')]);
  t.equal(refused.code, 2, 'an earlier table the records cannot place exits 2');
  t.match(refused.err, /KOPPEL_ERR_SCHEMA_TABLE_INVALID.*earlier table table\.json: a suppressed cell \([AB], 2024Q1\) is not in the new table/);
  writeFileSync(join(dir, 'q2.json'), config('both.csv', { earlier: ['missing.json'] }));
  t.match((await run(['table', '--config', join(dir, 'q2.json'), '--out', join(dir, 'out4')])).err, /earlier table missing\.json: cannot be read \(ENOENT\)/);
});
