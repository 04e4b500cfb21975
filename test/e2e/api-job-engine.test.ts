/**
 * A server job takes the job file's `engine` setting (job-schema.ts, shared with `koppel link`):
 * the DuckDB SQL plan, run in the job's worker thread, gives the in-process engine's links.
 * Skipped, with a message, where `@duckdb/node-api` cannot load.
 */
import t from 'tap';
import type { Table } from 'apache-arrow';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError } from '../../src/cli/api-client.js';

let duckdb: string | null = null;
try {
  await import('@duckdb/node-api');
} catch (e) {
  duckdb = `@duckdb/node-api cannot load here (${(e as { code?: string }).code ?? 'error'})`;
  t.comment(`${duckdb}: the DuckDB server job is skipped.`);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? `${err.status} ${err.code}` : 'no error';
}

/** Two deliveries where every tenth record of the second has no national number: the probabilistic pass has work. */
async function world(server: TestServer): Promise<{ jobs: string; deliveries: string[] }> {
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const people = makePeople(300, 33);
  const put = (who: string, dataset: string, csv: string) => server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024`, { body: csv, headers: { 'content-type': 'text/csv' } });
  const a = await put('vdab', 'vdab_set', csvFor(people));
  const b = await put('agodi', 'agodi_set', csvFor(people.slice(0, 200), { spell: (insz, i) => (i % 10 === 0 ? '' : insz) }));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
    },
  });
  return { jobs: `/v1/projects/${project.id}/jobs`, deliveries: [a.body.id, b.body.id] };
}

function column(table: Table, name: string): unknown[] {
  return [...(table.getChild(name)?.toArray() ?? [])] as unknown[];
}

t.test('a job body names its engine as a job file does; an unknown engine is refused by the schema', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const { jobs, deliveries } = await world(server);
  t.equal(await codeOf(op.request('POST', jobs, { json: { deliveries, engine: 'spark' } })), '400 KOPPEL_ERR_API_BAD_REQUEST');
  const { body: queued } = await op.request<{ id: string; settings: { engine: string } }>('POST', jobs, { json: { deliveries, engine: 'in-process' } });
  t.equal(queued.settings.engine, 'in-process', 'the job records its engine');
  t.equal((await waitForJob(op, queued.id)).status, 'succeeded');
});

t.test('a server job on the duckdb engine gives the in-process engine\'s links and persons', { skip: duckdb ?? false }, async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const { jobs, deliveries } = await world(server);
  const run = async (engine: string) => {
    const { body } = await op.request<{ id: string }>('POST', jobs, { json: { deliveries, engine } });
    const job = await waitForJob(op, body.id) as { status: string; error: unknown; report: { persons: number; links: number } };
    t.equal(job.status, 'succeeded', `the ${engine} job succeeded (${JSON.stringify(job.error)})`);
    const store = server.runtime.store;
    return { report: job.report, links: await store.readJobFile(body.id, 'links'), clusters: await store.readJobFile(body.id, 'clusters') };
  };
  const inProcess = await run('in-process');
  const duck = await run('duckdb');
  t.equal(duck.report.persons, inProcess.report.persons, 'same persons');
  t.equal(duck.report.links, inProcess.report.links, 'same number of links');
  t.ok(inProcess.report.links > 180, 'the probabilistic pass linked the records without a number too');
  for (const name of ['left_row', 'right_row', 'method']) t.same(column(duck.links, name), column(inProcess.links, name), `links: same ${name}`);
  const p = column(inProcess.links, 'match_probability') as number[];
  const q = column(duck.links, 'match_probability') as number[];
  t.ok(p.every((x, i) => Math.abs(x - q[i]) <= 1e-9), 'links: the same match probabilities');
  t.same(column(duck.clusters, 'person_id'), column(inProcess.clusters, 'person_id'), 'every record in the same person (persistent ids)');
});
