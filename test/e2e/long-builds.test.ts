/**
 * A build answers when it is done. At national scale that takes minutes with no byte on the
 * socket; the idle timeout (requestTimeoutMs) cut the request while the build went on, and the
 * client saw "socket hang up" (the 11.8M turnaround, 2026-12-07). With the shortest idle timeout
 * allowed, a build longer than it must still answer.
 */
import t from 'tap';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';

t.test('a release build that outlasts the idle timeout still answers 201', async (t) => {
  const server = await startTestServer(t, { requestTimeoutMs: 1000, logLevel: 'silent' });
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const people = makePeople(20_000, 5);
  const put = (who: string, dataset: string, csv: string) => server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024`, { body: csv, headers: { 'content-type': 'text/csv' } });
  const a = await put('vdab', 'vdab_set', csvFor(people));
  const b = await put('agodi', 'agodi_set', csvFor(people.slice(0, 15_000)));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
    },
  });
  const { body: job } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id, b.body.id] } });
  t.equal((await waitForJob(op, job.id)).status, 'succeeded');
  const started = performance.now();
  const token = op.token;
  const res = await fetch(`${server.base}/v1/jobs/${job.id}/releases`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
  const ms = performance.now() - started;
  t.equal(res.status, 201, `the build answered after ${Math.round(ms)} ms`);
  if (ms <= 1000) t.comment(`the build took ${Math.round(ms)} ms, within the idle timeout: this machine did not exercise the case`);
});
