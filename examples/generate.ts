/**
 * `npm run examples`: writes the synthetic example extracts, their dataset schemas and a
 * project authorisation into examples/. Seeded and deterministic: running it again gives
 * the same bytes. Every value is synthetic (see examples/README.md).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agodiDiplomas, rszEmployment, toCsv, vdabJobseekers, type Extract } from './generator/extracts.js';
import { isValidInsz } from './generator/identifiers.js';
import { makePeople } from './generator/people.js';
import { Rng } from './generator/prng.js';
import { AGODI_SCHEMA, LINK_JOB, PERIODS, PROJECT, RECORD_IDS, RSZ_SCHEMA, VDAB_SCHEMA } from './generator/specs.js';

export const SEED = 20240331;
export const POPULATION = 3000;

export interface ExampleFiles {
  /** file name -> content */
  readonly files: ReadonlyMap<string, string>;
  readonly extracts: Readonly<Record<'vdab' | 'rsz' | 'agodi', Extract>>;
}

export function generateExamples(seed = SEED): ExampleFiles {
  const rng = new Rng(seed);
  const people = makePeople(rng, POPULATION);
  // Each supplier sees its own subset, in its own row order.
  const jobseekers = rng.sample(people, 2400);
  const employed = rng.sample(people, 1500).sort((a, b) => a.index - b.index);
  const graduates = rng.sample(people, 1600);
  const extracts = {
    vdab: vdabJobseekers(rng, jobseekers),
    rsz: rszEmployment(rng, employed),
    agodi: agodiDiplomas(rng, graduates),
  };
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  const files = new Map<string, string>([
    ['vdab_jobseekers.csv', toCsv(extracts.vdab, RECORD_IDS.vdab)],
    ['rsz_employment.csv', toCsv(extracts.rsz, RECORD_IDS.rsz)],
    ['agodi_diplomas.csv', toCsv(extracts.agodi, RECORD_IDS.agodi)],
    ['vdab_jobseekers.schema.json', json(VDAB_SCHEMA)],
    ['rsz_employment.schema.json', json(RSZ_SCHEMA)],
    ['agodi_diplomas.schema.json', json(AGODI_SCHEMA)],
    ['project.json', json(PROJECT)],
    ['periods.json', json(PERIODS)],
    ['link-job.json', json(LINK_JOB)],
  ]);
  return { files, extracts };
}

/** Share of rows whose INSZ cell does not normalise to a valid number (should be ~2%). */
export function invalidInszShare(extract: Extract): number {
  let bad = 0;
  for (const row of extract.rows) {
    const digits = String(row[0]).replace(/[.\- ]/g, '').padStart(11, '0');
    if (!isValidInsz(digits, false) && !isValidInsz(digits, true)) bad++;
  }
  return bad / extract.rows.length;
}

/**
 * Share of vdab rows in a (birth year, sex, nis_code) combination of fewer than k rows, with
 * birth years grouped in bands of `band` years (1 = exact).
 */
export function shareBelowK(jobseekers: Extract, k: number, band = 1): number {
  const counts = new Map<string, number>();
  const keys = jobseekers.rows.map((r) => `${Math.floor(Number(String(r[3]).slice(0, 4)) / band)}|${r[4]}|${r[6]}`);
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return keys.filter((key) => (counts.get(key) ?? 0) < k).length / keys.length;
}

function main(): void {
  const dir = dirname(fileURLToPath(import.meta.url));
  const { files, extracts } = generateExamples();
  let total = 0;
  for (const [name, content] of files) {
    writeFileSync(join(dir, name), content);
    total += Buffer.byteLength(content);
    process.stdout.write(`${name.padEnd(30)} ${String(Buffer.byteLength(content)).padStart(8)} bytes\n`);
  }
  for (const [name, e] of Object.entries(extracts)) {
    process.stdout.write(`${name}: ${e.rows.length} rows, ${(invalidInszShare(e) * 100).toFixed(1)}% invalid or missing INSZ\n`);
  }
  for (const band of [1, 5]) {
    const risky = shareBelowK(extracts.vdab, PROJECT.k, band);
    process.stdout.write(`vdab rows in a (birth year${band > 1 ? ` in ${band}-year bands` : ''}, sex, nis_code) group below k=${PROJECT.k}: ${(risky * 100).toFixed(1)}%\n`);
  }
  process.stdout.write(`total ${total} bytes\n`);
}

// Run only as a script, so tests can import generateExamples without writing files.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
