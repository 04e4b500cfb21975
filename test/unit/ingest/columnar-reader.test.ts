import t from 'tap';
import {
  DateDay, Dictionary, Field, Int32, Int64, List, RecordBatch, Table, Utf8, tableToIPC, vectorFromArray, type Vector,
} from 'apache-arrow';
import { openArrowIpc, openParquet, type ColumnarOptions } from '../../../src/ingest/columnar-reader.js';
import { utf8ToStrings } from '../../../src/util/arrow-columns.js';
import { compileDateFormat } from '../../../src/ingest/date-format.js';
import type { Utf8BatchSource } from '../../../src/ingest/batch-source.js';
import { mulberry32 } from '../../fixtures/synthetic.js';
import { nullRowsStream } from '../../fixtures/hostile/arrow-surgery.js';

const parquet = await import('parquet-wasm/node');

/** A body in chunks of `size` bytes, as an HTTP request delivers it. */
async function* chunked(bytes: Uint8Array, size = 97): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A seeded table of `n` rows in record batches of `perBatch` rows (sharing one dictionary). */
function people(n: number, perBatch: number, seed = 3): Table {
  const rnd = mulberry32(seed);
  const names = ['Maes', 'Peeters', 'Öztürk', 'Van den Broeck'];
  const whole = new Table({
    id: vectorFromArray(Array.from({ length: n }, (_, i) => `R${i + 1}`), new Utf8()),
    surname: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : names[Math.floor(rnd() * names.length)])), new Dictionary(new Utf8(), new Int32())),
    born: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 5 === 4 ? null : new Date(Date.UTC(1950 + Math.floor(rnd() * 50), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28))))), new DateDay()),
    wage: vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i * 1000 - 5)), new Int64()),
  });
  const batches: RecordBatch[] = [];
  for (let at = 0; at < n; at += perBatch) batches.push(...whole.slice(at, Math.min(n, at + perBatch)).batches);
  return new Table(whole.schema, batches);
}

/** Everything a source yields: row numbers and the text per column. */
async function readAll(source: Utf8BatchSource): Promise<{ sizes: number[]; rows: number[]; columns: (string | null)[][] }> {
  const sizes: number[] = [];
  const rows: number[] = [];
  const columns: (string | null)[][] = source.header.map(() => []);
  for await (const batch of source.batches()) {
    sizes.push(batch.length);
    rows.push(...batch.rows);
    batch.columns.forEach((c, i) => columns[i].push(...utf8ToStrings(c)));
  }
  return { sizes, rows, columns };
}

/** The text the table's own accessors give, for comparison. */
function expected(table: Table): (string | null)[][] {
  return table.schema.fields.map((f) => {
    const v = table.getChild(f.name) as Vector;
    return Array.from({ length: table.numRows }, (_, i) => {
      const x = v.get(i) as unknown;
      if (x === null) return null;
      if (typeof x === 'number' && f.name === 'born') return new Date(x).toISOString().slice(0, 10);
      return String(x);
    });
  });
}

const options: ColumnarOptions = { maxBytes: 10_000_000 };

t.test('an Arrow IPC stream of several record batches reads batch by batch with continuous row numbers', async (t) => {
  const table = people(1000, 300);
  const source = await openArrowIpc(chunked(tableToIPC(table, 'stream')), options);
  t.same(source.header, ['id', 'surname', 'born', 'wage']);
  const read = await readAll(source);
  t.same(read.sizes, [300, 300, 300, 100], 'one batch per record batch');
  t.same(read.rows, Array.from({ length: 1000 }, (_, i) => i + 1), 'rows numbered from 1 across batches');
  t.same(read.columns, expected(table), 'every value as text, nulls as nulls');
  t.equal(source.stats.rowsRead, 1000);
  t.equal(source.stats.rowsRejected, 0);
});

t.test('record batches larger than batchRows are cut into slices', async (t) => {
  const table = people(1000, 1000);
  const source = await openArrowIpc(chunked(tableToIPC(table, 'stream'), 4096), { ...options, batchRows: 256 });
  const read = await readAll(source);
  t.same(read.sizes, [256, 256, 256, 232]);
  t.same(read.columns, expected(table), 'slices read the right rows');
});

