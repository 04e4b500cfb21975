import t from 'tap';
import fc from 'fast-check';
import type { LinkResult } from '../../../src/link/link-records.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC } from '../../../src/link/link-method.js';
import { personContinuity, restrictKeys } from '../../../src/pipeline/person-continuity.js';
import { personKeys } from '../../../src/pipeline/person-ids.js';

/** A run's result from clusters per global record and links [left, right, method, weight]. */
function resultOf(sizes: number[], clusters: number[], links: [number, number, number, number][] = []): LinkResult {
  const offsets = new Int32Array(sizes.length + 1);
  sizes.forEach((n, s) => { offsets[s + 1] = offsets[s] + n; });
  return {
    offsets, clusters: Int32Array.from(clusters), clusterCount: Math.max(-1, ...clusters) + 1,
    links: {
      left: Int32Array.from(links, (l) => l[0]), right: Int32Array.from(links, (l) => l[1]), method: Uint8Array.from(links, (l) => l[2]),
      weight: Float64Array.from(links, (l) => l[3]), probability: Float64Array.from(links, () => 0.9), length: links.length,
    },
    report: {} as LinkResult['report'], review: null,
  };
}

const NaN_ = Number.NaN;

t.test('a cluster keeps its previous person; a cluster of new records only is left to resolve', async (t) => {
  // spine source 0: records 0,1 (persons 5, 6); new source 1: records 2 (joins 5), 3 (alone)
  const c = personContinuity({ result: resultOf([2, 2], [0, 1, 0, 2]), prior: Float64Array.from([5, 6, NaN_, NaN_]), newSources: [false, true], fields: ['surname'], deliveries: ['dlv_a', 'dlv_b'] });
  t.same([...c.kept], [5, 6, NaN_]);
  t.same([...c.fresh], []);
  t.same(c.merges, []);
  t.same(c.splits, []);
});

t.test('a new record joining two known persons merges them under the smaller id, with the links as evidence', async (t) => {
  // spine: 0 (person 9), 1 (person 4); new record 2 links to both
  const result = resultOf([2, 1], [0, 0, 0], [[0, 2, LINK_DETERMINISTIC, Number.NaN], [1, 2, LINK_PROBABILISTIC, 11.24]]);
  const c = personContinuity({ result, prior: Float64Array.from([9, 4, NaN_]), newSources: [false, true], fields: ['surname', 'date'], deliveries: ['dlv_a', 'dlv_b'] });
  t.same([...c.kept], [4]);
  t.equal(c.merges.length, 1);
  t.same(c.merges[0].persons, [4, 9]);
  t.equal(c.merges[0].evidence, '1 deterministic link on the national-number pseudonym; probabilistic link weight 11.2 (fields: surname, date) through new records of dlv_b');
});

t.test('two merges in one run each name only the links of their own cluster as evidence', async (t) => {
  // spine 0..3 (persons 9, 4, 12, 3); new 4 joins 0 and 1 (deterministic), new 5 joins 2 and 3
  // (two probabilistic links, the stronger 13.0); a link of new 6 elsewhere (cluster 2) is no evidence
  const result = resultOf([4, 3], [0, 0, 1, 1, 0, 1, 2], [
    [0, 4, LINK_DETERMINISTIC, Number.NaN], [1, 4, LINK_DETERMINISTIC, Number.NaN],
    [2, 5, LINK_PROBABILISTIC, 9.5], [3, 5, LINK_PROBABILISTIC, 13.04], [6, 6, LINK_PROBABILISTIC, 20],
  ]);
  const c = personContinuity({ result, prior: Float64Array.from([9, 4, 12, 3, NaN_, NaN_, NaN_]), newSources: [false, true], fields: ['surname'], deliveries: ['dlv_a', 'dlv_b'] });
  t.same([...c.kept], [4, 3, NaN_]);
  t.same(c.merges.map((m) => m.persons), [[4, 9], [3, 12]]);
  t.equal(c.merges[0].evidence, '2 deterministic links on the national-number pseudonym through new records of dlv_b');
  t.equal(c.merges[1].evidence, 'probabilistic link weight 13.0 (fields: surname) and 1 more through new records of dlv_b');
});

