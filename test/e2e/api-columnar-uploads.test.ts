/**
 * Arrow IPC and Parquet uploads through the real HTTP API: the example vdab extract sent as CSV,
 * as an Arrow IPC stream, as Parquet and as a gzipped Arrow IPC file, with typed columns (dates,
 * timestamps in a time zone, integers, dictionaries), must give the same deliveries; bad bodies
 * are refused with their code and leave nothing behind.
 */
import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DateDay, Dictionary, Field, Int32, Int64, List, Table, TimestampMicrosecond, Utf8, makeData, makeVector, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import { startTestServer } from '../fixtures/server.js';
import { uploadContentType, ApiError } from '../../src/cli/api-client.js';

const parquet = await import('parquet-wasm/node');
const EXAMPLES = new URL('../../examples/', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('vdab_jobseekers.schema.json', EXAMPLES), 'utf8'));
const csvText = readFileSync(new URL('vdab_jobseekers.csv', EXAMPLES), 'utf8');
const [headerLine, ...lines] = csvText.trimEnd().split('\n');
const header = headerLine.split(',');
// The example quotes no field, so a split is a faithful parse.
const cells = lines.map((l) => l.split(','));
const column = (name: string) => cells.map((r) => r[header.indexOf(name)]);

/** The extract with typed columns, in record batches of 500 rows sharing their dictionaries. */
function typedTable(): Table {
  const isoDay = (s: string) => new Date(`${s}T00:00:00Z`);
  // 23:00 UTC the day before: midnight or 01:00 in Brussels. Read as UTC it would be a day off.
  const brussels = BigInt64Array.from(column('inschrijvingsdatum'), (s) => BigInt(isoDay(s).getTime() - 3_600_000) * 1000n);
  const whole = new Table({
    dossier_nr: vectorFromArray(column('dossier_nr'), new Utf8()),
    insz: vectorFromArray(column('insz'), new Utf8()), // empty strings kept: read as missing, as in CSV
    voornaam: vectorFromArray(column('voornaam'), new Utf8()),
    familienaam: vectorFromArray(column('familienaam'), new Dictionary(new Utf8(), new Int32())),
    geboortedatum: vectorFromArray(column('geboortedatum').map(isoDay), new DateDay()),
    geslacht: vectorFromArray(column('geslacht'), new Dictionary(new Utf8(), new Int32())),
    postcode: vectorFromArray(column('postcode').map(Number), new Int32()),
    nis_code: vectorFromArray(column('nis_code').map(Number), new Int32()),
    opleidingsniveau: vectorFromArray(column('opleidingsniveau'), new Dictionary(new Utf8(), new Int32())),
    inschrijvingsdatum: makeVector(makeData({ type: new TimestampMicrosecond('Europe/Brussels'), length: brussels.length, data: brussels })),
    werkloosheidsduur_maanden: vectorFromArray(column('werkloosheidsduur_maanden').map(BigInt), new Int64()),
  });
  const batches = [];
  for (let at = 0; at < whole.numRows; at += 500) batches.push(...whole.slice(at, at + 500).batches);
  return new Table(whole.schema, batches);
}

function toParquet(table: Table, rowGroup = 1000): Uint8Array {
  const props = new parquet.WriterPropertiesBuilder().setMaxRowGroupSize(rowGroup).build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
}

interface Delivery { id: string; rows_kept: number; report: Record<string, unknown> & { rows_read: number; rows_kept: number } }
interface ErrorBody { statusCode: number; code: string; message: string }

