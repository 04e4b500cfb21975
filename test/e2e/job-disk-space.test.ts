import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { estimateJobOutputBytes } from '../../src/pipeline/job-space.js';

t.test('a job is refused with 507 KOPPEL_ERR_STORE_NO_SPACE when the data dir lacks room for its estimated outputs', async (t) => {
  const server = await startTestServer(t, { logLevel: 'silent' });
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const people = makePeople(300, 51);
  const put = (who: string, dataset: string, csv: string) => server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024`, { body: csv, headers: { 'content-type': 'text/csv' } });
  const a = await put('vdab', 'vdab_set', csvFor(people));
  const b = await put('agodi', 'agodi_set', csvFor(people.slice(0, 200)));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
    },
  });
  const store = server.runtime.store;
  const needed = estimateJobOutputBytes([{ rows_kept: 300 }, { rows_kept: 200 }]);
  t.equal(needed, 500 * (32 + 100) + 250 * 40 + (1 << 20), 'records x (clusters + persons) + links x links row + the report');

  // An injected free-space figure: no real disk is filled.
  store.freeBytes = () => 64 * 1024;
  const token = op.token;
  const refused = await fetch(new URL(`/v1/projects/${project.id}/jobs`, server.base), {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ deliveries: [a.body.id, b.body.id] }),
  });
  t.equal(refused.status, 507);
  const error = await refused.json() as { code: string; message: string; details: { needed: number; free: number } };
  t.equal(error.code, 'KOPPEL_ERR_STORE_NO_SPACE');
  t.same(error.details, { needed, free: 64 * 1024 }, 'the estimate and what is free');
  t.match(error.message, /need an estimated 1\.\d MiB but the data directory has 0\.1 MiB free/);
  t.same(fs.readdirSync(path.join(server.dataDir, 'jobs')), [], 'no job output was started');

  // Enough room at the start, too little when the files are written: the exact sizes are checked again.
  let checks = 0;
  store.freeBytes = () => (checks++ === 0 ? 1 << 30 : 1024);
  const { body: queued } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id, b.body.id] } });
  const failed = await waitForJob(op, queued.id) as { status: string; error: { code: string } };
  t.equal(failed.status, 'failed');
  t.equal(failed.error.code, 'KOPPEL_ERR_STORE_NO_SPACE');
  t.same(fs.readdirSync(path.join(server.dataDir, 'jobs')), [], 'and wrote no files');

  delete (store as { freeBytes?: unknown }).freeBytes;
  t.ok(store.freeBytes() > 0, 'the real figure comes from statfs');
  const { body: ok } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id, b.body.id] } });
  t.equal((await waitForJob(op, ok.id)).status, 'succeeded', 'with room, the same job runs');
});
