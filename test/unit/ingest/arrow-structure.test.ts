/**
 * Damaged Arrow IPC streams (buffers past the body, too short, offsets out of order, indices out
 * of range) are refused as KOPPEL_ERR_INGEST_COLUMNAR naming the column, never read as empty
 * values. Each body is a valid stream with one message's metadata or body edited.
 */
import t from 'tap';
import { Dictionary, Int32, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { openArrowIpc } from '../../../src/ingest/columnar-reader.js';
import { batchBuffers, editBatch, editDictionary, fieldNode, region } from '../../fixtures/hostile/arrow-surgery.js';

const N = 1000;
// Buffers of the record batch: insz [0 validity, 1 offsets, 2 data], n [3 validity, 4 values], d [5 validity, 6 indices].
const table = new Table({
  insz: vectorFromArray(Array.from({ length: N }, (_, i) => (i % 10 === 9 ? null : String(80010100000 + i * 7))), new Utf8()),
  n: vectorFromArray(Array.from({ length: N }, (_, i) => (i % 13 === 0 ? null : i)), new Int32()),
  d: vectorFromArray(Array.from({ length: N }, (_, i) => ['a', 'bb', 'ccc'][i % 3]), new Dictionary(new Utf8(), new Int32())),
});
const good = tableToIPC(table, 'stream');

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function read(bytes: Uint8Array): Promise<{ rows: number; err: { code?: string; message?: string; details?: Record<string, unknown> } | null }> {
  let rows = 0;
  try {
    const source = await openArrowIpc(once(bytes), { maxBytes: 1 << 26 });
    for await (const b of source.batches()) rows += b.length;
    return { rows, err: null };
  } catch (err) {
    return { rows, err: err as never };
  }
}

function int32At(body: Uint8Array, at: number, value: number): Uint8Array {
  new DataView(body.buffer, body.byteOffset, body.byteLength).setInt32(at, value, true);
  return body;
}

const buffers = batchBuffers(good);
const cases: { what: string; body: Uint8Array; column: string }[] = [
  { what: 'the issue case: the insz offsets buffer lies 2^31 bytes past the body', column: 'insz',
    body: editBatch(good, 0, { buffers: (b) => b.map((r, i) => (i === 1 ? region(2 ** 31, r.length) : r)) }) },
  { what: 'the insz offsets buffer holds half the offsets it needs', column: 'insz',
    body: editBatch(good, 0, { buffers: (b) => b.map((r, i) => (i === 1 ? region(r.offset, (N / 2) * 4) : r)) }) },
  { what: 'the insz validity bitmap lies past the body', column: 'insz',
    body: editBatch(good, 0, { buffers: (b) => b.map((r, i) => (i === 0 ? region(1 << 30, r.length) : r)) }) },
  { what: 'the n values are cut to 10 rows', column: 'n',
    body: editBatch(good, 0, { buffers: (b) => b.map((r, i) => (i === 4 ? region(r.offset, 40) : r)) }) },
  { what: 'the dictionary indices lie past the body', column: 'd',
    body: editBatch(good, 0, { buffers: (b) => b.map((r, i) => (i === 6 ? region(r.offset + 1_000_000, r.length) : r)) }) },
  { what: 'the batch declares 1,000,000 rows in buffers for 1,000', column: 'insz',
    body: editBatch(good, 0, { length: 1_000_000, nodes: (ns) => ns.map((x) => fieldNode(1_000_000, x.nullCount)) }) },
  { what: 'a column declares more nulls than rows', column: 'n',
    body: editBatch(good, 0, { nodes: (ns) => ns.map((x, i) => (i === 1 ? fieldNode(N, N + 5) : x)) }) },
  { what: 'the insz offsets go backwards', column: 'insz',
    body: editBatch(good, 0, { body: (b) => int32At(b, Number(buffers[1].offset) + 400, 3) }) },
  { what: 'the last insz offset lies past the values', column: 'insz',
    body: editBatch(good, 0, { body: (b) => int32At(b, Number(buffers[1].offset) + N * 4, 1 << 30) }) },
  { what: 'the first insz offset is negative', column: 'insz',
    body: editBatch(good, 0, { body: (b) => int32At(b, Number(buffers[1].offset), -8) }) },
  { what: 'a dictionary index is out of range', column: 'd',
    body: editBatch(good, 0, { body: (b) => int32At(b, Number(buffers[6].offset) + 8, 77) }) },
  { what: 'the dictionary\'s own offsets lie past the body', column: 'd',
    body: editDictionary(good, 0, { buffers: (b) => b.map((r, i) => (i === 1 ? region(2 ** 31, r.length) : r)) }) },
];

t.test('an unedited stream reads whole (the edits below are what breaks them)', async (t) => {
  const r = await read(good);
  t.equal(r.err, null);
  t.equal(r.rows, N);
});

for (const c of cases) {
  t.test(`damaged: ${c.what}`, async (t) => {
    const r = await read(c.body);
    t.equal(r.err?.code, 'KOPPEL_ERR_INGEST_COLUMNAR', 'refused as damaged');
    t.equal(r.err?.details?.column, c.column, `naming the column: ${r.err?.message}`);
    t.equal(r.rows, 0, 'no row read from the damaged batch');
  });
}
