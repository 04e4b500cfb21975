import t from 'tap';
import fc from 'fast-check';
import { PatternCounter } from '../../../src/link/pattern-histogram.js';

/** The histogram as `levels -> count`, by a plain reference count. */
function reference(levels: Uint8Array[], length: number, weights: number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let p = 0; p < length; p++) {
    const key = levels.map((lv) => lv[p]).join(',');
    out.set(key, (out.get(key) ?? 0) + weights[p]);
  }
  return out;
}

function asMap(c: PatternCounter, fields: number): Map<string, number> {
  const h = c.histogram();
  const out = new Map<string, number>();
  for (let d = 0; d < h.size; d++) out.set(Array.from(h.levels.subarray(d * fields, d * fields + fields)).join(','), h.counts[d]);
  return out;
}

t.test('counts patterns in order of first pair, over a small (array-indexed) and a large (Map-indexed) pattern space', async (t) => {
  fc.assert(fc.property(
    fc.constantFrom([3, 4, 5], Array.from({ length: 12 }, () => 5)),
    fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
    (levelCounts, seeds) => {
      const F = levelCounts.length;
      const n = seeds.length;
      const levels = levelCounts.map((L, f) => Uint8Array.from(seeds, (s) => (s >>> f) % L));
      const weights = seeds.map((s) => 1 + (s % 3));
      const counter = new PatternCounter(levelCounts);
      const ids = new Int32Array(n);
      counter.addPairs(levels, n, ids, Float64Array.from(weights));
      const got = asMap(counter, F);
      const want = reference(levels, n, weights);
      // Ids follow first appearance, and a pair's id points at its own levels.
      const firstIds = [...new Set(ids)];
      const inOrder = firstIds.every((id, i) => id === i);
      const own = Array.from(ids).every((id, p) => levels.every((lv, f) => counter.histogram().levels[id * F + f] === lv[p]));
      return inOrder && own && got.size === want.size && [...want].every(([k, v]) => got.get(k) === v);
    },
  ), { seed: 5, numRuns: 200 });
  t.pass('200 random pair sets, both index kinds');
});
