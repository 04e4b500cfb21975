import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startTestServer } from '../fixtures/server.js';
import { csvFor, makePeople, punctuated, testDatasetSchema } from '../fixtures/synthetic.js';

const people = makePeople(30, 11);
const goodCsv = csvFor(people);
const secrets = people.flatMap((p) => [p.insz, punctuated(p.insz), p.givenName, p.surname, p.birthDate]);

interface ErrorBody { statusCode: number; code: string; message: string; details?: Record<string, unknown> }

t.test('bad uploads get a coded 4xx that names where, never echoes a value, and store nothing', async (t) => {
  const server = await startTestServer(t, { maxUploadBytes: 64 * 1024 });
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  const token = server.runtime.store.createToken('supplier:vdab', 'test').token;

  const put = async (body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'text/csv' }) => {
    const res = await fetch(`${server.base}/v1/datasets/vdab_set/deliveries/2024Q1`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, ...headers }, body,
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as ErrorBody };
  };
  const lines = goodCsv.split('\n');
  const cases: { what: string; body: Uint8Array | string; headers?: Record<string, string>; status: number; code: string; mentions?: RegExp }[] = [
    { what: 'a missing column', body: lines.map((l) => l.split(',').slice(0, 5).join(',')).join('\n'), status: 422, code: 'KOPPEL_ERR_INGEST_HEADER', mentions: /loon_cent/ },
    { what: 'an unknown column', body: [`${lines[0]},extra`, ...lines.slice(1, -1).map((l) => `${l},x`)].join('\n'), status: 422, code: 'KOPPEL_ERR_INGEST_HEADER', mentions: /extra/ },
    { what: 'a wrong header', body: ['a,b,c,d,e,f', ...lines.slice(1)].join('\n'), status: 422, code: 'KOPPEL_ERR_INGEST_HEADER' },
    { what: 'an unterminated quote', body: `${lines.slice(0, 5).join('\n')}\n${people[5].insz},"${people[5].givenName},x,1990-01-01,11002,5\n`, status: 422, code: 'KOPPEL_ERR_INGEST_UNTERMINATED_QUOTE', mentions: /row 5/ },
    { what: 'an empty body', body: '', status: 400, code: 'KOPPEL_ERR_INGEST_EMPTY' },
    { what: 'non-UTF-8 bytes', body: Buffer.concat([Buffer.from(lines.slice(0, 3).join('\n') + '\n'), Buffer.from(`${people[3].insz},`), Buffer.from([0x4a, 0xe9, 0x72]), Buffer.from(',x,1990-01-01,11002,5\n')]), status: 415, code: 'KOPPEL_ERR_INGEST_ENCODING', mentions: /row 3/ },
    { what: 'a body over the limit', body: goodCsv + `${lines[1]}\n`.repeat(2000), status: 413, code: 'KOPPEL_ERR_INGEST_TOO_LARGE' },
    { what: 'a gzip body over the limit once decompressed', body: gzipSync(goodCsv + `${lines[1]}\n`.repeat(2000)), headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, status: 413, code: 'KOPPEL_ERR_INGEST_TOO_LARGE' },
    { what: 'a corrupt gzip stream', body: gzipSync(goodCsv).subarray(0, 40), headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, status: 400, code: 'KOPPEL_ERR_INGEST_BAD_GZIP' },
    { what: 'an unsupported content type', body: goodCsv, headers: { 'content-type': 'application/pdf' }, status: 415, code: 'KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA' },
    { what: 'an unsupported content encoding', body: goodCsv, headers: { 'content-type': 'text/csv', 'content-encoding': 'br' }, status: 415, code: 'KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA' },
  ];
  for (const c of cases) {
    const res = await put(c.body, c.headers);
    t.equal(res.status, c.status, `${c.what}: status ${c.status}`);
    t.equal(res.body.code, c.code, `${c.what}: ${c.code}`);
    if (c.mentions) t.match(res.body.message, c.mentions, `${c.what}: the message says where`);
    for (const secret of secrets) {
      if (res.text.includes(secret)) t.fail(`${c.what}: the response echoes a value from the upload`);
    }
  }
  const deliveriesDir = path.join(server.dataDir, 'deliveries');
  const leftovers = existsSync(deliveriesDir) ? readdirSync(deliveriesDir) : [];
  t.same(leftovers, [], 'no delivery, staged or committed, is left by the refused uploads');
  t.equal(server.runtime.store.findCurrentDelivery('vdab_set', '2024Q1'), null, 'and no delivery row exists');
  const ok = await put(goodCsv);
  t.equal(ok.status, 201, 'the server still accepts a good upload afterwards');
});

t.test('row faults are rejected and counted while the rest of the delivery is kept', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  const vdab = server.client('supplier:vdab');
  const lines = goodCsv.trimEnd().split('\n');
  lines[3] = lines[3].split(',').slice(0, 4).join(','); // too few fields: row 3
  lines[7] = lines[7].replace(/,\d+$/, ',twelve'); // not a number: row 7
  const p8 = people[7];
  lines[8] = `,${p8.givenName},"${p8.surname}",${p8.birthDate},${p8.nis},5`; // missing INSZ: kept, counted
  lines[9] = lines[9].replace(/^\d{11}/, (d) => `${d.slice(0, 10)}${(Number(d[10]) + 1) % 10}`); // bad check: kept, counted
  const { status, body } = await vdab.request<{ rows_kept: number; report: { rows_read: number; rows_kept: number; rows_rejected: number; national_id: Record<string, number>; faults: { reason: string; column?: string; count: number; first_rows: number[] }[] } }>(
    'PUT', '/v1/datasets/vdab_set/deliveries/2024Q1', { body: lines.join('\n'), headers: { 'content-type': 'text/csv' } },
  );
  t.equal(status, 201);
  t.equal(body.report.rows_read, 30);
  t.equal(body.report.rows_rejected, 2);
  t.equal(body.report.rows_kept, 28);
  t.equal(body.report.national_id.missing, 1);
  t.equal(body.report.national_id.bad_check, 1);
  const rows = body.report.faults.flatMap((f) => f.first_rows);
  t.ok(rows.includes(3) && rows.includes(7), 'the faults name the rejected rows');
  t.ok(body.report.faults.some((f) => f.column === 'loon_cent'), 'the type fault names its column');
});
