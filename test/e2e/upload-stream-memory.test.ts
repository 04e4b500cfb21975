/**
 * An upload of about 100 MB is streamed: `koppel serve` runs as a child process and its
 * resident memory (from /proc, Linux) stays far below the body size while it ingests, and the
 * delivery is stored with every row.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { initKey, loadKeyring, openStore } from '../../src/store/index.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { csvBlocks, memoryOf, startServe, streamCsv } from '../fixtures/koppel-process.js';

const MB = 1024 * 1024;
const PEAK_RSS_LIMIT = 250 * MB;

t.test('a ~100 MB CSV upload is ingested with bounded server memory and stored with its row count', { timeout: 300_000, skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-upload-mem-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  initKey(keysDir);
  const store = openStore({ dataDir, keyring: loadKeyring(keysDir) });
  const operator = store.createToken('operator:olivia', 'test').token;
  const supplier = store.createToken('supplier:vdab', 'test').token;
  store.close();

  const server = await startServe({ dataDir, keysDir });
  t.teardown(() => server.kill());
  const call = (token: string, method: string, url: string, init: { body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${server.base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...init.headers }, body: init.body, duplex: 'half' } as RequestInit);
  const registered = await call(operator, 'POST', '/v1/datasets', { body: JSON.stringify(testDatasetSchema('vdab_set', 'vdab')), headers: { 'content-type': 'application/json' } });
  t.equal(registered.status, 201, 'the dataset is registered');

  const csv = csvBlocks(csvFor(makePeople(4000, 5)).trimEnd().split('\n'), 8, 2000);
  const blockBytes = csv.blocks[0].length;
  const totalBlocks = Math.ceil((Number(process.env.G_MB ?? 100) * MB) / blockBytes);
  const expectedRows = totalBlocks * csv.rowsPerBlock;
  const bodyBytes = csv.header.length + csv.blocks.reduce((s, b, i) => s + b.length * Math.ceil((totalBlocks - i) / csv.blocks.length), 0);
  t.ok(bodyBytes > 95 * MB, `the body is ${(bodyBytes / MB).toFixed(0)} MB, ${expectedRows} rows`);

  const before = memoryOf(server.pid)!;
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    const m = memoryOf(server.pid);
    if (m !== null && m.rss > peakRss) peakRss = m.rss;
  }, 50);
  t.teardown(() => clearInterval(sampler));
  const started = Date.now();
  const res = await call(supplier, 'PUT', '/v1/datasets/vdab_set/deliveries/2024Q1', {
    body: Readable.toWeb(Readable.from(streamCsv(csv, totalBlocks))),
    headers: { 'content-type': 'text/csv' },
  });
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const after = memoryOf(server.pid)!;
  const text = await res.text();
  t.equal(res.status, 201, `the upload is stored (${seconds.toFixed(1)} s): ${res.status === 201 ? '' : text.slice(0, 300)}`);
  const delivery = JSON.parse(text) as { id: string; rows_kept: number; report: { rows_read: number; rows_kept: number; rows_rejected: number } };
  t.equal(delivery.report.rows_read, expectedRows, 'every row was read');
  t.equal(delivery.report.rows_rejected, 0, 'none rejected');
  t.equal(delivery.rows_kept, expectedRows, 'and every row was kept');

  // VmHWM is the kernel's own peak, so a spike between two samples is not missed.
  const peak = Math.max(peakRss, after.hwm);
  t.comment(`server RSS before ${(before.rss / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB, after ${(after.rss / MB).toFixed(0)} MB; body ${(bodyBytes / MB).toFixed(0)} MB`);
  t.ok(peak < PEAK_RSS_LIMIT, `the server's peak RSS (${(peak / MB).toFixed(0)} MB) stays under ${PEAK_RSS_LIMIT / MB} MB`);
  t.ok(peak - before.rss < bodyBytes / 2, 'it grew by far less than the body');

  const read = await call(operator, 'GET', `/v1/deliveries/${delivery.id}`);
  t.equal(read.status, 200);
  t.equal(((await read.json()) as { rows_kept: number }).rows_kept, expectedRows, 'the stored delivery has the row count');
  const stopped = await server.stop();
  t.equal(stopped.code, 0, 'the server stops cleanly');
  const files = fs.readdirSync(path.join(dataDir, 'deliveries', delivery.id));
  t.same(files.sort(), ['linkage.arrow', 'payload.arrow'], 'the delivery files are in place');
});
