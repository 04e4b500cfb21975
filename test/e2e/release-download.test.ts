import fs from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import t from 'tap';
import { tableFromIPC } from 'apache-arrow';
import { startTestServer, type TestServer } from '../fixtures/server.js';
import { linkedProject } from '../fixtures/two-deliveries.js';

/** Two deliveries of 300 and 200 people, linked, released and approved; batches of 40 rows. */
async function approvedRelease(server: TestServer): Promise<string> {
  const { jobId, status } = await linkedProject(server, 300, 200, 31);
  t.equal(status, 'succeeded');
  const { body: draft } = await server.client('operator:olivia').request<{ id: string }>('POST', `/v1/jobs/${jobId}/releases`);
  await server.client('operator:omar').request('POST', `/v1/releases/${draft.id}/approve`);
  return draft.id;
}

/** Counts whole-file reads of `file` (readFileSync, readFile, promises.readFile) while `fn` runs. */
async function wholeFileReads(file: string, fn: () => Promise<void>): Promise<number> {
  let reads = 0;
  const originals = { readFileSync: fs.readFileSync, readFile: fs.readFile, promisesReadFile: fs.promises.readFile };
  const spy = <F>(original: F) => ((p: unknown, ...rest: unknown[]) => {
    if (String(p) === file) reads++;
    return (original as (...a: unknown[]) => unknown)(p, ...rest);
  }) as F;
  fs.readFileSync = spy(originals.readFileSync);
  fs.readFile = spy(originals.readFile);
  fs.promises.readFile = spy(originals.promisesReadFile);
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    Object.assign(fs, { readFileSync: originals.readFileSync, readFile: originals.readFile });
    fs.promises.readFile = originals.promisesReadFile;
    syncBuiltinESMExports();
  }
  return reads;
}

async function get(server: TestServer, url: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const token = server.client('researcher:an').token;
  const response = await fetch(new URL(url, server.base), { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
}

t.test('a multi-batch release file downloads as Arrow and as CSV, streamed from the verified file', async (t) => {
  const server = await startTestServer(t, { batchRows: 40, logLevel: 'silent' });
  const release = await approvedRelease(server);
  const stored = path.join(server.dataDir, 'releases', release, 'vdab_set.arrow');
  const onDisk = fs.readFileSync(stored);
  t.ok(tableFromIPC(onDisk).batches.length >= 7, 'the stored file has several batches (300 rows in 40s)');

  const got: Awaited<ReturnType<typeof get>>[] = [];
  const reads = await wholeFileReads(stored, async () => {
    got.push(await get(server, `/v1/releases/${release}/files/vdab_set.arrow`));
    got.push(await get(server, `/v1/releases/${release}/files/vdab_set.csv`));
  });
  const [arrow, csv] = got;
  t.equal(reads, 0, 'the stored file is never read whole');
  t.equal(arrow.status, 200);
  t.equal(arrow.type, 'application/vnd.apache.arrow.file');
  t.ok(arrow.body.equals(onDisk), 'the Arrow download is the stored file, byte for byte');
  t.equal(csv.status, 200);
  const lines = csv.body.toString('utf8').trimEnd().split('\r\n');
  t.equal(lines[0], 'pseudonym,period,loon_cent', 'no linkage metadata per row (it is per person, in persons)');
  t.equal(lines.length, 301, 'a header and one line per row of every batch');
  const expected = tableFromIPC(onDisk).getChild('pseudonym')!.toArray() as string[];
  t.same(lines.slice(1).map((l) => l.split(',')[0]), Array.from(expected), 'rows in the stored order');
});

t.test('a release file altered after approval answers KOPPEL_ERR_STORE_CORRUPT and sends none of its bytes', async (t) => {
  const server = await startTestServer(t, { batchRows: 40, logLevel: 'silent' });
  const release = await approvedRelease(server);
  const stored = path.join(server.dataDir, 'releases', release, 'agodi_set.arrow');
  const bytes = fs.readFileSync(stored);
  bytes[bytes.length >> 1] ^= 0x01; // one bit, in a batch body
  fs.writeFileSync(stored, bytes);
  for (const name of ['agodi_set.arrow', 'agodi_set.csv']) {
    const response = await get(server, `/v1/releases/${release}/files/${name}`);
    t.equal(response.status, 500, `${name}: 500`);
    t.match(response.type, /^application\/json/, `${name}: an error document, not the file`);
    const error = JSON.parse(response.body.toString('utf8')) as { code: string };
    t.equal(error.code, 'KOPPEL_ERR_STORE_CORRUPT', `${name}: the store's code`);
    t.equal(response.body.indexOf('ARROW1'), -1, `${name}: no byte of the file`);
    t.notOk(response.body.toString('utf8').includes('pseudonym,'), `${name}: no CSV rendered from it`);
  }
  const other = await get(server, `/v1/releases/${release}/files/vdab_set.arrow`);
  t.equal(other.status, 200, 'the release\'s intact files still download');
});
