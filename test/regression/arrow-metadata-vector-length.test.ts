/**
 * Found by the ingest fuzz run: an Arrow IPC body whose record-batch metadata declares its
 * vector of field nodes far longer than the metadata itself made apache-arrow allocate until the
 * process ran out of heap, before any of Koppel's checks saw the batch. The framing check
 * (ingest/ipc-framing.ts) refuses it first, in the stream and in the file format.
 */
import t from 'tap';
import { ByteBuffer } from 'flatbuffers';
import { Message } from 'apache-arrow/fb/message';
import { RecordBatch as RecordBatchMeta } from 'apache-arrow/fb/record-batch';
import { Table, tableToIPC, vectorFromArray, Utf8 } from 'apache-arrow';
import { openArrowIpc } from '../../src/ingest/columnar-reader.js';

/** The IPC bytes with the first record batch's field-node count set to `count`. */
function withNodeCount(bytes: Uint8Array, count: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const view = new DataView(out.buffer);
  let at = out[0] === 0x41 ? 8 : 0; // skip ARROW1 and its padding in the file format
  for (;;) {
    const prefix = view.getInt32(at, true) === -1 ? 8 : 4;
    const length = view.getInt32(at + prefix - 4, true);
    const metaStart = at + prefix;
    const bb = new ByteBuffer(out.subarray(metaStart, metaStart + length));
    const message = Message.getRootAsMessage(bb);
    const batch = message.header(new RecordBatchMeta()) as RecordBatchMeta | null;
    if (batch !== null && message.headerType() === 3) {
      const slot = bb.__offset(batch.bb_pos, 6); // field 1 of RecordBatch: nodes
      const vector = bb.__vector(batch.bb_pos + slot);
      view.setInt32(metaStart + vector - 4, count, true);
      return out;
    }
    at = metaStart + length + Number(message.bodyLength());
  }
}

async function* chunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
}

const table = new Table({ insz: vectorFromArray(['85073003328', '90010112345'], new Utf8()) });

for (const format of ['stream', 'file'] as const) {
  t.test(`an Arrow IPC ${format} declaring 2^28 field nodes in a few bytes of metadata is refused before it is decoded`, async (t) => {
    const damaged = withNodeCount(tableToIPC(table, format), 1 << 28);
    await t.rejects(async () => {
      const source = await openArrowIpc(chunks(damaged), { maxBytes: 1 << 20 });
      for await (const batch of source.batches()) void batch;
    }, { code: 'KOPPEL_ERR_INGEST_COLUMNAR', message: /more field nodes or buffers than its metadata holds/ });
  });
}
