import t from 'tap';
import {
  Bool, DateDay, Dictionary, Float64, Int32, Int64, RecordBatch, Table, TimestampMillisecond, Utf8, makeVector, tableToIPC, vectorFromArray, type Data,
} from 'apache-arrow';
import type { DatasetSchema } from '../../../src/model.js';
import { ingestDelivery, type IngestBatch, type IngestOptions } from '../../../src/ingest/ingest-delivery.js';
import { openBatchSource, sniffUploadFormat } from '../../../src/ingest/batch-source.js';
import { utf8ToStrings } from '../../../src/util/arrow-columns.js';
import { caught, chunked, makeInsz, seededRandom, withCheck } from './synthetic.js';

const parquet = await import('parquet-wasm/node');

const SCHEMA: DatasetSchema = {
  name: 'formats_test',
  supplier: 'vdab',
  schedule: 'quarterly',
  columns: [
    { name: 'opmerking', role: 'drop' },
    { name: 'insz', role: 'national_id' },
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'DD/MM/YYYY' },
    { name: 'gemeente', role: 'attribute', type: 'code', codes: ['11001', '44021'] },
    { name: 'bedrag', role: 'attribute', type: 'number', unit: 'EUR' },
    { name: 'dagen', role: 'attribute', type: 'integer', required: true },
    { name: 'start', role: 'attribute', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'birth_year', role: 'attribute', derive: 'birth_year(geboortedatum)' },
    { name: 'age', role: 'attribute', derive: 'age_on(geboortedatum, 2024-01-01)' },
    { name: 'sex', role: 'attribute', derive: 'sex(insz)' },
  ],
};

interface Person {
  opmerking: boolean;
  insz: string;
  voornaam: string;
  born: [number, number, number];
  gemeente: string;
  bedrag: number | null;
  dagen: bigint | null;
  start: [number, number, number];
}

/** A seeded extract with every kind of row fault and national-number status in it. */
function extract(n: number): Person[] {
  const rnd = seededRandom(17);
  const names = ['Lotte', 'Jérôme', 'Noor', 'Arne', 'Yasmine'];
  return Array.from({ length: n }, (_, k) => {
    const born: [number, number, number] = [1950 + Math.floor(rnd() * 60), 1 + Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28)];
    let insz = makeInsz(born[0], born[1], born[2], 1 + Math.floor(rnd() * 990));
    if (k % 17 === 5) insz = withCheck(insz, 1); // counted, kept
    if (k % 23 === 7) insz = ''; // missing: counted, kept
    return {
      opmerking: k % 2 === 0,
      insz,
      voornaam: names[k % names.length],
      born,
      gemeente: k % 31 === 9 ? '99999' : k % 2 === 0 ? '11001' : '44021', // not in the code list: rejected
      bedrag: k % 13 === 4 ? null : k + 0.5,
      dagen: k % 29 === 11 ? null : k % 37 === 3 ? 3_000_000_000n : BigInt(k % 90), // missing required / not an int32: rejected
      start: [2020 + (k % 4), 1 + (k % 12), 1 + (k % 28)],
    };
  });
}

const pad = (v: number) => String(v).padStart(2, '0');

