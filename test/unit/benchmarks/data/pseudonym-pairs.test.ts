import t from 'tap';
import { pseudonymPair } from '../../../../benchmarks/data/pseudonym-pairs.js';

function hexRows(bytes: Uint8Array, n: number): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, n * 32);
  return Array.from({ length: n }, (_, i) => buf.toString('hex', i * 32, i * 32 + 32));
}

t.test('right repeats exactly the requested share of left pseudonyms, each side distinct', async (t) => {
  const data = pseudonymPair(5000, 0.8, 11);
  t.equal(data.matches, 4000);
  t.equal(data.left.length, 5000 * 32);
  t.equal(data.right.length, 5000 * 32);
  const left = hexRows(data.left, 5000);
  const right = hexRows(data.right, 5000);
  t.equal(new Set(left).size, 5000, 'left rows are distinct');
  t.equal(new Set(right).size, 5000, 'right rows are distinct');
  const leftSet = new Set(left);
  t.equal(right.filter((h) => leftSet.has(h)).length, 4000, 'an independent count of the overlap');
});

t.test('rightOfLeft names the right row holding the same pseudonym, or -1', async (t) => {
  const data = pseudonymPair(2000, 0.5, 3);
  const left = hexRows(data.left, 2000);
  const rightRow = new Map(hexRows(data.right, 2000).map((h, i) => [h, i]));
  let wrong = 0;
  for (let i = 0; i < 2000; i++) if ((rightRow.get(left[i]) ?? -1) !== data.rightOfLeft[i]) wrong++;
  t.equal(wrong, 0);
  t.equal(Array.from(data.rightOfLeft).filter((r) => r >= 0).length, 1000);
});

t.test('matched left rows are scattered, not one leading block', async (t) => {
  const data = pseudonymPair(4000, 0.8, 5);
  const firstFifth = Array.from(data.rightOfLeft.subarray(0, 800)).filter((r) => r >= 0).length;
  t.ok(firstFifth > 560 && firstFifth < 720, `about 80% of the first 800 left rows match (${firstFifth})`);
});

t.test('the same seed gives the same bytes; another seed other bytes', async (t) => {
  const a = pseudonymPair(300, 0.8, 9);
  const b = pseudonymPair(300, 0.8, 9);
  const c = pseudonymPair(300, 0.8, 10);
  t.same(Buffer.compare(a.left, b.left), 0);
  t.same(Buffer.compare(a.right, b.right), 0);
  t.not(Buffer.compare(a.left, c.left), 0);
});

t.test('handles the edges and refuses nonsense sizes', async (t) => {
  t.equal(pseudonymPair(0).matches, 0);
  t.equal(pseudonymPair(10, 0).matches, 0);
  t.equal(pseudonymPair(10, 1).matches, 10);
  t.throws(() => pseudonymPair(-1), RangeError);
  t.throws(() => pseudonymPair(1.5), RangeError);
  t.throws(() => pseudonymPair(10, 1.2), RangeError);
});
