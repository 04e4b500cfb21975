/**
 * An upload of about 100 MB is streamed: `koppel serve` runs as a child process and its
 * resident memory (from /proc, Linux) stays bounded while it ingests: a 100 MB body raises the
 * peak only a little above what a 25 MB body needed. The delivery is stored with every row.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { NeedleSet } from '../fixtures/leak-scan.js';
import { csvBlocks, memoryOf, startServe, streamCsv , prepareServerHome } from '../fixtures/koppel-process.js';

const MB = 1024 * 1024;
// The child: ~200 MB idle (160 MB before the console, tables, products and review routes were
// added). The first upload starts the encode worker (upload-encoder.ts: a thread with its own V8
// heap and modules, 200-260 MB with the upload's batches, measured), and a 100 MB body then adds
// nothing. An upload may add at most UPLOAD_RSS_BUDGET to the idle server, whatever the server's
// own size; the bounds leave room for GC timing. MAX_PEAK_GROWTH is what shows streaming.
const UPLOAD_RSS_BUDGET = 300 * MB;
const MAX_PEAK_GROWTH = 40 * MB;

t.test('a ~100 MB CSV upload is ingested with bounded server memory and stored with its row count', { timeout: 300_000, skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const { dataDir, keysDir, operator, supplier } = prepareServerHome(t, 'koppel-upload-mem-');

  const server = await startServe({ dataDir, keysDir });
  t.teardown(() => server.kill());
  const call = (token: string, method: string, url: string, init: { body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${server.base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...init.headers }, body: init.body, duplex: 'half' } as RequestInit);
  const registered = await call(operator, 'POST', '/v1/datasets', { body: JSON.stringify(testDatasetSchema('vdab_set', 'vdab')), headers: { 'content-type': 'application/json' } });
  t.equal(registered.status, 201, 'the dataset is registered');

  const people = makePeople(4000, 5);
  const csv = csvBlocks(csvFor(people).trimEnd().split('\n'), 8, 2000);
  const blocksFor = (mb: number) => Math.ceil((mb * MB) / csv.blocks[0].length);
  const bytesOf = (blocks: number) => csv.header.length + csv.blocks.reduce((s, b, i) => s + b.length * Math.ceil((blocks - i) / csv.blocks.length), 0);
  const upload = async (period: string, blocks: number) => {
    const started = Date.now();
    const res = await call(supplier, 'PUT', `/v1/datasets/vdab_set/deliveries/${period}`, {
      body: Readable.toWeb(Readable.from(streamCsv(csv, blocks))),
      headers: { 'content-type': 'text/csv' },
    });
    const text = await res.text();
    t.equal(res.status, 201, `${period}: ${(bytesOf(blocks) / MB).toFixed(0)} MB stored in ${((Date.now() - started) / 1000).toFixed(1)} s ${res.status === 201 ? '' : text.slice(0, 300)}`);
    return JSON.parse(text) as { id: string; rows_kept: number; report: { rows_read: number; rows_kept: number; rows_rejected: number } };
  };

  const idle = memoryOf(server.pid)!;
  let sampledPeak = idle.rss;
  const sampler = setInterval(() => {
    const m = memoryOf(server.pid);
    if (m !== null && m.rss > sampledPeak) sampledPeak = m.rss;
  }, 50);
  t.teardown(() => clearInterval(sampler));

  // A smaller upload first brings the server to its working size (batch buffers, a grown heap);
  // then a four times larger body must not raise the peak by more than a fraction of the
  // difference: memory that held the body, or any share of it, would.
  const warmup = await upload('2023Q4', blocksFor(25));
  const warm = memoryOf(server.pid)!;
  const bigBlocks = blocksFor(100);
  const bodyBytes = bytesOf(bigBlocks);
  const expectedRows = bigBlocks * csv.rowsPerBlock;
  const delivery = await upload('2024Q1', bigBlocks);
  clearInterval(sampler);
  const after = memoryOf(server.pid)!;
  t.equal(warmup.rows_kept, blocksFor(25) * csv.rowsPerBlock, 'the first upload kept every row');
  t.ok(bodyBytes > 95 * MB, `the large body is ${(bodyBytes / MB).toFixed(0)} MB, ${expectedRows} rows`);
  t.equal(delivery.report.rows_read, expectedRows, 'every row was read');
  t.equal(delivery.report.rows_rejected, 0, 'none rejected');
  t.equal(delivery.rows_kept, expectedRows, 'and every row was kept');

  // VmHWM is the kernel's own peak, so a spike between two samples is not missed.
  const peak = Math.max(sampledPeak, after.hwm);
  const mb = (n: number) => `${(n / MB).toFixed(0)} MB`;
  t.comment(`server RSS idle ${mb(idle.rss)}, peak after 25 MB ${mb(warm.hwm)}, peak after ${mb(bodyBytes)} ${mb(peak)}, now ${mb(after.rss)}`);
  t.ok(peak - idle.rss < UPLOAD_RSS_BUDGET, `the server's peak RSS (${mb(peak)}) stays within ${mb(UPLOAD_RSS_BUDGET)} of its idle RSS (${mb(idle.rss)})`);
  t.ok(peak - warm.hwm < MAX_PEAK_GROWTH, `a body ${mb(bodyBytes - bytesOf(blocksFor(25)))} larger raised the peak by ${mb(peak - warm.hwm)} (< ${mb(MAX_PEAK_GROWTH)})`);

  const read = await call(operator, 'GET', `/v1/deliveries/${delivery.id}`);
  t.equal(read.status, 200);
  t.equal(((await read.json()) as { rows_kept: number }).rows_kept, expectedRows, 'the stored delivery has the row count');
  const stopped = await server.stop();
  t.equal(stopped.code, 0, 'the server stops cleanly');
  const needles = new NeedleSet();
  for (const p of people) needles.addInsz(p.insz);
  t.same(needles.find(Buffer.from(server.output())), [], 'the server logged no national number');
  const files = fs.readdirSync(path.join(dataDir, 'deliveries', delivery.id));
  t.same(files.sort(), ['linkage.arrow', 'payload.arrow'], 'the delivery files are in place');
});
