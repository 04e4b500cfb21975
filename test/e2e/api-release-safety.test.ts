/**
 * Issue 10's attacks by an adversarial researcher, replayed through the HTTP API: copies of key
 * variables, differencing two releases of one project, linkage metadata as quasi-identifiers,
 * joining projects through record-level attributes; and the refusals that already held.
 */
import t from 'tap';
import { tableFromIPC, type Table } from 'apache-arrow';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { makePeople, type Person } from '../fixtures/synthetic.js';
import { ApiError, type ApiClient } from '../../src/cli/api-client.js';

const TOWN: Record<string, string> = { 11002: 'Antwerpen', 44021: 'Gent', 24062: 'Leuven', 31005: 'Brugge', 12025: 'Mechelen' };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? `${err.status} ${err.code}` : 'no error';
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof Error ? err.message : '';
}

/** A job seekers' dataset whose `gemeente` spells the municipality of `nis_code` (in two cases). */
function vdabSchema(name: string) {
  return {
    name, supplier: 'vdab', schedule: 'quarterly',
    columns: [
      { name: 'insz', role: 'national_id' },
      { name: 'voornaam', role: 'linkage', type: 'given_name' },
      { name: 'familienaam', role: 'linkage', type: 'surname' },
      { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'YYYY-MM-DD' },
      { name: 'nis_code', role: 'attribute', type: 'code' },
      { name: 'gemeente', role: 'attribute', type: 'string' },
      { name: 'loon_cent', role: 'attribute', type: 'number' },
      { name: 'birth_year', role: 'attribute', derive: 'birth_year(geboortedatum)' },
      { name: 'age', role: 'attribute', derive: 'age_on(geboortedatum, 2024-01-01)' },
      { name: 'sex', role: 'attribute', derive: 'sex(insz)' },
    ],
  };
}

function vdabCsv(people: readonly Person[], options: { insz?: (p: Person, i: number) => string; wage?: (i: number) => number } = {}): string {
  const lines = ['insz,voornaam,familienaam,geboortedatum,nis_code,gemeente,loon_cent'];
  people.forEach((p, i) => {
    const town = i % 2 === 0 ? TOWN[p.nis] : TOWN[p.nis].toUpperCase();
    lines.push(`${options.insz?.(p, i) ?? p.insz},${p.givenName},"${p.surname}",${p.birthDate},${p.nis},${town},${options.wage?.(i) ?? 200000 + i}`);
  });
  return `${lines.join('\n')}\n`;
}

/** Quarterly wage rows: four per person (kwartaal, loon_cent), and where they live as `woonplaats`. */
const RSZ_SCHEMA = {
  name: 'rsz_wages', supplier: 'rsz', schedule: 'yearly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'kwartaal', role: 'attribute', type: 'code' },
    { name: 'loon_cent', role: 'attribute', type: 'integer' },
    { name: 'woonplaats', role: 'attribute', type: 'code' },
    { name: 'geslacht', role: 'attribute', derive: 'sex(insz)' },
  ],
};

function rszCsv(people: readonly Person[], bump = 0): string {
  const lines = ['insz,kwartaal,loon_cent,woonplaats'];
  people.forEach((p, i) => {
    for (let q = 1; q <= 4; q++) lines.push(`${p.insz},2024Q${q},${300000 + 97 * i + q + bump},${p.nis}`);
  });
  return `${lines.join('\n')}\n`;
}

interface World {
  server: TestServer;
  op: ApiClient;
  op2: ApiClient;
  an: ApiClient;
  people: Person[];
  deliveries: Record<string, string>;
}

