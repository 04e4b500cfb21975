/**
 * A recurrent product's run survives the server being killed (SIGKILL) while it is under way:
 * `koppel serve` runs as a child process, is killed the moment the last delivery is answered
 * (its run claimed, its job just started), and is restarted on the same data dir. The run is
 * never left running: it is marked failed as interrupted, and a second attempt builds the draft.
 */
import t from 'tap';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { prepareServerHome, startServe, type ServeProcess } from '../fixtures/koppel-process.js';

interface Run { attempt: number; status: string; release_id: string | null; error: { code: string; stage: string } | null }

t.test('a server killed during a product run restarts, marks the run interrupted and runs the period again', { timeout: 180_000 }, async (t) => {
  const { dataDir, keysDir, operator, supplier } = prepareServerHome(t, 'koppel-product-restart-');
  const servers: ServeProcess[] = [];
  t.teardown(() => Promise.all(servers.map((s) => s.kill())));
  const call = async <T>(server: ServeProcess, token: string, method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.base}${url}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  const first = await startServe({ dataDir, keysDir });
  servers.push(first);
  await call(first, operator, 'POST', '/v1/datasets', testDatasetSchema('vdab_set', 'vdab'));
  const { body: project } = await call<{ id: string }>(first, operator, 'POST', '/v1/projects', {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['sex', 'loon_cent'] }, key_variables: ['sex'], k: 2,
  });
  const { body: product } = await call<{ id: string }>(first, operator, 'POST', `/v1/projects/${project.id}/products`, { name: 'Paths', schedule: 'quarterly', datasets: ['vdab_set'], from: '2024Q1' });
  const uploaded = await call<{ id: string }>(first, supplier, 'PUT', '/v1/datasets/vdab_set/deliveries/2024Q1', csvFor(makePeople(2000, 8)), 'text/csv');
  t.equal(uploaded.status, 201, 'the last delivery is stored');
  // The run was claimed before the upload was answered; its job cannot be done yet.
  const { signal } = await first.kill();
  t.equal(signal, 'SIGKILL', 'the server is killed during the run');

  const second = await startServe({ dataDir, keysDir });
  servers.push(second);
  let runs: Run[] = [];
  for (let i = 0; i < 600; i++) {
    runs = (await call<Run[]>(second, operator, 'GET', `/v1/products/${product.id}/runs`)).body;
    if (runs.length === 2 && runs[1].status !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.match(runs, [
    { attempt: 1, status: 'failed', release_id: null, error: { code: 'KOPPEL_ERR_LINK_INTERRUPTED', stage: 'interrupted' } },
    { attempt: 2, status: 'succeeded', error: null },
  ], 'the interrupted run is marked failed at start, and a second attempt builds the draft');
  const { body: release } = await call<{ status: string; created_by: string }>(second, operator, 'GET', `/v1/releases/${runs[1].release_id}`);
  t.match(release, { status: 'draft', created_by: 'system:koppel' });
  const stopped = await second.stop();
  t.equal(stopped.code, 0, 'the restarted server stops cleanly');
});