function asCsv(people: readonly Person[]): string {
  const lines = ['opmerking,insz,voornaam,geboortedatum,gemeente,bedrag,dagen,start'];
  for (const p of people) {
    lines.push([
      String(p.opmerking), p.insz, p.voornaam, `${pad(p.born[2])}/${pad(p.born[1])}/${p.born[0]}`, p.gemeente,
      p.bedrag === null ? '' : String(p.bedrag), p.dagen === null ? '' : String(p.dagen), `${p.start[0]}-${pad(p.start[1])}-${pad(p.start[2])}`,
    ].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The same extract as typed Arrow columns, in record batches of 150 rows. */
function asTable(people: readonly Person[]): Table {
  // 23:00 UTC the day before: local midnight in winter, 01:00 in summer; the UTC day is one off.
  const brusselsMidnight = ([y, m, d]: [number, number, number]) => Date.UTC(y, m - 1, d) - 3_600_000;
  const whole = new Table({
    opmerking: vectorFromArray(people.map((p) => p.opmerking), new Bool()),
    insz: vectorFromArray(people.map((p) => p.insz), new Utf8()), // '' stays '': read as missing, as in CSV
    voornaam: vectorFromArray(people.map((p) => p.voornaam), new Dictionary(new Utf8(), new Int32())),
    geboortedatum: vectorFromArray(people.map((p) => new Date(Date.UTC(p.born[0], p.born[1] - 1, p.born[2]))), new DateDay()),
    gemeente: vectorFromArray(people.map((p) => p.gemeente), new Dictionary(new Utf8(), new Int32())),
    bedrag: vectorFromArray(people.map((p) => (p.bedrag === null ? NaN : p.bedrag)), new Float64()),
    dagen: vectorFromArray(people.map((p) => p.dagen), new Int64()),
    start: vectorFromArray(people.map((p) => brusselsMidnight(p.start)), new TimestampMillisecond('Europe/Brussels')),
  });
  const batches: RecordBatch[] = [];
  for (let at = 0; at < whole.numRows; at += 150) batches.push(...whole.slice(at, at + 150).batches);
  return new Table(whole.schema, batches);
}

/** Everything ingest produced, as plain values, batch boundaries erased. */
async function ingestAll(source: AsyncIterable<Uint8Array>, options: IngestOptions) {
  const ingest = ingestDelivery(source, SCHEMA, options);
  const out = { rows: [] as number[], digits: '', status: [] as number[], linkage: {} as Record<string, unknown[]>, attributes: {} as Record<string, unknown[]> };
  const add = (into: Record<string, unknown[]>, name: string, data: Data) => {
    const values = data.type.typeId === new Utf8().typeId ? utf8ToStrings(data as Data<Utf8>) : [...makeVector(data)];
    (into[name] ??= []).push(...values);
  };
  for await (const batch of ingest.batches() as AsyncGenerator<IngestBatch>) {
    out.rows.push(...batch.rows);
    out.digits += new TextDecoder().decode(batch.nationalId!.digits);
    out.status.push(...batch.nationalId!.status);
    for (const [name, data] of batch.linkage) add(out.linkage, name, data);
    for (const [name, data] of batch.attributes) add(out.attributes, name, data);
  }
  return { ...out, report: ingest.report() };
}

t.test('the same extract as CSV, Arrow IPC and Parquet gives the same batches and quality report', async (t) => {
  const people = extract(600);
  const table = asTable(people);
  const options = { maxBytes: 10_000_000, batchRows: 256 };
  const fromCsv = await ingestAll(chunked(asCsv(people), 4096), options);
  const fromArrow = await ingestAll(chunked(tableToIPC(table, 'stream'), 4096), { ...options, format: 'arrow' });
  const props = new parquet.WriterPropertiesBuilder().setMaxRowGroupSize(200).build();
  const fromParquet = await ingestAll(chunked(parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), props)), { ...options, format: 'parquet' });

  t.ok(fromCsv.report.rows_rejected > 20 && fromCsv.report.national_id.missing > 0 && fromCsv.report.national_id.bad_check > 0, 'the extract has faults of every kind');
  t.same(fromArrow.report, fromCsv.report, 'Arrow: the same quality report');
  t.same(fromParquet.report, fromCsv.report, 'Parquet: the same quality report');
  for (const [name, got] of [['Arrow', fromArrow], ['Parquet', fromParquet]] as const) {
    t.same(got.rows, fromCsv.rows, `${name}: the same rows kept, numbered alike`);
    t.equal(got.digits, fromCsv.digits, `${name}: the same normalised national numbers`);
    t.same(got.status, fromCsv.status, `${name}: the same national-number statuses`);
    t.same(got.linkage, fromCsv.linkage, `${name}: the same linkage text (dates in DD/MM/YYYY)`);
    t.same(got.attributes, fromCsv.attributes, `${name}: the same typed and derived attributes`);
  }
});

t.test('a header that does not match the schema is the same header error in every format', async (t) => {
  const table = asTable(extract(10));
  const renamed = new Table({ ...Object.fromEntries(table.schema.fields.map((f) => [f.name === 'gemeente' ? 'municipality' : f.name, table.getChild(f.name)!])) });
  const err = await caught(async () => {
    for await (const _ of ingestDelivery(chunked(tableToIPC(renamed, 'stream')), SCHEMA, { maxBytes: 1e6, format: 'arrow' }).batches());
  });
  t.equal(err.code, 'KOPPEL_ERR_INGEST_HEADER');
  t.match(err.message, /missing 1 \(gemeente\); unknown 1 \(municipality\)/);
});

t.test('openBatchSource picks the reader of the format; CSV is the default', async (t) => {
  const csv = await openBatchSource(chunked('a,b\n1,2\n'), { maxBytes: 100 });
  t.same(csv.header, ['a', 'b']);
  await csv.close();
  const arrow = await openBatchSource(chunked(tableToIPC(new Table({ a: vectorFromArray([1], new Int32()) }), 'stream')), { maxBytes: 10_000, format: 'arrow' });
  t.same(arrow.header, ['a']);
  await arrow.close();
  await t.rejects(openBatchSource(chunked('a,b\n1,2\n'), { maxBytes: 100, format: 'parquet' }), { code: 'KOPPEL_ERR_INGEST_COLUMNAR' });
});

t.test('sniffUploadFormat reads the magic bytes', async (t) => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  t.equal(sniffUploadFormat(bytes('PAR1....')), 'parquet');
  t.equal(sniffUploadFormat(bytes('ARROW1\0\0')), 'arrow');
  t.equal(sniffUploadFormat(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0])), 'arrow');
  t.equal(sniffUploadFormat(bytes('insz,voornaam')), 'csv');
  t.equal(sniffUploadFormat(bytes('PAR')), 'csv', 'too short for a magic');
  t.equal(sniffUploadFormat(new Uint8Array(0)), 'csv');
});
