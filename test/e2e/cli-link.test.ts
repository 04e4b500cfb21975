import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import t from 'tap';
import { Field, Int32, List, Table, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { runLink } from '../../src/cli/link-command.js';
import { belgianCsv, belgianTruth, generateBelgian, BELGIAN_JOB_FIELDS, type BelgianData } from '../../benchmarks/data/belgian.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return { stream: new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } }), text: () => Buffer.concat(chunks).toString('utf8') };
}

async function link(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink(); const err = sink();
  const code = await runLink(argv, { stdout: out.stream, stderr: err.stream, env });
  return { code, stdout: out.text(), stderr: err.text() };
}

function writeJob(dir: string, job: object, name = 'job.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(job));
  return path;
}

function csvRows(file: string): string[][] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));
}

function f1(dir: string, data: BelgianData): number {
  const truth = new Set(belgianTruth(data).map((x) => x.join('|')));
  const links = csvRows(join(dir, 'links.csv')).slice(1).map((r) => `${r[0]}|${r[1]}|${r[2]}|${r[3]}`);
  const tp = links.filter((l) => truth.has(l)).length;
  return (2 * tp) / (links.length + truth.size);
}

const data = generateBelgian({ people: 1500, seed: 99 });
const sources = data.sources.map((s) => ({ name: s.name, path: `${s.name}.csv`, id: 'record_id' }));