t.test('the Arrow IPC file format (ARROW1) is read too', async (t) => {
  const table = people(200, 200);
  const file = tableToIPC(table, 'file');
  const read = await readAll(await openArrowIpc(chunked(file), options));
  t.same(read.columns, expected(table));
  await t.rejects(async () => readAll(await openArrowIpc(chunked(file.subarray(0, file.length - 30)), options)), { code: 'KOPPEL_ERR_INGEST_COLUMNAR', message: /Arrow IPC file/ }, 'a file cut short');
});

t.test('dates land in the date format of their schema column', async (t) => {
  const table = people(20, 20);
  const source = await openArrowIpc(chunked(tableToIPC(table, 'stream')), { ...options, dateFormats: new Map([['born', compileDateFormat('DD/MM/YYYY', 'test')]]) });
  const read = await readAll(source);
  const iso = expected(table)[2];
  t.same(read.columns[2], iso.map((d) => (d === null ? null : `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`)));
});

t.test('a truncated or damaged stream is refused, wherever it is cut', async (t) => {
  const bytes = tableToIPC(people(500, 100), 'stream');
  const cuts: [string, Uint8Array][] = [
    ['inside a record batch', bytes.subarray(0, Math.floor(bytes.length * 0.6))],
    ['inside the schema', bytes.subarray(0, 40)],
    ['at the end-of-stream marker', bytes.subarray(0, bytes.length - 8)],
    ['with bytes after the end', new Uint8Array([...bytes, ...bytes.subarray(0, 64)])],
  ];
  for (const [what, body] of cuts) {
    await t.rejects(async () => readAll(await openArrowIpc(chunked(body), options)), { code: 'KOPPEL_ERR_INGEST_COLUMNAR' }, what);
  }
});

t.test('a body that is not Arrow is refused at once, without echoing it; an empty one is empty', async (t) => {
  const csv = new TextEncoder().encode('insz,voornaam\n85073003328,Lotte\n');
  await t.rejects(openArrowIpc(chunked(csv), options), { code: 'KOPPEL_ERR_INGEST_COLUMNAR', message: /continuation marker/ });
  try {
    await openArrowIpc(chunked(csv), options);
  } catch (err) {
    t.notMatch((err as Error).message, /85073003328|Lotte/, 'the message quotes nothing from the body');
  }
  const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0, ...new Uint8Array(40).fill(7)]);
  await t.rejects(async () => readAll(await openArrowIpc(chunked(garbage), options)), { code: 'KOPPEL_ERR_INGEST_COLUMNAR' }, 'a marker followed by garbage');
  await t.rejects(openArrowIpc(chunked(new Uint8Array(0)), options), { code: 'KOPPEL_ERR_INGEST_EMPTY' });
  const parquetBytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(people(10, 10), 'stream')));
  await t.rejects(openArrowIpc(chunked(parquetBytes), options), { code: 'KOPPEL_ERR_INGEST_COLUMNAR' }, 'Parquet sent as Arrow');
});

t.test('a body over the limit fails with TOO_LARGE', async (t) => {
  const bytes = tableToIPC(people(2000, 500), 'stream');
  await t.rejects(async () => readAll(await openArrowIpc(chunked(bytes), { maxBytes: 1000 })), { code: 'KOPPEL_ERR_INGEST_TOO_LARGE' });
  const pq = parquet.writeParquet(parquet.Table.fromIPCStream(bytes));
  await t.rejects(openParquet(chunked(pq), { maxBytes: 1000 }), { code: 'KOPPEL_ERR_INGEST_TOO_LARGE' });
});

t.test('an error of the body itself passes through unchanged', async (t) => {
  const bytes = tableToIPC(people(500, 100), 'stream');
  const aborted = new Error('aborted');
  async function* dying(): AsyncGenerator<Uint8Array> {
    yield bytes.subarray(0, 2000);
    throw aborted;
  }
  await t.rejects(async () => readAll(await openArrowIpc(dying(), options)), aborted);
});

t.test('a column type with no text form is refused before any row, naming the column', async (t) => {
  const table = new Table({
    id: vectorFromArray(['a', 'b'], new Utf8()),
    tags: vectorFromArray([[1], [2, 3]], new List(new Field('item', new Int32()))),
  });
  const source = await openArrowIpc(chunked(tableToIPC(table, 'stream')), options);
  t.same(source.header, ['id', 'tags'], 'the header is readable first (for the header check)');
  await t.rejects(readAll(source), { code: 'KOPPEL_ERR_INGEST_COLUMN_TYPE', message: /Column tags/ });
  const empty = await openArrowIpc(chunked(tableToIPC(table.slice(0, 0), 'stream')), options);
  await t.rejects(readAll(empty), { code: 'KOPPEL_ERR_INGEST_COLUMN_TYPE' }, 'even with no rows at all');
});

