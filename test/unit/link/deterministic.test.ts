/**
 * The deterministic pass against the implementation it replaced (kept here as the reference):
 * one global constrained union-find fed group by group. The pass now runs each group's
 * union-find on its own and reports persons as `rep`; every outcome must stay the same.
 */
import t from 'tap';
import fc from 'fast-check';
import { ConstrainedUnionFind, Union } from '../../../src/link/assignment.js';
import type { PairList } from '../../../src/link/blocking.js';
import type { EncodedSource } from '../../../src/pseudonymise/encoded-source.js';
import { clustersOfReps, deterministicPass } from '../../../src/link/deterministic.js';

function reference(sources: readonly EncodedSource[], ids: Int32Array, keySpace: number, uf: ConstrainedUnionFind, dedupe: readonly boolean[], maxGroup: number) {
  const S = sources.length;
  const offsets = uf.offsets;
  const start = new Int32Array(keySpace + 1);
  for (const id of ids) if (id >= 0) start[id + 1]++;
  for (let k = 0; k < keySpace; k++) start[k + 1] += start[k];
  const fill = start.slice(0, keySpace);
  const members = new Int32Array(start[keySpace]);
  ids.forEach((id, g) => { if (id >= 0) members[fill[id]++] = g; });
  const sourceOf = (g: number): number => { let s = 0; while (offsets[s + 1] <= g) s++; return s; };
  const lists = new Map<number, { left: number; right: number; a: number[]; b: number[] }>();
  const settled = sources.map((src) => new Uint8Array(src.size));
  const linkedTo: (Uint8Array | null)[][] = sources.map(() => sources.map(() => null));
  let links = 0; let conflicts = 0; let oversizedGroups = 0; let oversizedRecords = 0;
  const merges: [number, number][] = [];
  for (let k = 0; k < keySpace; k++) {
    const group = members.subarray(start[k], start[k + 1]);
    if (group.length < 2) continue;
    if (group.length > maxGroup) { oversizedGroups++; oversizedRecords += group.length; continue; }
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const si = sourceOf(group[i]); const sj = sourceOf(group[j]);
        if (si === sj && !dedupe[si] && sources[si].unique) continue;
        if (si === sj && !dedupe[si]) { if (uf.union(group[i], group[j]) === Union.Merged) merges.push([group[i], group[j]]); continue; }
        if (uf.union(group[i], group[j]) === Union.Rejected) { conflicts++; continue; }
        const la = group[i] - offsets[si]; const rb = group[j] - offsets[sj];
        settled[si][la] = 1; settled[sj][rb] = 1;
        (linkedTo[si][sj] ??= new Uint8Array(sources[si].size))[la] = 1;
        (linkedTo[sj][si] ??= new Uint8Array(sources[sj].size))[rb] = 1;
        const key = si * S + sj;
        if (!lists.has(key)) lists.set(key, { left: si, right: sj, a: [], b: [] });
        lists.get(key)!.a.push(la); lists.get(key)!.b.push(rb);
        links++;
      }
    }
  }
  return {
    lists: [...lists.values()].sort((x, y) => x.left - y.left || x.right - y.right),
    settled, linkedTo, links, conflicts, oversizedGroups, oversizedRecords, merges, clusters: uf.clusterIds(),
  };
}

const plain = (list: PairList) => ({ left: list.left, right: list.right, a: [...list.a.subarray(0, list.length)], b: [...list.b.subarray(0, list.length)] });

t.test('links, conflicts, merges, oversized groups and persons are those of the global union-find', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.boolean()), { minLength: 1, maxLength: 3 }),
    fc.boolean(), fc.boolean(), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 8 }),
    fc.array(fc.integer({ min: -1, max: 7 }), { minLength: 36, maxLength: 36 }),
    (shape, deduplicate, oneToOne, maxGroup, keySpace, draws) => {
      const sources = shape.map(([size, unique], s) => ({ name: `s${s}`, size, unique, fields: [], pseudonyms: null }) as EncodedSource);
      const offsets = new Int32Array(sources.length + 1);
      sources.forEach((s, i) => { offsets[i + 1] = offsets[i] + s.size; });
      const total = offsets[sources.length];
      // Group ids numbered in order of first record, as the index gives them.
      const raw = Array.from({ length: total }, (_, g) => Math.min(draws[g % draws.length], keySpace - 1));
      const renumber = new Map<number, number>();
      const ids = Int32Array.from(raw, (k) => (k < 0 ? -1 : (renumber.has(k) ? renumber.get(k)! : (renumber.set(k, renumber.size), renumber.size - 1))));
      const sizes = new Int32Array(renumber.size);
      for (const id of ids) if (id >= 0) sizes[id]++;
      const constrained = sources.map((s) => s.unique && oneToOne && !deduplicate);
      const dedupe = sources.map(() => deduplicate);
      const want = reference(sources, ids, renumber.size, new ConstrainedUnionFind(offsets, constrained), dedupe, maxGroup);
      const got = deterministicPass({ sources, offsets, ids, sizes, constrained, dedupe, maxGroup });
      const clusters = clustersOfReps(got.rep);
      return JSON.stringify(got.lists.map(plain)) === JSON.stringify(want.lists)
        && got.links === want.links && got.conflicts === want.conflicts
        && got.oversizedGroups === want.oversizedGroups && got.oversizedRecords === want.oversizedRecords
        && JSON.stringify([...got.merges.a.subarray(0, got.merges.length)].map((a, i) => [a, got.merges.b[i]])) === JSON.stringify(want.merges)
        && JSON.stringify(got.settled.map((x) => [...x])) === JSON.stringify(want.settled.map((x) => [...x]))
        && JSON.stringify(got.linkedTo.map((r) => r.map((x) => (x === null ? null : [...x])))) === JSON.stringify(want.linkedTo.map((r) => r.map((x) => (x === null ? null : [...x]))))
        && clusters.count === want.clusters.count && JSON.stringify([...clusters.ids]) === JSON.stringify([...want.clusters.ids]);
    },
  ), { numRuns: 500 });
});

t.test('a record alone, or in a skipped oversized group, represents itself', async (t) => {
  const sources = [{ name: 'a', size: 4, unique: true, fields: [], pseudonyms: null }, { name: 'b', size: 3, unique: true, fields: [], pseudonyms: null }] as EncodedSource[];
  // a0-b0 share a number; a1, a2, b1, b2 share a placeholder (oversized at maxGroup 3); a3 alone.
  const ids = Int32Array.of(0, 1, 1, -1, 0, 1, 1);
  const got = deterministicPass({ sources, offsets: Int32Array.of(0, 4, 7), ids, sizes: Int32Array.of(2, 4), constrained: [true, true], dedupe: [false, false], maxGroup: 3 });
  t.same([...got.rep], [0, 1, 2, 3, 0, 5, 6]);
  t.equal(got.links, 1);
  t.equal(got.oversizedGroups, 1);
  t.equal(got.oversizedRecords, 4);
  t.same(clustersOfReps(got.rep), { ids: Int32Array.of(0, 1, 2, 3, 0, 4, 5), count: 6 });
});