t.test('links two CSV sources and writes the four outputs in the contract format', async (t) => {
  const dir = t.testdir();
  for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
  const config = writeJob(dir, { sources, fields: BELGIAN_JOB_FIELDS });
  const out = join(dir, 'out');
  const r = await link(['--config', config, '--out', out]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /links \(\d+ deterministic, \d+ probabilistic\)/);
  // Progress on stderr, one line per step as it ends, in order.
  const steps = r.stderr.trim().split('\n').map((l) => /^koppel link: (.+?)(?: \(.*\))? \d+\.\d s$/.exec(l)?.[1]);
  t.same(steps, ['read vdab', 'encode vdab', 'read rsz', 'encode rsz', 'index', 'deterministic', 'blocking', 'comparison', 'estimation', 'scoring', 'assignment', 'clusters', 'review queue', 'write']);
  const quiet = await link(['--config', config, '--out', join(dir, 'out-quiet'), '--quiet']);
  t.equal(quiet.code, 0);
  t.equal(quiet.stderr, '', '--quiet: no progress');
  t.same(readdirSync(out).sort(), ['clusters.csv', 'links.csv', 'report.html', 'report.json']);
  const links = csvRows(join(out, 'links.csv'));
  t.same(links[0], ['left_source', 'left_id', 'right_source', 'right_id', 'match_probability', 'match_weight', 'method']);
  for (const row of links.slice(1)) {
    t.equal(row[0], 'vdab'); t.equal(row[2], 'rsz');
    if (row[6] === 'deterministic') { t.equal(row[4], '1'); t.equal(row[5], ''); } else {
      t.equal(row[6], 'probabilistic');
      t.ok(Number(row[4]) > 0 && Number(row[4]) <= 1);
      t.ok(Number.isFinite(Number(row[5])));
    }
  }
  const clusters = csvRows(join(out, 'clusters.csv'));
  t.same(clusters[0], ['cluster_id', 'source', 'id']);
  t.equal(clusters.length - 1, data.sources[0].rows.length + data.sources[1].rows.length, 'every record, singletons included');
  t.equal(new Set(clusters.slice(1).map((r) => `${r[1]}|${r[2]}`)).size, clusters.length - 1, 'each record once');
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  for (const key of ['sources', 'deterministic', 'blocking', 'model', 'scoring', 'links', 'clusters', 'estimate', 'timings_ms']) t.ok(key in report, key);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  t.match(html, /<svg/);
  t.notMatch(html, /(src|href)=["']?https?:/, 'nothing loaded from the network');
  t.ok(f1(out, data) > 0.97, `F1 ${f1(out, data).toFixed(4)}`);
});

t.test('no input name, national number or date appears in any output file', async (t) => {
  const dir = t.testdir();
  for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
  const out = join(dir, 'out');
  t.equal((await link(['--config', writeJob(dir, { sources, fields: BELGIAN_JOB_FIELDS }), '--out', out])).code, 0);
  const outputs = readdirSync(out).map((f) => readFileSync(join(out, f), 'utf8').toLowerCase()).join('\n');
  const digitsOnly = outputs.replace(/[^0-9\n,]/g, '');
  const sentinels = new Set<string>();
  for (const s of data.sources) {
    for (const r of s.rows) {
      const [, insz, given, surname, dob] = r;
      for (const name of [...given.split(/[ -]/), surname]) if (name.length >= 5) sentinels.add(name.toLowerCase());
      if (insz.replace(/\D/g, '').length >= 9) sentinels.add(`#${insz.replace(/\D/g, '')}`);
      if (dob) sentinels.add(dob);
    }
  }
  let checked = 0;
  for (const s of sentinels) {
    checked++;
    if (s.startsWith('#')) t.equal(digitsOnly.indexOf(s.slice(1)), -1, 'a national number');
    else t.equal(outputs.indexOf(s), -1, 'an input value');
  }
  t.ok(checked > 1000, `${checked} sentinel values checked`);
});

t.test('reads gzipped CSV with semicolons and latin1, Arrow IPC and Parquet, and links them alike', async (t) => {
  const dir = t.testdir();
  const [a, b] = data.sources;
  writeFileSync(join(dir, 'a.csv.gz'), gzipSync(Buffer.from(belgianCsv(a).replace(/,/g, ';'), 'latin1')));
  const columns = Object.fromEntries(b.header.map((h, i) => [h, b.rows.map((r) => r[i])]));
  const table = tableFromArrays(columns);
  writeFileSync(join(dir, 'b.arrow'), tableToIPC(table, 'file'));
  const parquet = await import('parquet-wasm/node');
  writeFileSync(join(dir, 'b.parquet'), parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream'))));
  const fields = BELGIAN_JOB_FIELDS;
  const csvSource = { name: 'vdab', path: 'a.csv.gz', id: 'record_id', encoding: 'latin1' };
  const results: string[] = [];
  for (const file of ['b.arrow', 'b.parquet']) {
    const out = join(dir, `out-${file}`);
    const r = await link(['--config', writeJob(dir, { sources: [csvSource, { name: 'rsz', path: file, id: 'record_id' }], fields }, `${file}.json`), '--out', out]);
    t.equal(r.code, 0, r.stderr);
    t.ok(f1(out, data) > 0.97, `${file}: F1 ${f1(out, data).toFixed(4)}`);
    results.push(readFileSync(join(out, 'links.csv'), 'utf8').split('\n').map((l) => l.split(',').slice(0, 4).join(',')).sort().join('\n'));
  }
  t.equal(results[0], results[1], 'Arrow and Parquet give the same links');
});

t.test('a local file may carry extra columns, of any type: they are ignored', async (t) => {
  const dir = t.testdir();
  const [a, b] = data.sources;
  writeFileSync(join(dir, 'a.csv'), belgianCsv(a).split('\n').map((l, i) => (l === '' ? l : `${l},${i === 0 ? 'opmerking' : 'x'}`)).join('\n'));
  const columns = Object.fromEntries(b.header.map((h, i) => [h, b.rows.map((r) => r[i])]));
  // A list column, which ingest cannot read as text: an upload would be refused for it.
  const extra = vectorFromArray(b.rows.map(() => [1, 2]), new List(new Field('item', new Int32())));
  const base = tableFromArrays(columns);
  const vectors = Object.fromEntries(base.schema.fields.map((f) => [f.name, base.getChild(f.name)!]));
  writeFileSync(join(dir, 'b.arrow'), tableToIPC(new Table({ ...vectors, tags: extra }), 'stream'));
  const out = join(dir, 'out');
  const r = await link(['--config', writeJob(dir, { sources: [{ name: 'vdab', path: 'a.csv', id: 'record_id' }, { name: 'rsz', path: 'b.arrow', id: 'record_id' }], fields: BELGIAN_JOB_FIELDS }), '--out', out]);
  t.equal(r.code, 0, r.stderr);
  t.ok(f1(out, data) > 0.97, `F1 ${f1(out, data).toFixed(4)}`);
});

t.test('a run estimated over KOPPEL_MEMORY_BUDGET stops before linking, exit 1 with the code, and writes nothing', async (t) => {
  const dir = t.testdir();
  for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
  const config = writeJob(dir, { sources, fields: BELGIAN_JOB_FIELDS });
  const out = join(dir, 'out');
  const r = await link(['--config', config, '--out', out, '--quiet'], { KOPPEL_MEMORY_BUDGET: '100M' });
  t.equal(r.code, 1);
  t.match(r.stderr, /^koppel link: KOPPEL_ERR_LINK_OVER_MEMORY_BUDGET: The linkage of \d+ records needs an estimated [\d.]+ GiB .*over the memory budget of 0\.1 GiB\.\n$/);
  t.notOk(existsSync(out), 'no output written');
});

t.test('bad job files exit 2 with a message naming the file, field and column', async (t) => {
  const dir = t.testdir();
  for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
  const cases: [string, object, RegExp][] = [
    ['unknown type', { sources, fields: [{ name: 'surname', type: 'family_name' }] }, /bad-type\.json.*field surname: unknown type "family_name"/],
    ['unknown date format', { sources, fields: [{ name: 'date_of_birth', type: 'date', format: 'DD-MM-YY' }] }, /field date_of_birth: unknown date format "DD-MM-YY"/],
    ['missing column', { sources: [sources[0], { ...sources[1], columns: { surname: 'familienaam' } }], fields: BELGIAN_JOB_FIELDS }, /Source rsz: file rsz\.csv has no column familienaam for field surname/],
    ['field absent from a source', { sources, fields: [...BELGIAN_JOB_FIELDS, { name: 'nationality', type: 'code' }] }, /file vdab\.csv has no column nationality for field nationality/],
    ['missing id column', { sources: [{ ...sources[0], id: 'rijksregisternummer' }, sources[1]], fields: BELGIAN_JOB_FIELDS }, /has no id column rijksregisternummer/],
    ['unreadable file', { sources: [{ ...sources[0], path: 'nowhere.csv' }, sources[1]], fields: BELGIAN_JOB_FIELDS }, /Source vdab: file nowhere\.csv cannot be read/],
    ['file without its header row', { sources: [sources[0], { ...sources[1], path: 'headerless.csv' }], fields: BELGIAN_JOB_FIELDS }, /Source rsz: file headerless\.csv: its first row names none of the columns the job reads \(id column record_id, column insz for field insz, .*\); is the header row missing\?/],
  ];
  const headerless = belgianCsv(data.sources[1]).split('\n').slice(1);
  writeFileSync(join(dir, 'headerless.csv'), headerless.join('\n'));
  const firstRow = headerless[0].split(',');
  for (const [what, job, pattern] of cases) {
    const name = what === 'unknown type' ? 'bad-type.json' : `${what.replace(/ /g, '-')}.json`;
    const r = await link(['--config', writeJob(dir, job, name), '--out', join(dir, 'out')]);
    t.equal(r.code, 2, what);
    t.match(r.stderr, pattern, what);
    t.equal(existsSync(join(dir, 'out', 'links.csv')), false, `${what}: no output written`);
    t.same(firstRow.filter((v) => v.length >= 3 && r.stderr.includes(v)), [], `${what}: no value of a headerless file's first row is printed`);
  }
  const notJson = join(dir, 'broken.json');
  writeFileSync(notJson, '{ "sources": [');
  const r = await link(['--config', notJson, '--out', join(dir, 'out')]);
  t.equal(r.code, 2);
  t.match(r.stderr, /broken\.json is not valid JSON/);
  t.equal((await link(['--out', join(dir, 'out')])).code, 2, 'missing --config');
});

const built = existsSync(join(process.cwd(), 'dist', 'cli', 'link-command.js'));
t.test('runs through the compiled binary', { skip: built ? false : 'dist/ not built (npm run build)' }, async (t) => {
  const bin = join(process.cwd(), 'bin', 'koppel.js');
  const dir = t.testdir();
  for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
  const config = writeJob(dir, { sources, fields: BELGIAN_JOB_FIELDS });
  const ok = spawnSync(process.execPath, [bin, 'link', '--config', config, '--out', join(dir, 'out')], { encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stderr);
  t.ok(existsSync(join(dir, 'out', 'report.html')));
  const bad = spawnSync(process.execPath, [bin, 'link', '--config', writeJob(dir, { sources, fields: [{ name: 'x', type: 'y' }] }, 'bad.json'), '--out', join(dir, 'out2')], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /field x: unknown type/);
});
