/**
 * The sentinel test (style.md): marked identifiers go through every path, success and failure,
 * and none may appear in any response body, log line, or file of the data dir; nor, for
 * `koppel link`'s failures, in its stdout, stderr or output directory.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { makePeople, punctuated, testDatasetSchema } from '../fixtures/synthetic.js';
import { NeedleSet, filesUnder } from '../fixtures/leak-scan.js';
import { productRunsSettled } from '../../src/pipeline/product-runs.js';
import { childEnv, runKoppel } from '../fixtures/koppel-process.js';

t.test('no marked identifier reaches a response, the log or the data dir, on success or failure', async (t) => {
  const server = await startTestServer(t, { maxUploadBytes: 32 * 1024 });
  const needles = new NeedleSet();
  const people = makePeople(80, 99).map((p, i) => ({ ...p, givenName: `Sentinelgiven${i}x`, surname: `Sentinelsur${i}q` }));
  for (const p of people) {
    needles.addInsz(p.insz);
    needles.add(p.givenName);
    needles.add(p.surname);
  }
  const responses: string[] = [];
  const send = async (who: string, method: string, path: string, body?: string | Uint8Array, contentType = 'text/csv') => {
    const token = server.runtime.store.createToken(who, 'test').token;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = contentType;
    const res = await fetch(`${server.base}${path}`, { method, body, headers });
    const text = await res.text();
    responses.push(text);
    return { status: res.status, text };
  };
  const row = (p: (typeof people)[number], i: number) => `${i % 3 === 0 ? punctuated(p.insz) : p.insz},${p.givenName},${p.surname},${p.birthDate},${p.nis},${1000 + i}`;
  const header = 'insz,voornaam,familienaam,geboortedatum,nis_code,loon_cent';
  const good = [header, ...people.map(row)].join('\n');

  await send('operator:o1', 'POST', '/v1/datasets', JSON.stringify(testDatasetSchema('vdab_set', 'vdab')), 'application/json');
  await send('operator:o1', 'POST', '/v1/datasets', JSON.stringify(testDatasetSchema('rsz_set', 'rsz')), 'application/json');
  // Failures, each carrying identifiers: headerless file (data in the header line), unknown
  // column, bad number, unterminated quote, non-UTF-8, too large, wrong supplier, bad period.
  const failures: [string, string, string | Uint8Array][] = [
    ['supplier:vdab', '/v1/datasets/vdab_set/deliveries/2024', people.slice(0, 5).map(row).join('\n')],
    ['supplier:vdab', '/v1/datasets/vdab_set/deliveries/2024', `${header},${people[0].surname}\n${row(people[0], 0)},x`],
    ['supplier:vdab', '/v1/datasets/vdab_set/deliveries/2024', `${header}\n${row(people[1], 1)}\n"${people[2].insz},${people[2].givenName}`],
    ['supplier:vdab', '/v1/datasets/vdab_set/deliveries/2024', Buffer.concat([Buffer.from(`${header}\n${people[3].insz},${people[3].givenName}`), Buffer.from([0xff, 0xfe]), Buffer.from(`,${people[3].surname},1990-01-01,11002,1\n`)])],
    ['supplier:vdab', '/v1/datasets/vdab_set/deliveries/2024', `${good}\n${good.repeat(10)}`],
    ['supplier:rsz', '/v1/datasets/vdab_set/deliveries/2024', good],
    ['supplier:vdab', `/v1/datasets/vdab_set/deliveries/${people[4].insz}`, good],
  ];
  // Ids in paths that hold an identifier instead.
  for (const path of [`/v1/deliveries/${people[6].insz}`, `/v1/jobs/${people[7].insz}`, `/v1/releases/${people[8].insz}`, `/v1/releases/rel_00000000000000000000/files/${people[9].surname}.csv`]) {
    const res = await send(path.includes('files') ? 'researcher:r' : 'operator:o1', 'GET', path);
    t.equal(res.status, 400, `a malformed id in ${path.split('/')[2]} is refused`);
  }
  for (const [who, path, body] of failures) {
    const res = await send(who, 'PUT', path, body);
    t.ok(res.status >= 400 && res.status < 500, `refused with ${res.status}`);
  }
  // A row-level fault that names its column, and the successful path through to download.
  const withBadRow = `${good}\n${people[5].insz},${people[5].givenName},${people[5].surname},${people[5].birthDate},11002,not-a-number`;
  const up = await send('supplier:vdab', 'PUT', '/v1/datasets/vdab_set/deliveries/2024', withBadRow);
  t.equal(up.status, 201);
  const up2 = await send('supplier:rsz', 'PUT', '/v1/datasets/rsz_set/deliveries/2024', [header, ...people.slice(0, 50).map((p, i) => (i % 5 === 0 ? row(p, i).replace(/^[^,]*/, '') : row(p, i)))].join('\n'));
  // (every fifth without its national number: those link by encodings, and fill the review queue)
  const project = JSON.parse((await send('operator:o1', 'POST', '/v1/projects', JSON.stringify({
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:r'],
    approved: { vdab_set: ['birth_year', 'sex', 'loon_cent'], rsz_set: ['loon_cent'] }, key_variables: ['birth_year', 'sex'], k: 3,
  }), 'application/json')).text) as { id: string };
  const op = server.client('operator:o1');
  const job = JSON.parse((await send('operator:o1', 'POST', `/v1/projects/${project.id}/jobs`, JSON.stringify({ deliveries: [JSON.parse(up.text).id, JSON.parse(up2.text).id], review: { lower: -30, upper: 200 } }), 'application/json')).text) as { id: string };
  t.equal((await waitForJob(op, job.id)).status, 'succeeded');
  // The review routes: the queue, each pair with its records' attributes, decisions, and refusals.
  const queue = await send('reviewer:rv', 'GET', `/v1/jobs/${job.id}/review?state=all&limit=500`);
  const pairs = (JSON.parse(queue.text) as { pairs: { pair: number }[] }).pairs;
  t.ok(pairs.length > 0, `the review queue has pairs (${pairs.length})`);
  for (const [i, { pair }] of pairs.slice(0, 6).entries()) {
    t.equal((await send('reviewer:rv', 'GET', `/v1/jobs/${job.id}/review/${pair}`)).status, 200, `review pair ${pair} reads`);
    t.equal((await send('reviewer:rv', 'POST', `/v1/jobs/${job.id}/review/${pair}`, JSON.stringify({ decision: ['match', 'non-match', 'unsure'][i % 3] }), 'application/json')).status, 200, `review pair ${pair} is decided`);
  }
  await send('reviewer:rv', 'GET', `/v1/jobs/${job.id}/review?state=decided`);
  t.equal((await send('reviewer:rv', 'POST', `/v1/jobs/${job.id}/review/${pairs[0].pair}`, JSON.stringify({ decision: people[0].surname }), 'application/json')).status, 400, 'a decision that is no decision is refused');
  t.equal((await send('reviewer:rv', 'GET', `/v1/jobs/${job.id}/review/${people[1].insz.slice(0, 9)}`)).status, 404, 'an unknown pair is 404');
  t.equal((await send('reviewer:rv', 'GET', `/v1/jobs/${job.id}/review/${people[2].surname}`)).status, 400, 'a pair that is no number is refused');
  responses.push(JSON.stringify((await op.request('GET', `/v1/jobs/${job.id}`)).body));
  const release = JSON.parse((await send('operator:o1', 'POST', `/v1/jobs/${job.id}/releases`)).text) as { id: string };
  await send('operator:o2', 'POST', `/v1/releases/${release.id}/approve`);
  for (const file of ['persons', 'vdab_set', 'rsz_set']) {
    for (const ext of ['csv', 'arrow']) {
      const res = await send('researcher:r', 'GET', `/v1/releases/${release.id}/files/${file}.${ext}`);
      t.equal(res.status, 200, `${file}.${ext} downloads${res.status === 200 ? '' : `: ${res.text.slice(0, 200)}`}`);
    }
  }
  // Tables (issue 12): a build, its approval, the downloads, open data, and ids that hold an identifier.
  const registered = await send('operator:o1', 'POST', `/v1/projects/${project.id}/tables`, JSON.stringify({
    name: 'by_birth_year', title: 'Persons by birth year', source: { job: job.id }, dataset: 'vdab_set', measure: 'persons',
    dimensions: [{ variable: 'birth_year', band: 10, hierarchy: { bands: [20] } }, { variable: 'sex' }],
    open_data: true, dcat: { licence: 'CC0-1.0', publisher: 'TTP' },
  }), 'application/json');
  t.equal(registered.status, 201, `the table is registered${registered.status === 201 ? '' : `: ${registered.text.slice(0, 300)}`}`);
  const spec = JSON.parse(registered.text) as { id: string };
  const built = await send('operator:o1', 'POST', `/v1/tables/${spec.id}/versions`);
  t.equal(built.status, 201, `the table is built${built.status === 201 ? '' : `: ${built.text.slice(0, 300)}`}`);
  const table = JSON.parse(built.text) as { id: string };
  t.equal((await send('operator:o2', 'POST', `/v1/table-versions/${table.id}/approve`)).status, 200, 'the table version is approved');
  for (const file of ['table.csv', 'table.json', 'table.sdmx.csv', 'datapackage.json', 'manifest.json']) {
    t.equal((await send('researcher:r', 'GET', `/v1/table-versions/${table.id}/files/${file}`)).status, 200, `${file} downloads`);
    const open = await fetch(`${server.base}/open/tables/${project.id}/by_birth_year/${file}`);
    t.equal(open.status, 200, `${file} is open data`);
    responses.push(await open.text());
  }
  // A table over the approved release: counted from the released files.
  const overRelease = await send('operator:o1', 'POST', `/v1/projects/${project.id}/tables`, JSON.stringify({
    name: 'released_by_sex', title: 'Released records by sex', source: { release: release.id }, dataset: 'vdab_set', measure: 'records',
    dimensions: [{ variable: 'sex' }, { variable: 'birth_year', band: 20 }],
  }), 'application/json');
  t.equal(overRelease.status, 201, `the table over the release is registered${overRelease.status === 201 ? '' : `: ${overRelease.text.slice(0, 300)}`}`);
  const builtOverRelease = await send('operator:o1', 'POST', `/v1/tables/${(JSON.parse(overRelease.text) as { id: string }).id}/versions`);
  t.equal(builtOverRelease.status, 201, `the table over the release is built${builtOverRelease.status === 201 ? '' : `: ${builtOverRelease.text.slice(0, 300)}`}`);
  responses.push(overRelease.text, builtOverRelease.text);
  responses.push((await send('operator:o1', 'GET', `/v1/table-versions/${(JSON.parse(builtOverRelease.text) as { id: string }).id}/files/table.sdmx.csv`)).text);
  for (const path of [`/v1/table-versions/${people[10].insz}`, `/v1/tables/${people[11].insz}/versions`, `/v1/table-versions/${table.id}/files/${people[12].surname}.csv`]) {
    const res = await send(path.endsWith('versions') ? 'operator:o1' : 'researcher:r', path.endsWith('versions') ? 'POST' : 'GET', path);
    t.equal(res.status, 400, 'a malformed table id or file name is refused');
  }
  for (const path of [`/open/tables/${project.id}/${people[13].surname}`, `/open/tables/${people[14].insz}/by_birth_year/table.csv`]) {
    const res = await fetch(`${server.base}${path}`);
    responses.push(await res.text());
    t.equal(res.status, 400, 'a malformed open-data path is refused');
  }
  // A recurrent product over the same deliveries runs at once, as system:koppel; its draft would
  // repeat the approved release's record-level columns, so the run fails and records why.
  const product = JSON.parse((await send('operator:o1', 'POST', `/v1/projects/${project.id}/products`, JSON.stringify({
    name: 'Sentinel product', schedule: 'yearly', datasets: ['vdab_set', 'rsz_set'], from: '2024',
  }), 'application/json')).text) as { id: string };
  await productRunsSettled();
  const runs = JSON.parse((await send('operator:o1', 'GET', `/v1/products/${product.id}/runs`)).text) as unknown;
  t.match(runs, [{ status: 'failed', error: { code: 'KOPPEL_ERR_RELEASE_CROSS_EXPOSURE', stage: 'release' } }], 'the product ran and its failure is recorded');
  responses.push(JSON.stringify((await op.request('GET', '/v1/audit?limit=1000')).body));
  responses.push(JSON.stringify((await op.request('GET', '/v1/person-changes')).body));
  // The listings the console reads (deliveries with their quality reports, jobs, projects, the audit check).
  for (const [who, path] of [['operator:o1', '/v1/deliveries'], ['supplier:vdab', '/v1/deliveries'], ['operator:o1', '/v1/jobs'], ['operator:o1', '/v1/projects'],
    ['researcher:r', '/v1/projects'], ['operator:o1', '/v1/audit/verification'], ['supplier:vdab', '/v1/timeliness']]) {
    t.equal((await send(who, 'GET', path)).status, 200, `${path} answers ${who}`);
  }

  for (const [i, text] of responses.entries()) {
    const hits = needles.find(Buffer.from(text));
    t.same(hits, [], `response ${i} holds no marked identifier`);
  }
  await server.close();
  for (const file of [server.logFile, ...filesUnder(server.dataDir)]) {
    const hits = needles.find(readFileSync(file));
    t.same(hits, [], `${file.slice(server.dir.length)} holds no marked identifier`);
  }
  // Nor does a master key, as hex or as bytes (the needles above are digit runs only).
  const keys = filesUnder(server.keysDir).map((f) => readFileSync(f, 'utf8').trim());
  t.ok(keys.length > 0);
  const blobs = [...responses.map((r) => Buffer.from(r)), ...[server.logFile, ...filesUnder(server.dataDir)].map((f) => readFileSync(f))];
  for (const hex of keys) {
    t.notOk(blobs.some((b) => b.includes(hex) || b.includes(Buffer.from(hex, 'hex'))), 'no response, log line or data file holds the master key');
  }
});

