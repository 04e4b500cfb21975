/**
 * A table over an approved release through the API (issue 12: "over a linked job (or an
 * approved release)"): its cells are counted from the release's own files, the variables as the
 * researchers got them (municipality generalised to its district), persons counted by release
 * pseudonym. The right answer is a hand count over the release's downloaded rows. And the
 * refusals: a draft release, another project's release, a variable the release does not carry,
 * a release withdrawn after registration.
 */
import t, { type Test } from 'tap';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError, type ApiClient } from '../../src/cli/api-client.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? `${err.status} ${err.code}` : 'no error';
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof Error ? err.message : 'no error';
}

function csvRows(bytes: Uint8Array): Record<string, string>[] {
  const [header, ...lines] = Buffer.from(bytes).toString('utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

interface Version { id: string; manifest: Record<string, any> }

// 90 persons: 60 in quarter 1, 60 in quarter 2, 30 of them in both.
const people = makePeople(90, 23);

interface Setup { server: TestServer; op: ApiClient; op2: ApiClient; project: string; job: string; deliveries: string[] }

async function setUp(t: Test): Promise<Setup> {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab', 'vdab') });
  const deliveries: string[] = [];
  for (const [period, who] of [['2024Q1', people.slice(0, 60)], ['2024Q2', people.slice(30, 90)]] as const) {
    const { body } = await server.client('supplier:vdab').request<{ id: string }>('PUT', `/v1/datasets/vdab/deliveries/${period}`, { body: csvFor(who), headers: { 'content-type': 'text/csv' } });
    deliveries.push(body.id);
  }
  const { project, job } = await projectWithJob(t, op, deliveries);
  return { server, op, op2: server.client('operator:omar'), project, job, deliveries };
}

async function projectWithJob(t: Test, op: ApiClient, deliveries: string[], researcher = 'researcher:an'): Promise<{ project: string; job: string }> {
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'Tables from a release', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: [researcher],
      approved: { vdab: ['sex', 'nis_code', 'birth_year'] }, key_variables: ['sex', 'nis_code'], generalise: { nis_code: { prefix: 2 } }, k: 2,
    },
  });
  const { body: job } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries } });
  t.equal((await waitForJob(op, job.id)).status, 'succeeded');
  return { project: project.id, job: job.id };
}

async function release(s: Pick<Setup, 'op' | 'op2'>, job: string, approve: boolean): Promise<string> {
  const { body: draft } = await s.op.request<{ id: string }>('POST', `/v1/jobs/${job}/releases`);
  if (approve) await s.op2.request('POST', `/v1/releases/${draft.id}/approve`);
  return draft.id;
}

const byDistrictAndPeriod = (source: object, name = 'records_by_district') => ({
  name, title: 'Records by district and quarter', source, dataset: 'vdab', measure: 'records',
  dimensions: [{ variable: 'nis_code' }, { variable: 'period' }], policy: { min_frequency: 1 },
});

/** Distinct values of `member` per cell of (a, b) and their totals, as a table names them. */
function handCount(rows: readonly Record<string, string>[], a: string, b: string, member: (r: Record<string, string>) => string): Record<string, number> {
  const sets = new Map<string, Set<string>>();
  for (const r of rows) {
    if (r[a] === '' || r[b] === '') continue;
    for (const key of [`${r[a]}|${r[b]}`, `${r[a]}|Total`, `Total|${r[b]}`, 'Total|Total']) {
      if (!sets.has(key)) sets.set(key, new Set());
      sets.get(key)!.add(member(r));
    }
  }
  return Object.fromEntries([...sets].map(([k, v]) => [k, v.size]));
}

async function builtCells(s: Setup, project: string, spec: object): Promise<{ version: Version; cells: Record<string, string>[] }> {
  const { status, body: registered } = await s.op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, { json: spec });
  if (status !== 201) throw new Error(`registration answered ${status}`);
  const { body: version } = await s.op.request<Version>('POST', `/v1/tables/${registered.id}/versions`);
  return { version, cells: csvRows(await s.op.download(`/v1/table-versions/${version.id}/files/table.csv`)) };
}

const nonZero = (cells: readonly Record<string, string>[], a: string, b: string) => Object.fromEntries(
  cells.filter((c) => Number(c.value) > 0).map((c) => [`${c[a]}|${c[b]}`, Number(c.value)]),
);

