/**
 * What a release carries besides its Arrow tables: the linkage quality report (in the manifest
 * and as quality.html) and a Parquet copy of every table, each hashed in the manifest and
 * downloaded through the same verified, streamed path as the Arrow files.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm/node';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError } from '../../src/cli/api-client.js';

/** The load guard answers 503 while the loaded test machine's event loop has not been sampled yet: wait it out. */
interface Manifest {
  manifest_version: number;
  files: { name: string; sha256: string; parquet?: { file: string; sha256: string; bytes: number } }[];
  documents?: { file: string; sha256: string; bytes: number }[];
  linkage_quality: {
    persons: number; threshold: number; estimated_precision: number | null; estimated_recall: number | null;
    links: { deterministic: number; probabilistic: number; total: number };
    sources: { dataset: string; period: string; records: number; linked_deterministic: number; linked_probabilistic: number; unlinked: number }[];
  };
}

async function approvedRelease(server: TestServer): Promise<{ id: string; manifest: Manifest }> {
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const people = makePeople(300, 31);
  const put = (who: string, dataset: string, csv: string) => server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024`, { body: csv, headers: { 'content-type': 'text/csv' } });
  const a = await put('vdab', 'vdab_set', csvFor(people));
  // Every fourth person has no national number in agodi: linked on name and birth date, or not.
  const b = await put('agodi', 'agodi_set', csvFor(people.slice(0, 200), { spell: (insz, i) => (i % 4 === 0 ? '' : insz) }));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T <b>', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['loon_cent', 'sex'], agodi_set: ['loon_cent'] }, key_variables: ['sex'], k: 2,
    },
  });
  const { body: job } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id, b.body.id] } });
  await waitForJob(op, job.id);
  const { body: draft } = await op.request<{ id: string; manifest: Manifest }>('POST', `/v1/jobs/${job.id}/releases`);
  const { body: approved } = await server.client('operator:omar').request<{ id: string; manifest: Manifest }>('POST', `/v1/releases/${draft.id}/approve`);
  return approved;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

t.test('a release carries its linkage quality as JSON in the manifest and as quality.html', async (t) => {
  const server = await startTestServer(t);
  const { id, manifest } = await approvedRelease(server);
  t.equal(manifest.manifest_version, 3);
  const q = manifest.linkage_quality;
  t.same(q.sources.map((s) => [s.dataset, s.period, s.records]), [['vdab_set', '2024', 300], ['agodi_set', '2024', 200]], 'per source');
  t.ok(q.links.deterministic >= 150 && q.links.total === q.links.deterministic + q.links.probabilistic, 'links per method');
  t.equal(q.sources[0].linked_deterministic + q.sources[0].linked_probabilistic + q.sources[0].unlinked, 300, 'every record of a source is counted once');
  t.ok(q.threshold > 0 && q.threshold < 1, 'the threshold');
  t.ok(q.estimated_precision === null || (q.estimated_precision >= 0 && q.estimated_precision <= 1), 'estimated precision');
  const an = server.client('researcher:an');
  const html = Buffer.from(await an.download(`/v1/releases/${id}/files/quality.html`));
  t.equal(sha256(html), manifest.documents?.find((d) => d.file === 'quality.html')?.sha256, 'hashed in the manifest');
  const text = html.toString('utf8');
  t.match(text, /Estimated precision/);
  t.notMatch(text, /<script/i, 'no script');
  t.match(text, /<style>/, 'inline CSS');
  t.match(text, /vdab_set/);
});

t.test('every release table downloads as Parquet, with the Arrow file\'s rows, verified against the manifest', async (t) => {
  const server = await startTestServer(t, { maxEventLoopDelayMs: 60000, logLevel: 'silent' });
  const { id, manifest } = await approvedRelease(server);
  const an = server.client('researcher:an');
  for (const f of manifest.files) {
    t.ok(f.parquet !== undefined, `${f.name} has a Parquet copy in the manifest`);
    const bytes = new Uint8Array(await an.download(`/v1/releases/${id}/files/${f.name}.parquet`));
    t.equal(sha256(bytes), f.parquet!.sha256, `${f.name}.parquet matches its hash`);
    const fromParquet = tableFromIPC(readParquet(bytes).intoIPCStream());
    const fromArrow = tableFromIPC(await an.download(`/v1/releases/${id}/files/${f.name}.arrow`));
    t.same(fromParquet.toArray().map((r) => r.toJSON()), fromArrow.toArray().map((r) => r.toJSON()), `${f.name}: the same rows and nulls`);
  }
  // A Parquet file changed on disk is refused before the first byte.
  const file = path.join(server.dataDir, 'releases', id, 'persons.parquet');
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 20] ^= 1;
  fs.writeFileSync(file, bytes);
  const err = await an.download(`/v1/releases/${id}/files/persons.parquet`).then(() => null, (e: unknown) => e);
  t.ok(err instanceof ApiError && err.status === 500 && err.code === 'KOPPEL_ERR_STORE_CORRUPT', 'a corrupt Parquet file is not sent');
  const missing = await an.download(`/v1/releases/${id}/files/nope.parquet`).then(() => null, (e: unknown) => e);
  t.ok(missing instanceof ApiError && missing.code === 'KOPPEL_ERR_RELEASE_FILE_NOT_FOUND', 'an unknown table');
  const other = await an.download(`/v1/releases/${id}/files/report.html`).then(() => null, (e: unknown) => e);
  t.ok(other instanceof ApiError && other.code === 'KOPPEL_ERR_RELEASE_FILE_NOT_FOUND', 'an unlisted document');
});
