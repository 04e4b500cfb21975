/**
 * The listing routes the console (and any client) finds its way with: who am I, deliveries,
 * projects, jobs, and the audit chain's verification status, each under its resource's roles.
 */
import t from 'tap';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError } from '../../src/cli/api-client.js';

async function refused(promise: Promise<unknown>): Promise<{ status: number; code: string } | null> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? { status: err.status, code: err.code } : null;
}

const forbidden = { status: 403, code: 'KOPPEL_ERR_AUTH_FORBIDDEN' };

t.test('whoami, deliveries, projects, jobs and audit verification answer each role with what it may see', async (t) => {
  const server = await startTestServer(t);
  const olivia = server.client('operator:olivia');
  const vdab = server.client('supplier:vdab');
  const rsz = server.client('supplier:rsz');
  const an = server.client('researcher:an');
  const bo = server.client('researcher:bo');
  const people = makePeople(40, 3);

  t.same((await vdab.request('GET', '/v1/whoami')).body, { id: 'supplier:vdab', role: 'supplier', name: 'vdab' }, 'whoami names the principal');
  t.same((await an.request('GET', '/v1/whoami')).body, { id: 'researcher:an', role: 'researcher', name: 'an' });
  t.same(await refused(fetch(`${server.base}/v1/whoami`).then(async (r) => { if (!r.ok) throw new ApiError(r.status, ((await r.json()) as { code: string }).code, ''); })),
    { status: 401, code: 'KOPPEL_ERR_AUTH_MISSING_TOKEN' }, 'whoami without a token is 401');
  t.same(await refused(vdab.as('not-a-token').request('GET', '/v1/whoami')), { status: 401, code: 'KOPPEL_ERR_AUTH_INVALID_TOKEN' }, 'a bad token is 401');

  await olivia.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await olivia.request('POST', '/v1/datasets', { json: testDatasetSchema('rsz_set', 'rsz') });
  const put = (client: typeof vdab, dataset: string, query = '') => client.request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024Q1${query}`, {
    body: csvFor(people, { wage: () => (query === '' ? 5 : 6) }), headers: { 'content-type': 'text/csv' },
  });
  const first = (await put(vdab, 'vdab_set')).body;
  const second = (await put(vdab, 'vdab_set', '?supersede=true')).body;
  const other = (await put(rsz, 'rsz_set')).body;

  const all = (await olivia.request<{ id: string; report: { rows_read: number } }[]>('GET', '/v1/deliveries')).body;
  t.same(all.map((d) => d.id).sort(), [first.id, second.id, other.id].sort(), 'an operator lists every delivery');
  t.equal(all[0].report.rows_read, 40, 'with its quality report');
  const own = (await vdab.request<{ id: string }[]>('GET', '/v1/deliveries')).body;
  t.same(own.map((d) => d.id).sort(), [first.id, second.id].sort(), 'a supplier lists only its own datasets\' deliveries');
  const current = (await vdab.request<{ id: string }[]>('GET', '/v1/deliveries?status=current')).body;
  t.same(current.map((d) => d.id), [second.id], '?status=current leaves superseded versions out');
  t.same((await olivia.request<{ id: string }[]>('GET', '/v1/deliveries?dataset=rsz_set')).body.map((d) => d.id), [other.id], '?dataset= filters');
  t.same(await refused(an.request('GET', '/v1/deliveries')), forbidden, 'a researcher may not list deliveries');
  t.same(await refused(olivia.request('GET', '/v1/deliveries?dataset=Bad-Name')), { status: 400, code: 'KOPPEL_ERR_API_BAD_REQUEST' }, 'a bad filter is 400');

  const project = (await olivia.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['birth_year', 'sex'], rsz_set: ['loon_cent'] }, key_variables: ['birth_year', 'sex'], k: 3,
    },
  })).body;
  t.same((await olivia.request<{ id: string }[]>('GET', '/v1/projects')).body.map((p) => p.id), [project.id], 'an operator lists every project');
  t.same((await an.request<{ id: string }[]>('GET', '/v1/projects')).body.map((p) => p.id), [project.id], 'a researcher lists the projects that name it');
  t.same((await bo.request<unknown[]>('GET', '/v1/projects')).body, [], 'and no other');
  t.same(await refused(vdab.request('GET', '/v1/projects')), forbidden, 'a supplier may not list projects');

  const job = (await olivia.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [second.id, other.id] } })).body;
  await waitForJob(olivia, job.id);
  const jobs = (await olivia.request<Record<string, unknown>[]>('GET', `/v1/jobs?project=${project.id}`)).body;
  t.equal(jobs.length, 1, 'an operator lists the project\'s jobs');
  t.equal(jobs[0].id, job.id);
  t.equal(jobs[0].status, 'succeeded', 'with their status');
  t.notOk('report' in jobs[0], 'without the report, which the job route gives');
  t.same((await olivia.request<unknown[]>('GET', '/v1/jobs?project=prj_00000000000000000000')).body, [], 'another project has none');
  t.same(await refused(an.request('GET', '/v1/jobs')), forbidden, 'a researcher may not list jobs');
  t.same(await refused(olivia.request('GET', '/v1/jobs?limit=0')), { status: 400, code: 'KOPPEL_ERR_API_BAD_REQUEST' }, 'a limit out of range is 400');

  const audit = (await olivia.request<{ ok: boolean; entries: number; head: { seq: number } }>('GET', '/v1/audit/verification')).body;
  t.equal(audit.ok, true, 'the audit chain verifies');
  t.ok(audit.entries >= 5, 'over every entry so far');
  t.equal(audit.head.seq, audit.entries, 'up to the head');
  t.same(await refused(vdab.request('GET', '/v1/audit/verification')), forbidden, 'a supplier may not verify the audit chain');
});