t.test('close() before reading releases the body', async (t) => {
  let returned = false;
  const bytes = tableToIPC(people(500, 100), 'stream');
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      yield* chunked(bytes);
    } finally {
      returned = true;
    }
  }
  const source = await openArrowIpc(body(), options);
  await source.close();
  t.ok(returned, 'the body iterator was closed');
});

t.test('Parquet: row groups read batchRows at a time, with the same text as the Arrow stream', async (t) => {
  const table = people(1000, 1000);
  const props = new parquet.WriterPropertiesBuilder().setMaxRowGroupSize(400).build();
  const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
  const source = await openParquet(chunked(bytes, 500), { ...options, batchRows: 300 });
  t.same(source.header, ['id', 'surname', 'born', 'wage']);
  const read = await readAll(source);
  t.same(read.sizes, [300, 100, 300, 100, 200], 'row group by row group, at most batchRows each');
  t.same(read.rows, Array.from({ length: 1000 }, (_, i) => i + 1));
  t.same(read.columns, expected(table));
});

t.test('Parquet: a body that is not Parquet, or is cut short, is refused', async (t) => {
  const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(people(300, 300), 'stream')));
  await t.rejects(openParquet(chunked(bytes.subarray(0, bytes.length - 100)), options), { code: 'KOPPEL_ERR_INGEST_COLUMNAR' }, 'truncated');
  await t.rejects(openParquet(chunked(tableToIPC(people(10, 10), 'stream')), options), { code: 'KOPPEL_ERR_INGEST_COLUMNAR' }, 'an Arrow stream sent as Parquet');
  await t.rejects(openParquet(chunked(new Uint8Array(0)), options), { code: 'KOPPEL_ERR_INGEST_EMPTY' });
  // Damage inside the data pages, footer intact.
  const damaged = bytes.slice();
  for (let i = 8; i < Math.floor(damaged.length / 2); i++) damaged[i] ^= 0x5a;
  await t.rejects(async () => readAll(await openParquet(chunked(damaged), options)), { code: 'KOPPEL_ERR_INGEST_COLUMNAR' }, 'damaged pages');
});

t.test('Parquet: a decoder that runs out of its heap limit refuses the body as too large, naming the limit', async (t) => {
  const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(people(300, 300), 'stream')));
  // 2 MB is below what the decoder's worker needs at all: the limit is applied and its failure mapped.
  await t.rejects(async () => readAll(await openParquet(chunked(bytes), { ...options, parquetHeapMb: 2 })), {
    code: 'KOPPEL_ERR_INGEST_TOO_LARGE', details: { heapMb: 2 },
  });
  t.equal((await readAll(await openParquet(chunked(bytes), options))).rows.length, 300, 'the default limit decodes it');
});

t.test('with `columns`, a column not asked for is neither type-checked nor converted: it reads as all null', async (t) => {
  const table = new Table({
    id: vectorFromArray(['R1', 'R2', 'R3'], new Utf8()),
    tags: vectorFromArray([[1], [2, 3], []], new List(new Field('item', new Int32()))),
  });
  const bytes = tableToIPC(table, 'stream');
  const all = await openArrowIpc(chunked(bytes), { maxBytes: 1 << 20 });
  await t.rejects(readAll(all), { code: 'KOPPEL_ERR_INGEST_COLUMN_TYPE' }, 'without it, the list column refuses the file');
  const some = await openArrowIpc(chunked(bytes), { maxBytes: 1 << 20, columns: new Set(['id']) });
  t.same((await readAll(some)).columns, [['R1', 'R2', 'R3'], [null, null, null]]);
});

t.test('rows without bytes: an all-Null stream declaring 50,000,000 rows is refused by the row limit before any batch', async (t) => {
  const body = nullRowsStream(['id', 'surname'], 50_000_000);
  t.ok(body.length < 1024, 'a body of a few hundred bytes');
  const started = performance.now();
  const source = await openArrowIpc(chunked(body), { ...options, maxRows: 20_000_000 });
  let batches = 0;
  const err = await source.batches().next().then(() => { batches++; }, (e: unknown) => e) as { code?: string };
  t.equal(err?.code, 'KOPPEL_ERR_INGEST_TOO_MANY_ROWS');
  t.equal(batches, 0, 'no batch before the refusal');
  t.ok(performance.now() - started < 1000, 'refused at once');
});
