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
