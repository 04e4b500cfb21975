/**
 * The guards of the hardening issue through the real HTTP API: refused requests are rate-limited
 * per client address and audited in aggregate, whole-body uploads are capped, an upload cut off
 * mid-body is a coded 4xx (not an unexpected error in the log), and a malformed request line
 * gets a coded 400.
 */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import fs from 'node:fs';
import net from 'node:net';
import { startTestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';

async function get(base: string, token: string): Promise<{ status: number; code?: string; retryAfter: string | null }> {
  const res = await fetch(`${base}/v1/audit`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code, retryAfter: res.headers.get('retry-after') };
}

t.test('refused requests are limited per address and audited as one counted entry', async (t) => {
  const server = await startTestServer(t, { refusedPerMinute: 5 });
  const operator = server.client('operator:olivia');
  const answers = [];
  for (let i = 0; i < 7; i++) answers.push(await get(server.base, `kpl_tok_0000000000000000000${i}_${'A'.repeat(43)}`));
  t.same(answers.slice(0, 5).map((a) => a.code), Array(5).fill('KOPPEL_ERR_AUTH_INVALID_TOKEN'), 'the first five refusals are answered as such');
  t.same(answers.slice(5).map((a) => [a.status, a.code]), [[429, 'KOPPEL_ERR_API_RATE_LIMITED'], [429, 'KOPPEL_ERR_API_RATE_LIMITED']], 'past the limit the address gets 429');
  t.ok(Number(answers[6].retryAfter) > 0, 'with Retry-After');
  const { body } = await operator.request<{ entries: { actor: string; action: string; outcome: string; detail: { count?: number; code?: string } | null }[] }>('GET', '/v1/audit?limit=1000');
  const refused = body.entries.filter((e) => e.outcome === 'refused');
  t.equal(refused.length, 1, 'one audit entry for the five refusals, not five synced writes');
  t.equal(refused[0].detail?.count, 5);
  t.equal(refused[0].detail?.code, 'KOPPEL_ERR_AUTH_INVALID_TOKEN');
  t.equal(refused[0].actor, 'anonymous');
});

t.test('a whole-body upload beyond the cap is answered 429 with Retry-After', async (t) => {
  const server = await startTestServer(t, { maxWholeBodyUploads: 1 });
  const operator = server.client('operator:olivia');
  const supplier = server.client('supplier:vdab');
  await operator.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  // The first upload holds its slot: headers sent, body still coming.
  const port = Number(new URL(server.base).port);
  const first = net.connect(port, '127.0.0.1');
  await new Promise((r) => first.once('connect', r));
  first.write(`PUT /v1/datasets/vdab_set/deliveries/2024Q1 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${supplier.token}\r\ncontent-type: application/vnd.apache.parquet\r\ncontent-length: 100000\r\n\r\nPAR1`);
  await new Promise((r) => setTimeout(r, 300));
  const second = await fetch(`${server.base}/v1/datasets/vdab_set/deliveries/2024Q2`, {
    method: 'PUT', headers: { authorization: `Bearer ${supplier.token}`, 'content-type': 'application/vnd.apache.parquet' }, body: new Uint8Array(8),
  });
  t.equal(second.status, 429);
  t.equal(((await second.json()) as { code: string }).code, 'KOPPEL_ERR_API_BUSY');
  t.ok(Number(second.headers.get('retry-after')) > 0);
  const csv = await fetch(`${server.base}/v1/datasets/vdab_set/deliveries/2024Q3`, {
    method: 'PUT', headers: { authorization: `Bearer ${supplier.token}`, 'content-type': 'text/csv' }, body: 'x\n',
  });
  t.not(csv.status, 429, 'a streamed CSV upload needs no slot');
  const gzipped = await fetch(`${server.base}/v1/datasets/vdab_set/deliveries/2024Q3`, {
    method: 'PUT', headers: { authorization: `Bearer ${supplier.token}`, 'content-type': 'text/csv', 'content-encoding': 'gzip' }, body: gzipSync('x\n'),
  });
  t.equal(gzipped.status, 429, 'a gzip-encoded body is held whole (compressed, until its inflated size is known): it needs a slot');
  first.destroy();
  await new Promise((r) => setTimeout(r, 300));
  const third = await fetch(`${server.base}/v1/datasets/vdab_set/deliveries/2024Q4`, {
    method: 'PUT', headers: { authorization: `Bearer ${supplier.token}`, 'content-type': 'application/vnd.apache.parquet' }, body: new Uint8Array(8),
  });
  t.not(third.status, 429, 'the slot of an aborted upload is given back');
});

t.test('an upload cut off mid-body is logged as a refusal, never as an unexpected error', async (t) => {
  const server = await startTestServer(t);
  const operator = server.client('operator:olivia');
  const supplier = server.client('supplier:vdab');
  await operator.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  const port = Number(new URL(server.base).port);
  // A valid header and some rows, then the connection is reset mid-body.
  const partial = csvFor(makePeople(50)).slice(0, 2000);
  for (let i = 0; i < 3; i++) {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`PUT /v1/datasets/vdab_set/deliveries/2024Q${i + 1} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${supplier.token}\r\ncontent-type: text/csv\r\ncontent-length: 100000\r\n\r\n${partial}`);
    await new Promise((r) => setTimeout(r, 150));
    socket.resetAndDestroy();
  }
  await new Promise((r) => setTimeout(r, 300));
  const lines = fs.readFileSync(server.logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string; code?: string });
  t.same(lines.filter((l) => l.level >= 50), [], 'no error-level log line');
  t.ok(lines.some((l) => l.code === 'KOPPEL_ERR_INGEST_ABORTED'), 'each abort is a coded refusal');
});

t.test('a malformed request line gets a coded 400', async (t) => {
  const server = await startTestServer(t);
  const port = Number(new URL(server.base).port);
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d) => { text += d.toString('utf8'); });
    socket.on('close', () => resolve(text));
  });
  socket.write('GARBAGE\r\n\r\n');
  const text = await answer;
  t.match(text, /^HTTP\/1\.1 400/);
  t.match(text, /"code":"KOPPEL_ERR_API_BAD_REQUEST"/);
});

t.test('while the event loop lags past its limit the server answers 503 with Retry-After, then recovers', async (t) => {
  const server = await startTestServer(t, { maxEventLoopDelayMs: 100 });
  // Sustained lag, as an overloaded server has: the loop blocked 250 ms at a time for 2.5 s.
  const until = Date.now() + 2500;
  await new Promise<void>((resolve) => {
    const step = () => {
      const end = Date.now() + 250;
      while (Date.now() < end) { /* busy */ }
      if (Date.now() < until) setTimeout(step, 1);
      else resolve();
    };
    step();
  });
  const res = await fetch(`${server.base}/health`);
  t.equal(res.status, 503);
  t.equal(((await res.json()) as { code: string }).code, 'KOPPEL_ERR_API_OVERLOADED');
  t.ok(Number(res.headers.get('retry-after')) > 0);
  await new Promise((r) => setTimeout(r, 2200));
  t.equal((await fetch(`${server.base}/health`)).status, 200, 'answers again once the loop keeps up');
});
