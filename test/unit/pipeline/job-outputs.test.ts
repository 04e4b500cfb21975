import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { LinkResult } from '../../../src/link/link-records.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC } from '../../../src/link/link-method.js';
import { jobFiles, jobTables } from '../../../src/pipeline/job-outputs.js';
import { writeTableFileSync } from '../../../src/store/arrow-files.js';

t.test('job files built as bytes are exactly what the store\'s table writer writes', async (t) => {
  const n = 5;
  const result = {
    offsets: Int32Array.from([0, 3, 5]), clusters: Int32Array.from([0, 1, 2, 2, 0]), clusterCount: 3,
    links: {
      left: Int32Array.from([0, 2]), right: Int32Array.from([4, 3]), probability: Float64Array.from([1, 0.93]),
      weight: Float64Array.from([Number.NaN, 7.5]), method: Uint8Array.from([LINK_DETERMINISTIC, LINK_PROBABILISTIC]), length: 2,
    },
  } as unknown as LinkResult;
  const ids = Float64Array.from([7, 8, 9]);
  const rows = [Uint32Array.from([1, 2, 3]), Uint32Array.from([1, 2])];
  const labels = ['dlv_a', 'dlv_b'];
  const built = jobFiles(result, ids, rows, labels);
  const tables = jobTables(result, ids, rows, labels);
  const dir = t.testdir();
  for (const [i, name] of (['clusters', 'links'] as const).entries()) {
    const file = path.join(dir, `${name}.arrow`);
    const written = writeTableFileSync(file, tables[name]);
    t.same(Buffer.from(built.files[i].bytes), fs.readFileSync(file), `${name}: the same bytes`);
    t.equal(built.files[i].rows, written.rows);
  }
  t.equal(tables.clusters.numRows, n);
  t.equal(built.persons, 3);
  t.equal(built.linkedAcrossSources, 2);
});

t.test('persons and persons linked across deliveries are counted by distinct person id, whatever the clusters', async (t) => {
  const fc = (await import('fast-check')).default;
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 40 }),
    fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 40 }),
    fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 8, maxLength: 8 }),
    (deliveryOfRecord, clusterSeed, idOfCluster) => {
      const sorted = [...deliveryOfRecord].sort((a, b) => a - b);
      const n = sorted.length;
      // Cluster ids made dense (every cluster has a record, as in a job's result).
      const dense = new Map<number, number>();
      const clusters = Int32Array.from({ length: n }, (_, g) => {
        const seed = clusterSeed[g % clusterSeed.length];
        if (!dense.has(seed)) dense.set(seed, dense.size);
        return dense.get(seed)!;
      });
      const offsets = Int32Array.from([0, 1, 2, 3].map((s) => sorted.filter((d) => d < s).length));
      const result = { offsets, clusters, clusterCount: dense.size, links: { left: new Int32Array(0), right: new Int32Array(0), probability: new Float64Array(0), weight: new Float64Array(0), method: new Uint8Array(0), length: 0 } } as unknown as LinkResult;
      const ids = Float64Array.from(idOfCluster.slice(0, dense.size));
      const rows = [0, 1, 2].map((s) => Uint32Array.from({ length: offsets[s + 1] - offsets[s] }, (_, r) => r + 1));
      const got = jobTables(result, ids, rows, ['d0', 'd1', 'd2']);
      // Naive: the set of deliveries of each person id that has a record.
      const deliveriesOf = new Map<number, Set<number>>();
      for (let g = 0; g < n; g++) {
        const id = ids[clusters[g]];
        if (!deliveriesOf.has(id)) deliveriesOf.set(id, new Set());
        deliveriesOf.get(id)!.add(sorted[g]);
      }
      return got.persons === deliveriesOf.size && got.linkedAcrossSources === [...deliveriesOf.values()].filter((d) => d.size > 1).length;
    },
  ), { numRuns: 300 });
});
