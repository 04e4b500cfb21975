import { createHash } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { SHA256_IV, compressBlock, loadBlock } from '../../../src/pseudonymise/sha256-block.js';

/** SHA-256 of a message of at most 55 bytes: one padded block from the IV. */
function sha256Single(msg: Uint8Array): string {
  const block = new Uint8Array(64);
  block.set(msg);
  block[msg.length] = 0x80;
  new DataView(block.buffer).setUint32(60, msg.length * 8);
  const w = new Int32Array(16);
  loadBlock(block, 0, w);
  const out = new Int32Array(8);
  compressBlock(SHA256_IV, w, out, 0);
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) view.setInt32(i * 4, out[i]);
  return Buffer.from(bytes).toString('hex');
}

t.test('compresses the FIPS 180-4 "abc" example to its published digest', async (t) => {
  t.equal(sha256Single(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.equal(sha256Single(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

t.test('agrees with node:crypto on random single-block messages', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 55 }), (msg) =>
    sha256Single(msg) === createHash('sha256').update(msg).digest('hex')), { seed: 7, numRuns: 300 });
  t.pass('300 random messages agree');
});

t.test('lets the output alias the input state', async (t) => {
  const w = new Int32Array(16);
  w[0] = 0x61626380 | 0; // "abc" + padding
  w[15] = 24;
  const separate = new Int32Array(8);
  compressBlock(SHA256_IV, w, separate, 0);
  const state = Int32Array.from(SHA256_IV);
  compressBlock(state, w, state, 0);
  t.same(Array.from(state), Array.from(separate));
});