async function world(t: { teardown(fn: () => unknown): void }): Promise<World> {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const op2 = server.client('operator:omar');
  const an = server.client('researcher:an');
  const people = makePeople(400, 10);
  await op.request('POST', '/v1/datasets', { json: vdabSchema('vdab_g') });
  await op.request('POST', '/v1/datasets', { json: RSZ_SCHEMA });
  const put = async (who: string, dataset: string, period: string, csv: string, query = '') => (await server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/${period}${query}`, { body: csv, headers: { 'content-type': 'text/csv' } })).body.id;
  const deliveries = {
    vdabQ1: await put('vdab', 'vdab_g', '2024Q1', vdabCsv(people)),
    vdabQ2: await put('vdab', 'vdab_g', '2024Q2', vdabCsv(people.slice(0, 300), { wage: (i) => 500000 + i })),
    rsz: await put('rsz', 'rsz_wages', '2024', rszCsv(people.slice(50, 350))),
  };
  return { server, op, op2, an, people, deliveries };
}

function project(approved: Record<string, string[]>, key_variables: string[], extra: Record<string, unknown> = {}) {
  return {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31',
    researchers: ['researcher:an'], approved, key_variables, k: 5, ...extra,
  };
}

async function jobOf(w: World, body: unknown, deliveries: string[]): Promise<string> {
  const { body: p } = await w.op.request<{ id: string }>('POST', '/v1/projects', { json: body });
  const { body: job } = await w.op.request<{ id: string }>('POST', `/v1/projects/${p.id}/jobs`, { json: { deliveries } });
  const done = await waitForJob(w.op, job.id);
  if (done.status !== 'succeeded') throw new Error(`job ${job.id} ${done.status}`);
  return job.id;
}

async function build(w: World, jobId: string, justification?: string): Promise<{ id: string; manifest: Record<string, unknown> }> {
  const init = justification === undefined ? {} : { json: { justification } };
  return (await w.op.request<{ id: string; manifest: Record<string, unknown> }>('POST', `/v1/jobs/${jobId}/releases`, init)).body;
}

async function approved(w: World, jobId: string, justification?: string): Promise<string> {
  const draft = await build(w, jobId, justification);
  await w.op2.request('POST', `/v1/releases/${draft.id}/approve`);
  return draft.id;
}

async function file(w: World, releaseId: string, name: string): Promise<Table> {
  return tableFromIPC(await w.an.download(`/v1/releases/${releaseId}/files/${name}.arrow`));
}

const values = (table: Table, name: string): unknown[] => {
  const column = table.getChild(name);
  if (column === null) throw new Error(`no column ${name}`);
  return Array.from({ length: table.numRows }, (_, i) => (column.isValid(i) ? column.get(i) : null));
};

t.test('attack 1: a copy of a key variable is refused, at registration by provenance and at build by its values', async (t) => {
  const w = await world(t);
  const register = (body: unknown) => w.op.request('POST', '/v1/projects', { json: body });

  // By provenance: age_on and birth_year both come from geboortedatum; sex(insz) twice.
  const derived = register(project({ vdab_g: ['birth_year', 'age', 'loon_cent'] }, ['birth_year']));
  t.equal(await codeOf(derived), '400 KOPPEL_ERR_SCHEMA_KEY_VARIABLE_COPY');
  t.match(await messageOf(register(project({ vdab_g: ['birth_year', 'age'] }, ['birth_year']))), /vdab_g\.age .*key variable birth_year/, 'the message names both');
  t.equal(await codeOf(register(project({ vdab_g: ['sex'], rsz_wages: ['geslacht', 'loon_cent'] }, ['sex']))), '400 KOPPEL_ERR_SCHEMA_KEY_VARIABLE_COPY', 'sex(insz) of another dataset');
  t.equal(await codeOf(register(project({ vdab_g: ['birth_year', 'age'] }, ['birth_year', 'age']))), 'no error', 'both declared key variables');

  // By values: gemeente (in two spellings) and another dataset's woonplaats carry nis_code.
  const copy = await jobOf(w, project({ vdab_g: ['nis_code', 'gemeente', 'loon_cent'] }, ['nis_code']), [w.deliveries.vdabQ1]);
  t.equal(await codeOf(build(w, copy)), '422 KOPPEL_ERR_RELEASE_KEY_VARIABLE_COPY');
  t.match(await messageOf(build(w, copy)), /vdab_g\.gemeente determines key variable nis_code/);
  const across = await jobOf(w, project({ vdab_g: ['nis_code'], rsz_wages: ['kwartaal', 'woonplaats'] }, ['nis_code']), [w.deliveries.vdabQ1, w.deliveries.rsz]);
  t.match(await messageOf(build(w, across)), /rsz_wages\.woonplaats determines key variable nis_code/, 'a copy in another dataset');

  // Declared a key variable, it goes to persons only, and nothing suppressed is left to read back.
  const closed = await jobOf(w, project({ vdab_g: ['nis_code', 'gemeente', 'birth_year', 'loon_cent'] }, ['nis_code', 'gemeente', 'birth_year']), [w.deliveries.vdabQ1]);
  const id = await approved(w, closed);
  const vdab = await file(w, id, 'vdab_g');
  t.same(vdab.schema.fields.map((f) => f.name), ['pseudonym', 'period', 'loon_cent']);
  const persons = await file(w, id, 'persons');
  t.ok(values(persons, 'birth_year').some((v) => v === null), 'birth years were suppressed');
});

t.test('attack 2: two releases of one project cannot be joined on pseudonyms, nor through their rows without a justification', async (t) => {
  const w = await world(t);
  // Persons-level variables only: two releases, each with its own pseudonyms.
  const body = project({ vdab_g: ['birth_year', 'sex', 'nis_code'] }, ['birth_year', 'sex', 'nis_code']);
  const { body: p } = await w.op.request<{ id: string }>('POST', '/v1/projects', { json: body });
  const ids: string[] = [];
  for (const deliveries of [[w.deliveries.vdabQ1], [w.deliveries.vdabQ2]]) {
    const { body: job } = await w.op.request<{ id: string }>('POST', `/v1/projects/${p.id}/jobs`, { json: { deliveries } });
    await waitForJob(w.op, job.id);
    ids.push(await approved(w, job.id));
  }
  const [a, b] = await Promise.all(ids.map(async (id) => new Set(values(await file(w, id, 'persons'), 'pseudonym'))));
  t.equal(a.size, 400);
  t.equal([...b].filter((x) => a.has(x)).length, 0, 'no pseudonym in common across 300 shared persons');
  const manifest = (await w.an.request<{ manifest: { manifest_version: number; rules: { pseudonyms: string; release_key_purpose: string } } }>('GET', `/v1/releases/${ids[1]}`)).body.manifest;
  t.equal(manifest.manifest_version, 3);
  t.same([manifest.rules.pseudonyms, manifest.rules.release_key_purpose], ['per_release', `release:${p.id}:${ids[1]}`]);

  // Record-level wage rows in both: joinable by the rows, so refused without a justification.
  const wages = project({ vdab_g: ['birth_year', 'loon_cent'] }, ['birth_year']);
  const { body: q } = await w.op.request<{ id: string }>('POST', '/v1/projects', { json: wages });
  const job1 = (await w.op.request<{ id: string }>('POST', `/v1/projects/${q.id}/jobs`, { json: { deliveries: [w.deliveries.vdabQ1] } })).body.id;
  await waitForJob(w.op, job1);
  await approved(w, job1);
  const job2 = (await w.op.request<{ id: string }>('POST', `/v1/projects/${q.id}/jobs`, { json: { deliveries: [w.deliveries.vdabQ2] } })).body.id;
  await waitForJob(w.op, job2);
  t.equal(await codeOf(build(w, job2)), '409 KOPPEL_ERR_RELEASE_CROSS_EXPOSURE');

  // A longitudinal project keeps one key: its releases share pseudonyms, as declared.
  const { body: l } = await w.op.request<{ id: string }>('POST', '/v1/projects', { json: { ...body, longitudinal: true } });
  const lids: string[] = [];
  for (const deliveries of [[w.deliveries.vdabQ1], [w.deliveries.vdabQ2]]) {
    const { body: job } = await w.op.request<{ id: string }>('POST', `/v1/projects/${l.id}/jobs`, { json: { deliveries } });
    await waitForJob(w.op, job.id);
    lids.push(await approved(w, job.id));
  }
  const [la, lb] = await Promise.all(lids.map(async (id) => new Set(values(await file(w, id, 'persons'), 'pseudonym'))));
  t.equal([...lb].filter((x) => la.has(x)).length, 300, 'a longitudinal project\'s releases share pseudonyms');
});

t.test('attack 3: no per-row linkage metadata; what is released is per person, coarse, and inside the k-check', async (t) => {
  const w = await world(t);
  // Every fifth job seeker has no national number in Q2: linked by name and birth date.
  const { body: spoiled } = await w.server.client('supplier:vdab').request<{ id: string }>('PUT', '/v1/datasets/vdab_g/deliveries/2024Q3', {
    body: vdabCsv(w.people.slice(0, 300), { insz: (p, i) => (i % 5 === 0 ? '' : p.insz), wage: (i) => 700000 + i }), headers: { 'content-type': 'text/csv' },
  });
  const jobId = await jobOf(w, project({ vdab_g: ['birth_year', 'sex', 'loon_cent'], rsz_wages: ['kwartaal', 'loon_cent'] }, ['birth_year', 'sex'], { release_metadata: { link_method: 'key' } }), [w.deliveries.vdabQ1, spoiled.id, w.deliveries.rsz]);
  const id = await approved(w, jobId);
  const persons = await file(w, id, 'persons');
  const keys = ['birth_year', 'sex', 'match_probability', 'link_method', 'period_pattern'];
  t.same(persons.schema.fields.map((f) => f.name), ['pseudonym', ...keys]);
  for (const name of ['vdab_g', 'rsz_wages']) {
    const table = await file(w, id, name);
    t.same(table.schema.fields.map((f) => f.name).filter((n) => !['pseudonym', 'period', 'kwartaal', 'loon_cent'].includes(n)), [], `${name}: no link_method or match_probability per row`);
  }
  const bands = new Set(values(persons, 'match_probability'));
  t.ok(bands.has('1') && bands.has('unlinked'), 'persons linked by national number, and persons of one record');
  for (const b of bands) t.ok(b === null || ['unlinked', '1', '0.99-1', '0.95-0.99', '<0.95'].includes(b as string), `band ${String(b)} is coarse`);
  // The intruder's grouping: every key variable, the metadata and the period pattern together.
  const columns = keys.map((k) => values(persons, k));
  const counts = new Map<string, number>();
  for (let i = 0; i < persons.numRows; i++) {
    const key = JSON.stringify(columns.map((c) => c[i]));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  t.same([...counts.values()].filter((n) => n < 5), [], 'no person is in a group smaller than k on keys plus metadata');
  // A suppressed period pattern leaves no period on the person's rows either.
  const hidden = new Set(values(persons, 'pseudonym').filter((_, i) => columns[4][i] === null));
  const rsz = await file(w, id, 'rsz_wages');
  const periods = values(rsz, 'period');
  values(rsz, 'pseudonym').forEach((p, i) => { if (hidden.has(p) && periods[i] !== null) t.fail('a period next to a suppressed pattern'); });

  // Omitted: no metadata and no period anywhere.
  const bare = await jobOf(w, project({ vdab_g: ['birth_year', 'loon_cent'] }, ['birth_year'], { release_metadata: { match_probability: 'omit', period_pattern: 'omit' }, researchers: ['researcher:bo'] }), [w.deliveries.vdabQ1]);
  const draft = await build(w, bare);
  const files = (draft.manifest as { files: { name: string; columns: string[] }[] }).files;
  t.same(files.map((f) => f.columns), [['pseudonym', 'birth_year'], ['pseudonym', 'loon_cent']]);
  t.same((draft.manifest as { rules: { release_metadata: unknown } }).rules.release_metadata, { match_probability: 'omit', link_method: 'omit', period_pattern: 'omit' }, 'the manifest records the rules');
  t.equal(await codeOf(w.op.request('POST', '/v1/projects', { json: project({ vdab_g: ['birth_year'] }, ['birth_year'], { release_metadata: { match_probability: 'exact' } }) })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'exact probabilities are not a choice');
});

t.test('attack 4: a researcher cannot collect the same record-level rows from several projects without a justification', async (t) => {
  const w = await world(t);
  const wages = project({ vdab_g: ['birth_year'], rsz_wages: ['kwartaal', 'loon_cent'] }, ['birth_year']);
  const first = await jobOf(w, wages, [w.deliveries.vdabQ1, w.deliveries.rsz]);
  const held = await approved(w, first);

  const second = await jobOf(w, wages, [w.deliveries.vdabQ1, w.deliveries.rsz]);
  t.equal(await codeOf(build(w, second)), '409 KOPPEL_ERR_RELEASE_CROSS_EXPOSURE', 'the same rows in a second project');
  t.match(await messageOf(build(w, second)), new RegExp(`researcher:an holds rsz_wages \\(kwartaal, loon_cent\\) in release ${held}`));
  // Another delivery version of the same period: the same records.
  const { body: v2 } = await w.server.client('supplier:rsz').request<{ id: string }>('PUT', '/v1/datasets/rsz_wages/deliveries/2024?supersede=true', {
    body: rszCsv(w.people.slice(50, 350), 1), headers: { 'content-type': 'text/csv' },
  });
  const third = await jobOf(w, project({ rsz_wages: ['loon_cent'] }, []), [v2.id]);
  t.equal(await codeOf(build(w, third)), '409 KOPPEL_ERR_RELEASE_CROSS_EXPOSURE', 'another delivery version, one shared column');
  const other = await jobOf(w, { ...wages, researchers: ['researcher:bo'] }, [w.deliveries.vdabQ1, v2.id]);
  t.equal(await codeOf(build(w, other)), 'no error', 'a researcher who holds nothing else');

  const justified = await build(w, second, 'Replication of study 24/001 approved by the committee');
  const rules = (justified.manifest as { rules: { exposure: { justification: string; shared: { release: string; dataset: string }[] } } }).rules;
  t.equal(rules.exposure.justification, 'Replication of study 24/001 approved by the committee', 'the justification is in the manifest');
  t.same(rules.exposure.shared.map((s) => [s.release, s.dataset]), [[held, 'rsz_wages']]);
  const audit = await w.op.request<{ entries: { action: string; outcome: string; target: string; detail: { justification?: string } }[] }>('GET', '/v1/audit?limit=1000');
  t.ok(audit.body.entries.some((e) => e.action === 'release.build' && e.target === justified.id && e.detail.justification !== undefined), 'and in the audit trail');
  t.ok(audit.body.entries.some((e) => e.action === 'release.build' && e.outcome === 'refused'), 'refusals are audited');
  t.equal(await codeOf(w.op.request('POST', `/v1/jobs/${second}/releases`, { json: { justification: 'x' } })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'a justification says something');

  // Two drafts built before either was approved: the second approval is refused.
  const x = await build(w, await jobOf(w, { ...wages, researchers: ['researcher:cy'] }, [w.deliveries.vdabQ1, v2.id]));
  const y = await build(w, await jobOf(w, { ...wages, researchers: ['researcher:cy'] }, [w.deliveries.vdabQ1, v2.id]));
  await w.op2.request('POST', `/v1/releases/${x.id}/approve`);
  t.equal(await codeOf(w.op2.request('POST', `/v1/releases/${y.id}/approve`)), '409 KOPPEL_ERR_RELEASE_CROSS_EXPOSURE');
});

t.test('attack class 5: the refusals that held still hold', async (t) => {
  const w = await world(t);
  const bo = w.server.client('researcher:bo');
  const body = project({ vdab_g: ['birth_year', 'sex'] }, ['birth_year', 'sex']);
  const mine = await approved(w, await jobOf(w, body, [w.deliveries.vdabQ1]));
  const theirs = await approved(w, await jobOf(w, { ...body, researchers: ['researcher:bo'] }, [w.deliveries.vdabQ1]));
  t.equal(await codeOf(w.an.download(`/v1/releases/${theirs}/files/persons.arrow`)), '404 KOPPEL_ERR_RELEASE_NOT_FOUND', 'a researcher the project does not name');
  t.equal(await codeOf(w.server.client('supplier:vdab').download(`/v1/releases/${mine}/files/persons.arrow`)), '403 KOPPEL_ERR_AUTH_FORBIDDEN', 'a supplier');
  t.equal(await codeOf(w.op.download(`/v1/releases/${mine}/files/persons.arrow`)), '403 KOPPEL_ERR_AUTH_FORBIDDEN', 'an operator downloads nothing');
  for (const name of ['..%2Fkoppel.db', 'manifest.json', 'nobody.parquet', 'report.html', 'PERSONS.csv', 'persons', 'vdab_g.arrow%00.csv']) {
    const code = await codeOf(w.an.download(`/v1/releases/${mine}/files/${name}`));
    t.ok(['400 KOPPEL_ERR_API_BAD_REQUEST', '404 KOPPEL_ERR_RELEASE_FILE_NOT_FOUND', '404 KOPPEL_ERR_API_NOT_FOUND'].includes(code), `file name ${name}: ${code}`);
  }
  const a = new Set(values(await file(w, mine, 'persons'), 'pseudonym'));
  const b = values(tableFromIPC(await bo.download(`/v1/releases/${theirs}/files/persons.arrow`)), 'pseudonym');
  t.equal(b.filter((x) => a.has(x)).length, 0, 'two projects share no pseudonym');

  const expired = await jobOf(w, { ...body, valid_from: '2001-01-01', valid_to: '2001-12-31', researchers: ['researcher:cy'] }, [w.deliveries.vdabQ1]);
  const old = await approved(w, expired);
  t.equal(await codeOf(w.server.client('researcher:cy').download(`/v1/releases/${old}/files/persons.csv`)), '403 KOPPEL_ERR_AUTH_OUTSIDE_VALIDITY', 'outside the validity window');
  const listed = await w.server.client('researcher:cy').request<{ id: string }[]>('GET', '/v1/releases');
  t.same(listed.body.map((r) => r.id), [], 'a release outside its project\'s validity window is not listed either');
  const draft = await build(w, await jobOf(w, body, [w.deliveries.vdabQ2]));
  t.equal(await codeOf(w.an.download(`/v1/releases/${draft.id}/files/persons.csv`)), '404 KOPPEL_ERR_RELEASE_NOT_FOUND', 'a draft');
});