t.test('CSV, Arrow IPC and Parquet uploads of one extract give the same deliveries; bad bodies leave none', async (t) => {
  const server = await startTestServer(t);
  await server.client('operator:olivia').request('POST', '/v1/datasets', { json: schema });
  const vdab = server.client('supplier:vdab');

  const table = typedTable();
  const files = {
    csv: path.join(server.dir, 'vdab.csv'),
    stream: path.join(server.dir, 'vdab.arrows'),
    parquet: path.join(server.dir, 'vdab.parquet'),
    file: path.join(server.dir, 'vdab.arrow'),
  };
  writeFileSync(files.csv, csvText);
  writeFileSync(files.stream, tableToIPC(table, 'stream'));
  writeFileSync(files.parquet, toParquet(table));
  writeFileSync(files.file, tableToIPC(table, 'file'));

  t.equal(uploadContentType(files.csv), 'text/csv; charset=utf-8', 'the client sends CSV as text/csv');
  t.equal(uploadContentType(files.stream), 'application/vnd.apache.arrow.stream', 'an IPC stream by its continuation marker');
  t.equal(uploadContentType(files.parquet), 'application/vnd.apache.parquet', 'Parquet by PAR1');
  t.equal(uploadContentType(files.file), 'application/vnd.apache.arrow.file', 'an IPC file by ARROW1');

  const uploads: [string, string, boolean][] = [['csv', '2024Q1', false], ['stream', '2024Q2', false], ['parquet', '2024Q3', false], ['file', '2024Q4', true]];
  const deliveries: Record<string, Delivery> = {};
  for (const [kind, period, gzip] of uploads) {
    const { status, body } = await vdab.upload<Delivery>('vdab_jobseekers', period, files[kind as keyof typeof files], { gzip });
    t.equal(status, 201, `${kind}${gzip ? ' (gzip)' : ''}: stored`);
    deliveries[kind] = body;
  }
  const csv = deliveries.csv;
  t.equal(csv.report.rows_read, 2400, 'the CSV delivery read every row');
  for (const kind of ['stream', 'parquet', 'file']) {
    t.same(deliveries[kind].report, csv.report, `${kind}: the same quality report as CSV`);
    t.equal(deliveries[kind].rows_kept, csv.rows_kept, `${kind}: the same rows kept`);
  }

  // Idempotency is on the bytes: the same Parquet again is the same delivery; other bytes conflict.
  const again = await vdab.upload<Delivery>('vdab_jobseekers', '2024Q3', files.parquet);
  t.equal(again.status, 200, 'the same Parquet bytes again: 200');
  t.equal(again.body.id, deliveries.parquet.id, 'with the existing delivery');
  const conflict = await vdab.upload('vdab_jobseekers', '2024Q3', files.stream).catch((e: unknown) => e);
  t.ok(conflict instanceof ApiError && conflict.status === 409 && conflict.code === 'KOPPEL_ERR_STORE_CONFLICT', 'other bytes for that period: 409');

  // Bad bodies, each to a fresh period.
  const token = server.runtime.store.createToken('supplier:vdab', 'test').token;
  const put = async (body: Uint8Array, headers: Record<string, string>) => {
    const res = await fetch(`${server.base}/v1/datasets/vdab_jobseekers/deliveries/2023Q1`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, ...headers }, body });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as ErrorBody };
  };
  const ARROW = { 'content-type': 'application/vnd.apache.arrow.stream' };
  const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };
  const stream = readFileSync(files.stream);
  const pq = readFileSync(files.parquet);
  const withList = new Table({ ...Object.fromEntries(table.schema.fields.map((f) => [f.name, table.getChild(f.name)!])), postcode: vectorFromArray(column('postcode').map((p) => [Number(p)]), new List(new Field('item', new Int32()))) });
  const withoutNis = new Table(Object.fromEntries(table.schema.fields.filter((f) => f.name !== 'nis_code').map((f) => [f.name, table.getChild(f.name)!])));
  const cases: { what: string; body: Uint8Array; headers: Record<string, string>; status: number; code: string; mentions?: RegExp }[] = [
    { what: 'CSV sent as an Arrow stream', body: Buffer.from(csvText), headers: ARROW, status: 422, code: 'KOPPEL_ERR_INGEST_COLUMNAR' },
    { what: 'an Arrow stream cut in the middle', body: stream.subarray(0, Math.floor(stream.length / 2)), headers: ARROW, status: 422, code: 'KOPPEL_ERR_INGEST_COLUMNAR', mentions: /truncated/ },
    { what: 'an Arrow stream without its end-of-stream marker', body: stream.subarray(0, stream.length - 8), headers: ARROW, status: 422, code: 'KOPPEL_ERR_INGEST_COLUMNAR', mentions: /truncated/ },
    { what: 'an Arrow stream sent as Parquet', body: stream, headers: PARQUET, status: 422, code: 'KOPPEL_ERR_INGEST_COLUMNAR' },
    { what: 'a Parquet file cut short', body: pq.subarray(0, pq.length - 200), headers: PARQUET, status: 422, code: 'KOPPEL_ERR_INGEST_COLUMNAR' },
    { what: 'a list column', body: toParquet(withList), headers: PARQUET, status: 422, code: 'KOPPEL_ERR_INGEST_COLUMN_TYPE', mentions: /postcode/ },
    { what: 'a missing column', body: tableToIPC(withoutNis, 'stream'), headers: ARROW, status: 422, code: 'KOPPEL_ERR_INGEST_HEADER', mentions: /nis_code/ },
    { what: 'an empty Arrow body', body: new Uint8Array(0), headers: ARROW, status: 400, code: 'KOPPEL_ERR_INGEST_EMPTY' },
    { what: 'an unsupported encoding', body: stream, headers: { ...ARROW, 'content-encoding': 'br' }, status: 415, code: 'KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA' },
    { what: 'an untyped binary body', body: pq, headers: { 'content-type': 'application/octet-stream' }, status: 415, code: 'KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA' },
  ];
  const secrets = [...new Set([...column('insz').filter((s) => s.length > 0), ...column('familienaam'), ...column('voornaam').filter((s) => s.length >= 4)])];
  for (const c of cases) {
    const res = await put(c.body, c.headers);
    t.equal(res.status, c.status, `${c.what}: ${c.status}`);
    t.equal(res.body.code, c.code, `${c.what}: ${c.code}`);
    if (c.mentions) t.match(res.body.message, c.mentions, `${c.what}: the message says what`);
    const leaked = secrets.filter((s) => res.text.includes(s));
    t.same(leaked, [], `${c.what}: the response echoes nothing from the file`);
  }
  t.equal(server.runtime.store.findCurrentDelivery('vdab_jobseekers', '2023Q1'), null, 'no delivery row for the refused period');
  t.equal(readdirSync(path.join(server.dataDir, 'deliveries')).length, 4, 'only the four good deliveries are on disk');
  const staging = path.join(server.dataDir, 'staging');
  t.same(existsSync(staging) ? readdirSync(staging) : [], [], 'and nothing is left staged');
  for (const [kind, d] of Object.entries(deliveries)) {
    const { status, body } = await vdab.request<Delivery>('GET', `/v1/deliveries/${d.id}`);
    t.equal(status, 200, `${kind}: still readable`);
    t.same(body.report, csv.report, `${kind}: its stored report is unchanged`);
  }

  const ok = await put(stream, ARROW);
  t.equal(ok.status, 201, 'the server still takes a good Arrow upload after the bad ones');
});

t.test('the OpenAPI document lists the three upload media types', async (t) => {
  const server = await startTestServer(t);
  const doc = (await (await fetch(`${server.base}/docs/json`)).json()) as { paths: Record<string, Record<string, { description?: string; requestBody?: { content?: Record<string, { schema?: unknown }> } }>> };
  const upload = doc.paths['/v1/datasets/{dataset}/deliveries/{period}'].put;
  for (const type of ['text/csv', 'application/vnd.apache.arrow.stream', 'application/vnd.apache.parquet']) {
    t.ok(upload.requestBody?.content?.[type]?.schema, `${type} is documented with a schema`);
  }
  t.notMatch(upload.description ?? '', /415 for now/, 'no longer "answered 415 for now"');
});
