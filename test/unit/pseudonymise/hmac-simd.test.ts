import { createHmac } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { HmacSha256Key, hmacFixedWidth, hmacFixedWidthScalar, hmacVarWidth } from '../../../src/pseudonymise/hmac-batch.js';
import {
  CHUNK_ROWS, SIMD_MAX_WIDTH, hmacFixedWidthSimd, hmacSimdModuleBytes, simdHmacAvailable, simdKernelMemory,
} from '../../../src/pseudonymise/hmac-simd.js';
import { seededRandom } from '../../../src/util/seeded-random.js';

const nodeHmac = (key: Uint8Array, msg: Uint8Array): Buffer => createHmac('sha256', key).update(msg).digest();

function randomBytesSeeded(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/** Row indexes whose 32 bytes differ from node:crypto's HMAC of the same row. */
function mismatches(key: Uint8Array, input: Uint8Array, width: number, count: number, out: Uint8Array): number[] {
  const bad: number[] = [];
  for (let i = 0; i < count; i++) {
    const ref = nodeHmac(key, input.subarray(i * width, (i + 1) * width));
    if (!ref.equals(Buffer.from(out.buffer, out.byteOffset + i * 32, 32))) bad.push(i);
  }
  return bad;
}

t.test('Node 20 runs the SIMD kernel (the engine validates the generated module)', async (t) => {
  t.ok(simdHmacAvailable(), 'WebAssembly SIMD is available');
});

t.test('agrees with node:crypto for every width from 0 to 55 bytes and counts that are not a multiple of 4', async (t) => {
  const key = randomBytesSeeded(32, 1);
  const k = new HmacSha256Key(key);
  for (let width = 0; width <= SIMD_MAX_WIDTH; width++) {
    for (const count of [1, 2, 3, 4, 5, 7, 33]) {
      const input = randomBytesSeeded(width * count, width * 100 + count);
      const out = new Uint8Array(count * 32);
      t.ok(hmacFixedWidthSimd(k.inner, k.outer, input, width, count, out));
      const bad = mismatches(key, input, width, count, out);
      if (bad.length > 0) t.fail(`width ${width}, count ${count}: rows ${bad.join(', ')} differ`);
    }
  }
  t.pass('56 widths x 7 counts agree');
});

t.test('crosses the chunk boundary without losing or shifting a row', async (t) => {
  const key = randomBytesSeeded(32, 2);
  const k = new HmacSha256Key(key);
  const count = CHUNK_ROWS * 2 + 5;
  const input = randomBytesSeeded(count * 11, 3);
  const out = new Uint8Array(count * 32);
  hmacFixedWidthSimd(k.inner, k.outer, input, 11, count, out);
  t.same(mismatches(key, input, 11, count, out), []);
});

t.test('random keys (short, long, over one block) and random rows agree with the JS kernel', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 0, maxLength: 100 }),
    fc.integer({ min: 0, max: SIMD_MAX_WIDTH }),
    fc.integer({ min: 16, max: 80 }),
    fc.integer(),
    (key, width, count, seed) => {
      const input = randomBytesSeeded(width * count, seed);
      const simd = new Uint8Array(count * 32);
      const scalar = new Uint8Array(count * 32);
      hmacFixedWidth(key, input, width, count, simd);
      hmacFixedWidthScalar(key, input, width, count, scalar);
      return Buffer.from(simd).equals(Buffer.from(scalar)) && mismatches(key, input, width, count, simd).length === 0;
    },
  ), { seed: 4, numRuns: 150 });
  t.pass('150 random batches agree');
});

t.test('blanks skipped rows after the SIMD pass, as the JS kernel does', async (t) => {
  const key = randomBytesSeeded(32, 5);
  const count = 40;
  const input = randomBytesSeeded(count * 11, 6);
  const skip = new Uint8Array(count);
  for (let i = 0; i < count; i += 3) skip[i] = 1;
  const simd = new Uint8Array(count * 32).fill(0xee);
  const scalar = new Uint8Array(count * 32).fill(0xee);
  hmacFixedWidth(key, input, 11, count, simd, skip);
  hmacFixedWidthScalar(key, input, 11, count, scalar, skip);
  t.same(Buffer.from(simd), Buffer.from(scalar));
  t.ok(simd.subarray(0, 32).every((b) => b === 0), 'a skipped row is 32 zero bytes');
});

t.test('leaves neither the rows nor the key state in the kernel memory after a call', async (t) => {
  const key = randomBytesSeeded(32, 7);
  const k = new HmacSha256Key(key);
  const count = 1000;
  const input = new Uint8Array(count * 11).fill(0x37); // ASCII '7', never a byte of the output region
  hmacFixedWidthSimd(k.inner, k.outer, input, 11, count, new Uint8Array(count * 32));
  const memory = simdKernelMemory(11);
  t.ok(memory);
  const bytes = new Uint8Array(memory!.buffer);
  const outputStart = 64 + (CHUNK_ROWS + 4) * 11;
  t.ok(bytes.subarray(0, outputStart).every((b) => b === 0), 'rows and chaining values are zeroed');
});

t.test('generates a module per width and refuses widths that need two blocks', async (t) => {
  t.ok(hmacSimdModuleBytes(0).length > 1000);
  t.throws(() => hmacSimdModuleBytes(56), RangeError);
  t.throws(() => hmacSimdModuleBytes(-1), RangeError);
});

t.test('variable-width rows: lengths shared by many rows go through SIMD, the rest through JS, all as node:crypto', async (t) => {
  const key = randomBytesSeeded(32, 8);
  const rnd = seededRandom(9);
  // Mostly common lengths (names, dates), a few rare ones, some past one block, some skipped.
  const lengths = Array.from({ length: 500 }, () => {
    const u = rnd();
    return u < 0.7 ? 5 + Math.floor(rnd() * 4) : u < 0.9 ? 10 + Math.floor(rnd() * 46) : 56 + Math.floor(rnd() * 80);
  });
  const offsets = new Int32Array(lengths.length + 1);
  lengths.forEach((l, i) => { offsets[i + 1] = offsets[i] + l; });
  const values = randomBytesSeeded(offsets[lengths.length], 10);
  const skip = Uint8Array.from(lengths, (_, i) => (i % 17 === 0 ? 1 : 0));
  const out = new Uint8Array(lengths.length * 32).fill(0xee);
  hmacVarWidth(key, values, offsets, lengths.length, out, skip);
  const bad: number[] = [];
  for (let i = 0; i < lengths.length; i++) {
    const got = Buffer.from(out.subarray(i * 32, i * 32 + 32));
    const want = skip[i] !== 0 ? Buffer.alloc(32) : nodeHmac(key, values.subarray(offsets[i], offsets[i + 1]));
    if (!got.equals(want)) bad.push(i);
  }
  t.same(bad, [], 'every row as node:crypto, skipped rows zero');
});
