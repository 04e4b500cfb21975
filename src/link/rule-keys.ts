/**
 * A blocking rule's keys: one dense id per record for the conjunction of its token slots, equal
 * for two records exactly when every slot is present and equal in both; and the pairs a rule's
 * keys would give, counted without producing them.
 */
import type { BlockingRule, SourcePair } from './blocking-rule.js';
import type { FieldIndex } from './field-index.js';

/** ids[source][record]: one dense key per record for the rule, -1 when any token is absent. */
export function ruleKeys(rule: BlockingRule, index: readonly FieldIndex[], sourceCount: number): Int32Array[] {
  let current = index[rule[0].field].ids[rule[0].slot].slice(0, sourceCount);
  for (let k = 1; k < rule.length; k++) current = combineKeys(current, index[rule[k].field].ids[rule[k].slot].slice(0, sourceCount));
  return current;
}

/**
 * Dense ids of the pairs (x, y) over all sources: records with equal x and equal y share an id,
 * -1 where either is absent. Ids are numbered in order of first record (source 0 first), as a
 * hash table fed the records in order would number them, so outputs do not depend on how.
 *
 * Not a hash table: over millions of records nearly every probe of one misses cache. Instead a
 * counting sort groups the records by x (x is dense already); within one x group a y is new
 * when its stamp is not that group's, and y's arrays are as small as y's key space.
 */
export function combineKeys(xs: readonly Int32Array[], ys: readonly Int32Array[]): Int32Array[] {
  const nx = keySpace(xs);
  const ny = keySpace(ys);
  let total = 0;
  for (const x of xs) total += x.length;
  const out = new Int32Array(total).fill(-1);
  const start = new Int32Array(nx + 1);
  for (let s = 0; s < xs.length; s++) {
    const x = xs[s]; const y = ys[s];
    for (let r = 0; r < x.length; r++) if (x[r] >= 0 && y[r] >= 0) start[x[r] + 1]++;
  }
  for (let k = 0; k < nx; k++) start[k + 1] += start[k];
  const fill = start.slice(0, nx);
  const sortedY = new Int32Array(start[nx]);
  const sortedAt = new Int32Array(start[nx]);
  for (let s = 0, g = 0; s < xs.length; s++) {
    const x = xs[s]; const y = ys[s];
    for (let r = 0; r < x.length; r++, g++) {
      if (x[r] < 0 || y[r] < 0) continue;
      const at = fill[x[r]]++;
      sortedY[at] = y[r];
      sortedAt[at] = g;
    }
  }
  // Group-local ids, in sorted order.
  const stamp = new Int32Array(ny).fill(-1);
  const idOfY = new Int32Array(ny);
  let next = 0;
  for (let k = 0; k < nx; k++) {
    for (let at = start[k]; at < start[k + 1]; at++) {
      const y = sortedY[at];
      if (stamp[y] !== k) { stamp[y] = k; idOfY[y] = next++; }
      out[sortedAt[at]] = idOfY[y];
    }
  }
  // Renumbered in order of first record.
  const renamed = new Int32Array(next).fill(-1);
  let id = 0;
  for (let g = 0; g < total; g++) {
    const v = out[g];
    if (v < 0) continue;
    let w = renamed[v];
    if (w < 0) { w = id++; renamed[v] = w; }
    out[g] = w;
  }
  const perSource: Int32Array[] = [];
  for (let s = 0, from = 0; s < xs.length; s++) {
    perSource.push(out.subarray(from, from + xs[s].length));
    from += xs[s].length;
  }
  return perSource;
}

/** The key space of a rule's keys: one more than its largest key (read from `withKey[s]`, the records with a key, where listed). */
export function keySpace(keys: readonly Int32Array[], withKey: readonly (Int32Array | null)[] | null = null): number {
  let max = -1;
  keys.forEach((k, s) => {
    const some = withKey?.[s] ?? null;
    const n = some === null ? k.length : some.length;
    for (let j = 0; j < n; j++) {
      const key = k[some === null ? j : some[j]];
      if (key > max) max = key;
    }
  });
  return max + 1;
}

/**
 * Pairs a rule would produce over the given source pairs (before dedupe), without producing them;
 * with `weights`, each source's counts scaled by its weight (a sampled source's size over its sample's).
 */
export function countRulePairs(keys: readonly Int32Array[], pairs: readonly SourcePair[], weights: readonly number[] | null = null): number {
  const space = keySpace(keys);
  let total = 0;
  const counts = keys.map((k) => {
    const c = new Float64Array(space);
    for (let r = 0; r < k.length; r++) if (k[r] >= 0) c[k[r]]++;
    return c;
  });
  for (const { left, right } of pairs) {
    const cl = counts[left];
    const cr = counts[right];
    let sum = 0;
    for (let i = 0; i < space; i++) sum += left === right ? (cl[i] * (cl[i] - 1)) / 2 : cl[i] * cr[i];
    total += weights === null ? sum : sum * weights[left] * weights[right];
  }
  return total;
}
