import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { writeDurableSync, writeFileDurableSync } from '../../../src/store/durable-fs.js';

t.test('a file written in pieces holds every piece, in order, with the mode asked for', async (t) => {
  const dir = t.testdir();
  const target = join(dir, 'out.csv');
  const piece = new Uint8Array(3);
  writeDurableSync(target, (write) => {
    // The same memory reused for each piece: each must be on disk before write returns.
    for (const c of 'abc') { piece.fill(c.charCodeAt(0)); write(piece); }
  }, 0o640);
  t.equal(readFileSync(target, 'utf8'), 'aaabbbccc');
  t.equal(statSync(target).mode & 0o777, 0o640);
  t.same(readdirSync(dir), ['out.csv'], 'no temporary file left');
});

t.test('a failure while writing leaves the earlier file as it was and no temporary file', async (t) => {
  const dir = t.testdir({ 'out.csv': 'before\n' });
  const target = join(dir, 'out.csv');
  t.throws(() => writeDurableSync(target, (write) => { write(Buffer.from('half')); throw new Error('the writer failed'); }), { message: 'the writer failed' });
  t.equal(readFileSync(target, 'utf8'), 'before\n');
  t.same(readdirSync(dir), ['out.csv']);
  writeFileDurableSync(target, 'after\n');
  t.equal(readFileSync(target, 'utf8'), 'after\n');
});