t.test('a known person whose records fall apart is split: most records keep the id, the rest get fresh ids', async (t) => {
  // person 7 had records 0, 1, 2; now {0, 1} and {2}; person 8 (record 3) untouched
  const c = personContinuity({ result: resultOf([4], [0, 0, 1, 2]), prior: Float64Array.from([7, 7, 7, 8]), newSources: [false], fields: [], deliveries: ['dlv_a'] });
  t.same([...c.kept], [7, NaN_, 8]);
  t.same([...c.fresh], [1]);
  t.same(c.splits, [{ person: 7, clusters: [0, 1] }]);
});

t.test('property: every cluster with a spine record either keeps an id of its records or is fresh, and each previous id is kept at most once', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined })), { minLength: 1, maxLength: 30 }), (records) => {
    const clusters = records.map(([c]) => c);
    const used = [...new Set(clusters)].sort((a, b) => a - b);
    const dense = clusters.map((c) => used.indexOf(c));
    const prior = Float64Array.from(records, ([, p]) => p ?? Number.NaN);
    const c = personContinuity({ result: resultOf([records.length], dense), prior, newSources: [false], fields: [], deliveries: ['d'] });
    const keptIds = [...c.kept].filter((x) => !Number.isNaN(x));
    if (new Set(keptIds).size !== keptIds.length) return false;
    for (let k = 0; k < used.length; k++) {
      const ids = records.filter((_, g) => dense[g] === k).map(([, p]) => p).filter((p) => p !== undefined);
      const fresh = c.fresh.includes(k);
      if (ids.length === 0) { if (!Number.isNaN(c.kept[k]) || fresh) return false; continue; }
      if (fresh === !Number.isNaN(c.kept[k])) return false;
      if (!fresh && !ids.includes(c.kept[k])) return false;
    }
    return true;
  }), { numRuns: 300 });
});

t.test('restricted person keys hold only the chosen clusters, as personKeys makes them for those alone', async (t) => {
  const result = resultOf([3], [0, 1, 2]);
  const pseudonyms = new Uint8Array(3 * 32);
  pseudonyms.fill(1, 0, 32); pseudonyms.fill(2, 32, 64);
  const keys = personKeys(result, [{ pseudonyms, valid: Uint8Array.from([0b011]), length: 3 }], [Uint32Array.from([10, 11, 12])]);
  const only = restrictKeys(keys, (c) => c !== 0);
  t.same([...only.keyedClusters], [1]);
  t.same([...only.keyedFirst], [0]);
  t.same([...only.keyedPseudonyms.subarray(0, 32)], new Array(32).fill(2));
  t.same(only.unkeyedClusters.map((x) => [...x]), [[2]]);
  t.same(only.unkeyedRows.map((x) => [...x]), [[12]]);
});

t.test('property: sparse person ids (far above the records, as after many projects) give the same continuity as dense ones', async (t) => {
  // Ids up to 6 per 30 records are made dense by a table; times 10^9 by a sort (dense-persons.ts).
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined })), { minLength: 1, maxLength: 30 }), (records) => {
    const clusters = records.map(([c]) => c);
    const used = [...new Set(clusters)].sort((a, b) => a - b);
    const result = resultOf([records.length], clusters.map((c) => used.indexOf(c)));
    const SCALE = 1e9;
    const dense = personContinuity({ result, prior: Float64Array.from(records, ([, p]) => p ?? Number.NaN), newSources: [false], fields: [], deliveries: ['d'] });
    const sparse = personContinuity({ result, prior: Float64Array.from(records, ([, p]) => (p === undefined ? Number.NaN : p * SCALE)), newSources: [false], fields: [], deliveries: ['d'] });
    return [...sparse.kept].map((x) => x / SCALE).join() === [...dense.kept].join() && sparse.fresh.join() === dense.fresh.join()
      && JSON.stringify(sparse.splits.map((x) => ({ ...x, person: x.person / SCALE }))) === JSON.stringify(dense.splits)
      && JSON.stringify(sparse.merges.map((m) => m.persons.map((p) => p / SCALE))) === JSON.stringify(dense.merges.map((m) => m.persons));
  }), { numRuns: 300 });
  t.pass('300 random cases');
});
