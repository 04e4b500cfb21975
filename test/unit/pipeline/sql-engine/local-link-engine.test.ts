/**
 * `koppel link` with the job's `engine` setting: the duckdb engine writes the same links.csv and
 * clusters.csv as the in-process engine; an unknown engine is refused with the job's other
 * problems.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runLocalLink } from '../../../../src/pipeline/local-link.js';
import { readJobFile } from '../../../../src/pipeline/job-file.js';
import { belgianCsv, generateBelgian, BELGIAN_JOB_FIELDS } from '../../../../benchmarks/data/belgian.js';

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 0xff);

let duckdb = true;
try {
  await import('@duckdb/node-api');
} catch {
  duckdb = false;
  t.comment('@duckdb/node-api cannot load here: the duckdb engine runs are skipped.');
}

function setUp(t: { teardown: (f: () => void) => void }): { dir: string; job: (engine?: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'koppel-engine-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = generateBelgian({ people: 500, seed: 9 });
  for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
  const sources = data.sources.map((s) => ({ name: s.name, path: `${s.name}.csv`, id: 'record_id' }));
  return {
    dir,
    job: (engine) => {
      const file = join(dir, `job-${engine ?? 'default'}.json`);
      writeFileSync(file, JSON.stringify({ sources, fields: BELGIAN_JOB_FIELDS, ...(engine === undefined ? {} : { engine }) }));
      return file;
    },
  };
}

async function outputs(config: string, outDir: string): Promise<string> {
  await runLocalLink({ config, outDir, masterKey: MASTER, workers: 0 });
  return createHash('sha256').update(readFileSync(join(outDir, 'links.csv'))).update(readFileSync(join(outDir, 'clusters.csv'))).digest('hex');
}

t.test('a job on the duckdb engine writes the links and clusters the in-process engine writes', { skip: duckdb ? false : '@duckdb/node-api cannot load' }, async (t) => {
  const { dir, job } = setUp(t);
  const inProcess = await outputs(job(), join(dir, 'in-process'));
  t.equal(await outputs(job('duckdb'), join(dir, 'duckdb')), inProcess);
});

t.test('a job names its engine, in-process by default; another name is refused', async (t) => {
  const { job } = setUp(t);
  t.equal(readJobFile(job()).engine, 'in-process');
  t.equal(readJobFile(job('duckdb')).engine, 'duckdb');
  t.throws(() => readJobFile(job('spark')), { code: 'KOPPEL_ERR_LINK_BAD_JOB', message: /"engine" must be one of in-process, duckdb/ });
});
