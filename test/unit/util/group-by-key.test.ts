import t from 'tap';
import fc from 'fast-check';
import { groupByKey } from '../../../src/util/group-by-key.js';

/** The plain counting sort the kernel must agree with. */
function reference(keys: Int32Array, keyCount: number, keep: Uint8Array | null): { start: number[]; order: number[] } {
  const groups: number[][] = Array.from({ length: keyCount }, () => []);
  keys.forEach((k, r) => { if (k >= 0 && (keep === null || keep[k] !== 0)) groups[k].push(r); });
  const start = [0];
  for (const g of groups) start.push(start[start.length - 1] + g.length);
  return { start, order: groups.flat() };
}

t.test('groups records by key, ascending within a key, leaving out negative and unkept keys', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 40 }).chain((keyCount) => fc.tuple(
      fc.constant(keyCount),
      fc.array(fc.integer({ min: -1, max: keyCount - 1 }), { maxLength: 200 }),
      fc.option(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: keyCount, maxLength: keyCount })),
    )),
    ([keyCount, keys, keep]) => {
      const k = Int32Array.from(keys);
      const flags = keep === null ? null : Uint8Array.from(keep);
      const got = groupByKey(k, keyCount, flags);
      const want = reference(k, keyCount, flags);
      return JSON.stringify([...got.start]) === JSON.stringify(want.start) && JSON.stringify([...got.order]) === JSON.stringify(want.order);
    },
  ));
});

t.test('agrees with the plain sort across many radix buckets', async (t) => {
  const keyCount = 70_000;
  const keys = new Int32Array(150_000);
  let x = 99;
  for (let r = 0; r < keys.length; r++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; keys[r] = (x % (keyCount + 500)) - 500; }
  const got = groupByKey(keys, keyCount);
  const want = reference(keys, keyCount, null);
  t.same([...got.start], want.start);
  t.same([...got.order], want.order);
});

t.test('a key at or above the key count is refused', async (t) => {
  t.throws(() => groupByKey(Int32Array.of(0, 3), 3), RangeError);
});