t.test('koppel link, run as a process, leaks no marked identifier on any failure path', async (t) => {
  const dir = t.testdir();
  const needles = new NeedleSet();
  const people = makePeople(40, 7).map((p, i) => ({ ...p, givenName: `Sentinelgiven${i}x`, surname: `Sentinelsur${i}q` }));
  const names: string[] = [];
  for (const p of people) {
    needles.addInsz(p.insz);
    names.push(p.givenName, p.surname);
  }
  const header = 'record_id,insz,voornaam,familienaam,geboortedatum';
  const rows = people.map((p, i) => `r${i},${i % 2 === 0 ? punctuated(p.insz) : p.insz},${p.givenName},${p.surname},${p.birthDate}`);
  writeFileSync(join(dir, 'good.csv'), [header, ...rows].join('\n'));
  // The header row left out: the first line is a person's national number, names and birth date.
  writeFileSync(join(dir, 'headerless.csv'), rows.join('\n'));
  // Parquet magic, then bytes that hold identifiers but no Parquet structure.
  writeFileSync(join(dir, 'broken.parquet'), Buffer.concat([Buffer.from('PAR1'), Buffer.from(rows.join('\n')), Buffer.from('PAR1')]));
  const fields = [
    { name: 'insz', type: 'national_id' },
    { name: 'voornaam', type: 'given_name' },
    { name: 'familienaam', type: 'surname' },
    { name: 'geboortedatum', type: 'date', format: 'YYYY-MM-DD' },
  ];
  const source = (name: string, path: string, extra: object = {}) => ({ name, path, id: 'record_id', ...extra });
  const cases: [string, object][] = [
    ['a missing column', { sources: [source('a', 'good.csv'), source('b', 'good.csv', { columns: { familienaam: 'achternaam' } })], fields }],
    ['a file without its header row', { sources: [source('a', 'good.csv'), source('b', 'headerless.csv')], fields }],
    ['a bad date format', { sources: [source('a', 'good.csv'), source('b', 'good.csv')], fields: [...fields.slice(0, 3), { name: 'geboortedatum', type: 'date', format: 'JJJJ-MM-DD' }] }],
    ['an unreadable Parquet file', { sources: [source('a', 'good.csv'), source('b', 'broken.parquet')], fields }],
  ];
  for (const [what, job] of cases) {
    const slug = what.replace(/ /g, '-');
    const config = join(dir, `${slug}.json`);
    writeFileSync(config, JSON.stringify(job));
    const out = join(dir, `out-${slug}`);
    const r = await runKoppel(['link', '--config', config, '--out', out], { env: childEnv() });
    t.equal(r.code, 2, `${what}: exit 2 (${r.stderr.trim()})`);
    t.match(r.stderr, /KOPPEL_ERR_LINK_/, `${what}: a coded error`);
    const texts: [string, Buffer][] = [['stdout', Buffer.from(r.stdout)], ['stderr', Buffer.from(r.stderr)], ...filesUnder(out).map((f): [string, Buffer] => [f, readFileSync(f)])];
    for (const [where, bytes] of texts) {
      t.same(needles.find(bytes), [], `${what}: ${where} holds no national number`);
      const text = bytes.toString('latin1');
      t.same(names.filter((n) => text.includes(n)), [], `${what}: ${where} holds no name`);
      t.notOk(people.some((p) => text.includes(p.birthDate)), `${what}: ${where} holds no birth date`);
    }
  }
});
