import t from 'tap';
import { join } from 'node:path';
import { writeNationalIdCsvs } from '../../../benchmarks/data/national-id-csv.js';
import { readJobFile } from '../../../src/pipeline/job-file.js';
import { SourceWorkers } from '../../../src/pipeline/local-source-workers.js';
import { writeFileSync } from 'node:fs';

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => i + 7);

t.test('a worker that runs out of memory fails the load with a coded error; the process lives on and the pool starts a fresh worker', async (t) => {
  const dir = t.testdir();
  writeNationalIdCsvs({ rows: 400_000, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 4 });
  const config = join(dir, 'job.json');
  // A code field with a distinct value per row: its dictionary holds a string per row, on the heap.
  writeFileSync(config, JSON.stringify({
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id', columns: { code: 'record_id' } }, { name: 'b', path: 'b.csv', id: 'record_id', columns: { code: 'record_id' } }],
    fields: [{ name: 'insz', type: 'national_id' }, { name: 'code', type: 'code' }],
  }));
  const job = readJobFile(config);
  const specs = job.fields.map((f) => ({ name: f.name, type: f.type }));
  const pool = new SourceWorkers(1, { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
  try {
    await t.rejects(pool.load(job.sources[1], job.fields, specs, MASTER), { code: 'KOPPEL_ERR_LINK_WORKER_FAILED', details: { kind: 'ERR_WORKER_OUT_OF_MEMORY' } });
    // The same limit again: the fresh worker runs out too, and says so the same way.
    await t.rejects(pool.load(job.sources[0], job.fields, specs, MASTER), { code: 'KOPPEL_ERR_LINK_WORKER_FAILED' }, 'the pool goes on with a fresh worker');
  } finally {
    await pool.close();
  }
});

t.test('a worker reads and encodes a source as this thread would', async (t) => {
  const dir = t.testdir();
  writeNationalIdCsvs({ rows: 2000, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 5 });
  const config = join(dir, 'job.json');
  writeFileSync(config, JSON.stringify({
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id' }, { name: 'b', path: 'b.csv', id: 'record_id' }],
    fields: [{ name: 'insz', type: 'national_id' }],
  }));
  const job = readJobFile(config);
  const pool = new SourceWorkers(1);
  try {
    const got = await pool.load(job.sources[0], job.fields, [{ name: 'insz', type: 'national_id' }], MASTER);
    t.equal(got.encoded.size, 2000);
    t.equal(got.ids.length, 2000);
    t.equal(got.format, 'csv');
    t.equal(got.encoded.pseudonyms?.length, 2000 * 32);
  } finally {
    await pool.close();
  }
});
