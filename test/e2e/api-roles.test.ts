import t from 'tap';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError, type ApiClient } from '../../src/cli/api-client.js';

async function refusal(t: Pick<typeof import('tap').default, 'ok' | 'equal'>, promise: Promise<unknown>, status: number, code: string) {
  const err = await promise.then(() => null, (e: unknown) => e);
  t.ok(err instanceof ApiError, `refused with an API error (${code})`);
  if (err instanceof ApiError) {
    t.equal(err.status, status, `status ${status}`);
    t.equal(err.code, code);
  }
}

async function upload(client: ApiClient, dataset: string, period: string, csv: string, query = '') {
  return client.request<{ id: string; status: string; version: number }>('PUT', `/v1/datasets/${dataset}/deliveries/${period}${query}`, {
    body: csv, headers: { 'content-type': 'text/csv' },
  });
}

t.test('roles, ownership, four-eyes and researcher visibility hold through the HTTP API', async (t) => {
  const server = await startTestServer(t);
  const op1 = server.client('operator:olivia');
  const op2 = server.client('operator:omar');
  const vdab = server.client('supplier:vdab');
  const rsz = server.client('supplier:rsz');
  const an = server.client('researcher:an');
  const bo = server.client('researcher:bo');
  const people = makePeople(60, 7);

  await refusal(t, vdab.request('POST', '/v1/datasets', { json: testDatasetSchema('x_set', 'vdab') }), 403, 'KOPPEL_ERR_AUTH_FORBIDDEN');
  await op1.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op1.request('POST', '/v1/datasets', { json: testDatasetSchema('rsz_set', 'rsz') });
  await refusal(t, op1.request('POST', '/v1/datasets', { json: testDatasetSchema('rsz_set', 'rsz') }), 409, 'KOPPEL_ERR_SCHEMA_EXISTS');

  // Another supplier's dataset and a dataset that does not exist get the same answer: no existence oracle.
  await refusal(t, upload(rsz, 'vdab_set', '2024Q1', csvFor(people)), 404, 'KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET');
  await refusal(t, upload(rsz, 'no_such_set', '2024Q1', csvFor(people)), 404, 'KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET');
  await refusal(t, upload(op1, 'vdab_set', '2024Q1', csvFor(people)), 403, 'KOPPEL_ERR_AUTH_FORBIDDEN');
  await refusal(t, upload(vdab, 'vdab_set', '2024Q5', csvFor(people)), 400, 'KOPPEL_ERR_SCHEMA_BAD_PERIOD');

  const first = await upload(vdab, 'vdab_set', '2024Q1', csvFor(people));
  t.equal(first.status, 201, 'a new delivery answers 201');
  const again = await upload(vdab, 'vdab_set', '2024Q1', csvFor(people));
  t.equal(again.status, 200, 'the same bytes again answer 200');
  t.equal(again.body.id, first.body.id, 'with the existing delivery');
  await refusal(t, upload(vdab, 'vdab_set', '2024Q1', csvFor(people, { wage: () => 1 })), 409, 'KOPPEL_ERR_STORE_CONFLICT');
  const second = await upload(vdab, 'vdab_set', '2024Q1', csvFor(people, { wage: () => 1 }), '?supersede=true');
  t.equal(second.status, 201);
  t.equal(second.body.version, 2, 'supersede stores a new version');
  const old = await op1.request<{ status: string; superseded_by: string }>('GET', `/v1/deliveries/${first.body.id}`);
  t.equal(old.body.status, 'superseded', 'the old version is kept, marked superseded');
  await refusal(t, rsz.request('GET', `/v1/deliveries/${second.body.id}`), 404, 'KOPPEL_ERR_STORE_NOT_FOUND');
  t.equal((await vdab.request<{ id: string }>('GET', `/v1/deliveries/${second.body.id}`)).body.id, second.body.id, 'the owner reads its own delivery');

  const rszDelivery = await upload(rsz, 'rsz_set', '2024', csvFor(people.slice(0, 40)));
  const projectBody = {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31',
    researchers: ['researcher:an'], approved: { vdab_set: ['birth_year', 'sex', 'loon_cent'], rsz_set: ['loon_cent'] },
    key_variables: ['birth_year', 'sex'], k: 3,
  };
  await refusal(t, an.request('POST', '/v1/projects', { json: projectBody }), 403, 'KOPPEL_ERR_AUTH_FORBIDDEN');
  const { body: project } = await op1.request<{ id: string }>('POST', '/v1/projects', { json: projectBody });
  const { body: other } = await op1.request<{ id: string }>('POST', '/v1/projects', { json: { ...projectBody, researchers: ['researcher:bo'] } });

  const { body: job } = await op1.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [second.body.id, rszDelivery.body.id] } });
  t.equal((await waitForJob(op1, job.id)).status, 'succeeded');
  await refusal(t, op1.request('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [first.body.id] } }), 422, 'KOPPEL_ERR_LINK_DELIVERY_NOT_ALLOWED');
  await refusal(t, op1.request('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: ['dlv_00000000000000000000'] } }), 404, 'KOPPEL_ERR_LINK_UNKNOWN_DELIVERY');
  await refusal(t, op1.request('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: ['85073003328'] } }), 400, 'KOPPEL_ERR_API_BAD_REQUEST');

  const { body: release } = await op1.request<{ id: string; status: string }>('POST', `/v1/jobs/${job.id}/releases`);
  t.equal(release.status, 'draft');
  await refusal(t, an.request('GET', `/v1/releases/${release.id}`), 404, 'KOPPEL_ERR_RELEASE_NOT_FOUND');
  await refusal(t, an.download(`/v1/releases/${release.id}/files/persons.csv`), 404, 'KOPPEL_ERR_RELEASE_NOT_FOUND');
  await refusal(t, op1.request('POST', `/v1/releases/${release.id}/approve`), 403, 'KOPPEL_ERR_AUTH_FOUR_EYES');
  await refusal(t, server.client('operator:Olivia').request('POST', `/v1/releases/${release.id}/approve`), 403, 'KOPPEL_ERR_AUTH_FOUR_EYES');
  await refusal(t, server.client('OPERATOR:OLIVIA').request('POST', `/v1/releases/${release.id}/approve`), 403, 'KOPPEL_ERR_AUTH_FOUR_EYES');
  const { body: approved } = await op2.request<{ status: string; approved_by: string }>('POST', `/v1/releases/${release.id}/approve`);
  t.equal(approved.status, 'approved');
  t.equal(approved.approved_by, 'operator:omar');
  await refusal(t, op2.request('POST', `/v1/releases/${release.id}/approve`), 409, 'KOPPEL_ERR_RELEASE_ALREADY_APPROVED');

  const mine = await an.request<{ id: string }[]>('GET', '/v1/releases');
  t.same(mine.body.map((r) => r.id), [release.id], 'the researcher lists its project\'s approved release');
  t.same((await bo.request<unknown[]>('GET', '/v1/releases')).body, [], 'another project\'s researcher lists nothing');
  await refusal(t, bo.request('GET', `/v1/releases/${release.id}`), 404, 'KOPPEL_ERR_RELEASE_NOT_FOUND');
  await refusal(t, bo.download(`/v1/releases/${release.id}/files/persons.arrow`), 404, 'KOPPEL_ERR_RELEASE_NOT_FOUND');
  const csv = Buffer.from(await an.download(`/v1/releases/${release.id}/files/persons.csv`)).toString('utf8');
  t.match(csv.split('\n')[0], /^pseudonym,birth_year,sex/, 'the persons file has the pseudonym and the key variables');
  await refusal(t, an.download(`/v1/releases/${release.id}/files/nothing.csv`), 404, 'KOPPEL_ERR_RELEASE_FILE_NOT_FOUND');
  t.ok(other.id !== project.id);

  await refusal(t, op1.as('kpl_bogus_token').request('GET', '/v1/audit'), 401, 'KOPPEL_ERR_AUTH_INVALID_TOKEN');
  const audit = await op1.request<{ entries: { action: string; outcome: string }[] }>('GET', '/v1/audit?limit=1000');
  t.ok(audit.body.entries.some((e) => e.outcome === 'refused'), 'refused requests are audited');
  t.ok(audit.body.entries.some((e) => e.action === 'release.approve'), 'approvals are audited');
  t.ok(audit.body.entries.some((e) => e.action === 'release.download'), 'downloads are audited');
  t.ok(server.runtime.store.verifyAudit().ok, 'the audit chain verifies');
});

t.test('a revoked token is refused', async (t) => {
  const server = await startTestServer(t);
  const { tokenId, token } = server.runtime.store.createToken('operator:olivia', 'test');
  const client = server.client('operator:x').as(token);
  await client.request('GET', '/v1/audit');
  server.runtime.store.revokeToken(tokenId);
  await refusal(t, client.request('GET', '/v1/audit'), 401, 'KOPPEL_ERR_AUTH_INVALID_TOKEN');
  const anonymous = server.client('operator:y').as('');
  const res = await fetch(`${server.base}/v1/audit`);
  t.equal(res.status, 401);
  t.equal(((await res.json()) as { code: string }).code, 'KOPPEL_ERR_AUTH_MISSING_TOKEN');
  t.ok(anonymous);
});
