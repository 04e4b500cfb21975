/**
 * Approved releases after the fact: an operator rechecks one under the current rules (through
 * the API and `koppel release recheck`), and withdraws one; its downloads then answer 410.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { tableFromArrays } from 'apache-arrow';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError } from '../../src/cli/api-client.js';
import { main } from '../../src/cli/main.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? `${err.status} ${err.code}` : 'no error';
}

/** The load guard answers 503 while the loaded test machine's event loop has not been sampled yet: wait it out. */
interface Recheck { release: string; manifest_version: number; would_refuse: boolean; findings: { rule: string; message: string }[] }

t.test('recheck reports how approved releases fare under the current rules, old rules included; withdrawal stops downloads', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const op2 = server.client('operator:omar');
  const an = server.client('researcher:an');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab', 'vdab') });
  const { body: d } = await server.client('supplier:vdab').request<{ id: string }>('PUT', '/v1/datasets/vdab/deliveries/2024', { body: csvFor(makePeople(200, 5)), headers: { 'content-type': 'text/csv' } });
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab: ['sex', 'loon_cent'] }, key_variables: ['sex'], k: 5,
    },
  });
  const { body: job } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [d.id] } });
  await waitForJob(op, job.id);
  const { body: draft } = await op.request<{ id: string }>('POST', `/v1/jobs/${job.id}/releases`);
  const current = draft.id;
  t.equal(await codeOf(op.request('POST', `/v1/releases/${current}/recheck`)), '409 KOPPEL_ERR_RELEASE_NOT_APPROVED', 'a draft is not rechecked');
  await op2.request('POST', `/v1/releases/${current}/approve`);

  const { body: fresh } = await op.request<Recheck>('POST', `/v1/releases/${current}/recheck`);
  t.same([fresh.manifest_version, fresh.would_refuse, fresh.findings], [3, false, []], 'a release built under the current rules passes');
  t.equal(await codeOf(an.request('POST', `/v1/releases/${current}/recheck`)), '403 KOPPEL_ERR_AUTH_FORBIDDEN', 'researchers do not recheck');
  t.equal(await codeOf(server.client('supplier:vdab').request('POST', `/v1/releases/${current}/recheck`)), '403 KOPPEL_ERR_AUTH_FORBIDDEN', 'suppliers do not recheck');
  t.equal(await codeOf(op.request('POST', '/v1/releases/rel_00000000000000000000/recheck')), '404 KOPPEL_ERR_RELEASE_NOT_FOUND');

  // A release approved under the first rules (manifest version 1): metadata per row, a persons
  // file with unique combinations. It stays as it was; the recheck says it would be refused.
  const pseudonyms = Array.from({ length: 6 }, (_, i) => i.toString(16).padStart(32, '0'));
  const old = server.runtime.store.createRelease(job.id, project.id, [
    { name: 'persons', table: tableFromArrays({ pseudonym: pseudonyms, sex: ['M', 'M', 'M', 'M', 'M', 'F'] }) },
    { name: 'vdab', table: tableFromArrays({ pseudonym: pseudonyms, period: pseudonyms.map(() => '2024'), link_method: pseudonyms.map(() => 'deterministic'), match_probability: Float64Array.from(pseudonyms, () => 1) }) },
  ], {
    manifest_version: 1, status: 'draft', release_id: 'x', project: { id: project.id }, job: { id: job.id, settings: null }, koppel_version: '0.0.1', key_ids: [],
    files: [{ name: 'persons', rows: 6, columns: ['pseudonym', 'sex'] }, { name: 'vdab', rows: 6, columns: ['pseudonym', 'period', 'link_method', 'match_probability'] }],
    disclosure_control: { k: 5 }, built_by: 'operator:olivia', built_at: null, approved_by: null, approved_at: null, audit_head: null,
  }, 'operator:olivia');
  await op2.request('POST', `/v1/releases/${old.id}/approve`);
  const { body: stale } = await op.request<Recheck>('POST', `/v1/releases/${old.id}/recheck`);
  t.equal(stale.manifest_version, 1, 'the manifest says which rules applied');
  t.equal(stale.would_refuse, true);
  t.same(stale.findings.map((f) => f.rule).sort(), ['k_anonymity', 'linkage_metadata']);
  t.match(stale.findings.find((f) => f.rule === 'k_anonymity')?.message, /1 combinations of sex hold fewer than k = 5 persons/);
  t.equal((await an.download(`/v1/releases/${old.id}/files/persons.arrow`)).byteLength > 0, true, 'and it is still served as it was');

  // The CLI rechecks every approved release and exits 1 when one would be refused.
  let out = '';
  const stdout = new Writable({ write(chunk, _e, done) { out += String(chunk); done(); } });
  const code = await main(['release', 'recheck', '--data-dir', server.dataDir, '--keys', server.keysDir], { stdout, stderr: stdout, env: {} });
  t.equal(code, 1, 'koppel release recheck exits 1');
  t.match(out, new RegExp(`${old.id} \\(project ${project.id}, manifest version 1\\): WOULD BE REFUSED`));
  t.match(out, new RegExp(`${current} \\(project ${project.id}, manifest version 3\\): passes`));

  // Withdrawal.
  t.equal(await codeOf(op.request('POST', `/v1/releases/${old.id}/withdraw`, { json: {} })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'a reason is required');
  t.equal(await codeOf(an.request('POST', `/v1/releases/${old.id}/withdraw`, { json: { reason: 'built under the old rules' } })), '403 KOPPEL_ERR_AUTH_FORBIDDEN', 'researchers do not withdraw');
  const { body: withdrawn } = await op.request<{ withdrawn: { reason: string; by: string } | null }>('POST', `/v1/releases/${old.id}/withdraw`, { json: { reason: 'built under the old rules' } });
  t.match(withdrawn.withdrawn, { reason: 'built under the old rules', by: 'operator:olivia' });
  for (const name of ['persons.arrow', 'persons.csv', 'vdab.arrow']) {
    t.equal(await codeOf(an.download(`/v1/releases/${old.id}/files/${name}`)), '410 KOPPEL_ERR_RELEASE_WITHDRAWN', `${name} is no longer served`);
  }
  const { body: listing } = await an.request<{ id: string; withdrawn: unknown }[]>('GET', '/v1/releases');
  t.ok(listing.find((r) => r.id === old.id)?.withdrawn, 'the listing shows it withdrawn');
  t.equal(listing.find((r) => r.id === current)?.withdrawn, null, 'and the other not');
  t.equal(await codeOf(op.request('POST', `/v1/releases/${old.id}/withdraw`, { json: { reason: 'built under the old rules' } })), '409 KOPPEL_ERR_RELEASE_NOT_APPROVED', 'withdrawn once');
  const audit = await op.request<{ entries: { action: string; target: string; detail: { reason?: string } }[] }>('GET', '/v1/audit?limit=1000');
  t.equal(audit.body.entries.find((e) => e.action === 'release.withdraw')?.detail.reason, 'built under the old rules', 'audited with the reason');
  t.ok(audit.body.entries.some((e) => e.action === 'release.recheck' && e.target === old.id), 'rechecks are audited');
});
