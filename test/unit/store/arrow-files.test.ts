import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import t from 'tap';
import { Dictionary, Int32, Table, Utf8, tableFromIPC, vectorFromArray } from 'apache-arrow';
import { openBatchSink, writeTableFileSync } from '../../../src/store/arrow-files.js';
import { sampleTable, tempDir } from './store-fixture.js';

function mixedTable(): Table {
  return new Table({
    name: vectorFromArray(['a', null, 'ccc', ''], new Utf8()),
    code: vectorFromArray(['x', 'y', 'x', null], new Dictionary(new Utf8(), new Int32())),
    n: vectorFromArray([1, 2, null, 4], new Int32()),
  });
}

t.test('writeTableFileSync writes an IPC file that reads back equal, with its size and sha256', async (t) => {
  const file = path.join(tempDir(t), 'mixed.arrow');
  const table = mixedTable();
  const info = writeTableFileSync(file, table);
  const bytes = fs.readFileSync(file);
  t.equal(info.bytes, bytes.length);
  t.equal(info.sha256, createHash('sha256').update(bytes).digest('hex'));
  t.equal(info.rows, 4);
  t.equal(bytes.subarray(0, 6).toString('latin1'), 'ARROW1', 'file format magic');
  const back = tableFromIPC(bytes);
  t.same(back.toArray().map((r) => r.toJSON()), table.toArray().map((r) => r.toJSON()));
  t.throws(() => writeTableFileSync(file, table), { code: 'EEXIST' }, 'never overwrites');
});

t.test('the incremental sink and the sync writer produce identical files', async (t) => {
  const dir = tempDir(t);
  const table = new Table([...sampleTable(100, 1).batches, ...sampleTable(50, 2).batches]);
  const sync = writeTableFileSync(path.join(dir, 'sync.arrow'), table);
  let closed: { bytes: number; sha256: string; rows: number } | null = null;
  const sink = openBatchSink(path.join(dir, 'async.arrow'), table.schema, (info) => { closed = info; });
  // Not awaiting each write: the sink must still keep them in order.
  const writes = table.batches.map((b) => sink.write(b));
  await Promise.all(writes);
  t.equal(closed, null, 'not reported before close');
  await sink.close();
  t.same(closed, sync);
  t.ok(fs.readFileSync(path.join(dir, 'async.arrow')).equals(fs.readFileSync(path.join(dir, 'sync.arrow'))));
  await t.rejects(sink.write(table.batches[0]), 'closed sinks refuse writes');
});