t.test('tables over an approved release count the released rows, persons by release pseudonym, with the released generalisation', async (t) => {
  const s = await setUp(t);
  const rel = await release(s, s.job, true);

  // The hand count: the release's own rows, each record joined to its person on the pseudonym.
  const persons = csvRows(await s.server.client('researcher:an').download(`/v1/releases/${rel}/files/persons.csv`));
  const personOf = new Map(persons.map((p) => [p.pseudonym, p]));
  const records = csvRows(await s.server.client('researcher:an').download(`/v1/releases/${rel}/files/vdab.csv`)).map((r) => ({ ...r, ...personOf.get(r.pseudonym)! }));
  t.equal(records.length, 120, 'the release holds every record');
  t.equal(persons.length, 90, 'and 90 persons');

  const quarterly = await builtCells(s, s.project, byDistrictAndPeriod({ release: rel }));
  t.equal(quarterly.version.manifest.release, rel, 'the manifest names the release counted');
  t.equal(quarterly.version.manifest.job, s.job, 'and the release\'s job');
  t.ok(quarterly.cells.every((c) => c.flag === 'published'), 'a threshold of 1 suppresses nothing');
  t.ok(quarterly.cells.every((c) => c.nis_code === 'Total' || /^\d{2}$/.test(c.nis_code)), 'municipalities appear as the release has them: two-digit districts');
  t.same(nonZero(quarterly.cells, 'nis_code', 'period'), handCount(records, 'nis_code', 'period', (r) => `${r.pseudonym}|${r.period}`), 'every records cell is the hand count over the release rows');

  const spec = {
    name: 'persons_by_sex_and_birth', title: 'Persons by sex and birth decade', source: { release: rel }, dataset: 'vdab', measure: 'persons',
    dimensions: [{ variable: 'sex' }, { variable: 'birth_year', band: 10 }], policy: { min_frequency: 1 },
  };
  const decade = (r: Record<string, string>) => ({ ...r, decade: `${Math.floor(Number(r.birth_year) / 10) * 10}-${Math.floor(Number(r.birth_year) / 10) * 10 + 9}` });
  const { cells } = await builtCells(s, s.project, spec);
  const want = handCount(records.map(decade), 'sex', 'decade', (r) => r.pseudonym);
  t.same(nonZero(cells, 'sex', 'birth_year'), want, 'every persons cell counts distinct pseudonyms (sex from persons, birth year from the records)');
  t.equal(want['Total|Total'], persons.filter((p) => p.sex !== '').length, 'a person of both quarters is counted once (persons whose sex k-anonymity suppressed are left out)');
});

t.test('a table over a release: a draft, another project\'s or a withdrawn release is refused, and so is a variable the release does not carry', async (t) => {
  const s = await setUp(t);
  const draft = await release(s, s.job, false);
  t.equal(await codeOf(s.op.request('POST', `/v1/projects/${s.project}/tables`, { json: byDistrictAndPeriod({ release: draft }) })), '409 KOPPEL_ERR_RELEASE_NOT_APPROVED', 'a draft release is refused');

  const other = await projectWithJob(t, s.op, s.deliveries, 'researcher:bo');
  const foreign = await release({ op: s.op, op2: s.op2 }, other.job, true);
  t.equal(await codeOf(s.op.request('POST', `/v1/projects/${s.project}/tables`, { json: byDistrictAndPeriod({ release: foreign }) })), '404 KOPPEL_ERR_RELEASE_NOT_FOUND', 'another project\'s release is not found');
  t.equal(await codeOf(s.op.request('POST', `/v1/projects/${s.project}/tables`, { json: byDistrictAndPeriod({ release: 'rel_00000000000000000000' }) })), '404 KOPPEL_ERR_RELEASE_NOT_FOUND', 'an unknown release is not found');
  t.equal(await codeOf(s.op.request('POST', `/v1/projects/${s.project}/tables`, { json: byDistrictAndPeriod({ job: s.job, release: draft }) })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'a source is a job or a release, not both');

  const rel = await release(s, s.job, true);
  const missing = { ...byDistrictAndPeriod({ release: rel }), dimensions: [{ variable: 'loon_cent' }] };
  const refusal = s.op.request('POST', `/v1/projects/${s.project}/tables`, { json: missing });
  t.match(await messageOf(refusal), /400 KOPPEL_ERR_SCHEMA_TABLE_INVALID: dimensions\[0\]\.variable: release rel_[0-9a-f]+ does not carry loon_cent/, 'the missing variable is named');

  const { body: spec } = await s.op.request<{ id: string }>('POST', `/v1/projects/${s.project}/tables`, { json: byDistrictAndPeriod({ release: rel }) });
  await s.op2.request('POST', `/v1/releases/${rel}/withdraw`, { json: { reason: 'a correction follows' } });
  t.equal(await codeOf(s.op.request('POST', `/v1/tables/${spec.id}/versions`)), '410 KOPPEL_ERR_RELEASE_WITHDRAWN', 'a release withdrawn after registration builds no table');
  t.equal(await codeOf(s.op.request('POST', `/v1/tables/${spec.id}/versions`, { json: { release: foreign } })), '404 KOPPEL_ERR_RELEASE_NOT_FOUND', 'a build names no other project\'s release');
});
