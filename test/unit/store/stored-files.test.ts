import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import t from 'tap';
import { Table } from 'apache-arrow';
import { writeTableFileSync } from '../../../src/store/arrow-files.js';
import { openStoredFile, readStoredTable, type StoredFileRef } from '../../../src/store/stored-files.js';
import { sampleTable, tempDir } from './store-fixture.js';

/** A stored file of `batches` record batches of 1,000 rows, and the reference the store would hand out. */
function storedFile(t: Parameters<typeof tempDir>[0], batches: number): { ref: StoredFileRef; table: Table } {
  const file = path.join(tempDir(t), 'multi.arrow');
  const table = new Table(Array.from({ length: batches }, (_, i) => sampleTable(1000, i + 1).batches).flat());
  const info = writeTableFileSync(file, table);
  return { ref: { path: file, bytes: info.bytes, sha256: info.sha256, what: 'jobs/job_x/multi.arrow' }, table };
}

/** Records every whole-file read of `file` (fs.readFileSync, fs.readFile, fs.promises.readFile) while `fn` runs. */
async function wholeFileReads(file: string, fn: () => Promise<void>): Promise<number> {
  let reads = 0;
  const count = (p: unknown) => {
    if (String(p) === file) reads++;
  };
  const originals = { readFileSync: fs.readFileSync, readFile: fs.readFile, promisesReadFile: fs.promises.readFile };
  fs.readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    count(p);
    return (originals.readFileSync as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.readFileSync;
  fs.readFile = ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    count(p);
    return (originals.readFile as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.readFile;
  fs.promises.readFile = ((p: unknown, ...rest: unknown[]) => {
    count(p);
    return (originals.promisesReadFile as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.promises.readFile;
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    fs.readFileSync = originals.readFileSync;
    fs.readFile = originals.readFile;
    fs.promises.readFile = originals.promisesReadFile;
    syncBuiltinESMExports();
  }
  return reads;
}

const rowsOf = (table: Table) => table.toArray().map((r) => JSON.stringify(r.toJSON()));

t.test('a multi-batch stored file reads back equal, batch by batch, without a whole-file read', async (t) => {
  const { ref, table } = storedFile(t, 6);
  t.ok(ref.bytes > 4 * 4096, 'the file is several read pieces long');
  let back: Table | null = null;
  const reads = await wholeFileReads(ref.path, async () => {
    back = await readStoredTable(ref, { chunkBytes: 4096 });
  });
  t.equal(reads, 0, 'never read whole');
  t.equal(back!.batches.length, 6, 'one record batch per stored batch');
  t.same(rowsOf(back!), rowsOf(table));
});

t.test('the schema is known before any batch, and batches come one at a time', async (t) => {
  const { ref, table } = storedFile(t, 3);
  const file = await openStoredFile(ref);
  const { schema, batches } = await file.arrow();
  t.same(schema.fields.map((f) => f.name), table.schema.fields.map((f) => f.name));
  let rows = 0;
  for await (const batch of batches) rows += batch.numRows;
  t.equal(rows, 3000);
  await t.rejects(Promise.resolve().then(() => file.arrow()), /already read or closed/, 'a verified file is read once');
});

t.test('the byte stream sends the file in chunk-sized pieces, hashed again on the way', async (t) => {
  const { ref } = storedFile(t, 4);
  const pieces: Buffer[] = [];
  const reads = await wholeFileReads(ref.path, async () => {
    const file = await openStoredFile(ref, { chunkBytes: 4096 });
    for await (const piece of file.byteStream()) pieces.push(piece as Buffer);
  });
  t.equal(reads, 0);
  t.ok(pieces.length >= Math.floor(ref.bytes / 4096), `read in ${pieces.length} pieces`);
  t.ok(pieces.every((p) => p.length <= 4096));
  t.equal(createHash('sha256').update(Buffer.concat(pieces)).digest('hex'), ref.sha256);
});

t.test('a file altered after it was verified breaks the byte stream off with KOPPEL_ERR_STORE_CORRUPT', async (t) => {
  const { ref } = storedFile(t, 4);
  const file = await openStoredFile(ref, { chunkBytes: 4096 });
  const fd = fs.openSync(ref.path, 'r+');
  fs.writeSync(fd, Buffer.from([0xff]), 0, 1, ref.bytes - 100);
  fs.closeSync(fd);
  const drained = async () => {
    for await (const _piece of file.byteStream()) { /* drain */ }
  };
  await t.rejects(drained(), { code: 'KOPPEL_ERR_STORE_CORRUPT' });
});

t.test('a flipped, truncated, extended or missing file is KOPPEL_ERR_STORE_CORRUPT before anything is read', async (t) => {
  const { ref } = storedFile(t, 2);
  const original = fs.readFileSync(ref.path);
  const cases: [string, () => void][] = [
    ['one byte flipped in the middle', () => {
      const bytes = Buffer.from(original);
      bytes[bytes.length >> 1] ^= 1;
      fs.writeFileSync(ref.path, bytes);
    }],
    ['truncated', () => fs.writeFileSync(ref.path, original.subarray(0, original.length - 1))],
    ['one byte appended', () => fs.writeFileSync(ref.path, Buffer.concat([original, Buffer.from([0])]))],
    ['removed', () => fs.rmSync(ref.path)],
  ];
  for (const [name, damage] of cases) {
    damage();
    await t.rejects(readStoredTable(ref, { chunkBytes: 4096 }), { code: 'KOPPEL_ERR_STORE_CORRUPT', details: { file: ref.what } }, name);
    await t.rejects(openStoredFile(ref), { code: 'KOPPEL_ERR_STORE_CORRUPT' }, `${name}: opening refuses too`);
    fs.writeFileSync(ref.path, original);
  }
  t.equal((await readStoredTable(ref)).numRows, 2000, 'restored, it reads again');
});

t.test('a file whose recorded bytes are not an Arrow IPC file is refused with a plain error (a writer\'s bug, not damage)', async (t) => {
  const file = path.join(tempDir(t), 'not-arrow.arrow');
  const bytes = Buffer.alloc(64, 7);
  fs.writeFileSync(file, bytes);
  const ref = { path: file, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), what: 'x/not-arrow.arrow' };
  const err = await readStoredTable(ref).then(() => null, (e: unknown) => e as Error & { code?: string });
  t.match(err?.message, /matches its recorded hash but is not an Arrow IPC file/);
  t.equal(err?.code, undefined);
});
