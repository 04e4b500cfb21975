/**
 * `koppel link` with only a national_id field on two n-row CSVs (default 2,000,000 each), against
 * DuckDB doing the same job (issue 4 "Done when", first bullet: at most 3.0x, goal 1.0x).
 *
 * Data: `writeNationalIdCsvs` (data/national-id-csv.ts), written once into a temp dir: ~80% of
 * the people in both files, mixed spellings (the same per person in both files), ~2% faulty
 * numbers per file.
 *
 * Competitors, timed round-robin in one process (`timeAsyncMediansInterleaved`):
 * - koppel: `runLocalLink` in-process on a job file with one field `{ type: "national_id" }`:
 *   read both CSVs, validate and normalise the numbers, HMAC them, link, write links.csv,
 *   clusters.csv, report.json and report.html (fsynced). A fresh out dir per run.
 * - DuckDB, 2 threads (`SET threads=2`), the peer job exactly:
 *   `CREATE TABLE a AS SELECT record_id, sha256(insz) AS p FROM read_csv('a.csv', all_varchar=true)`
 *   (same for b), then `COPY (SELECT a.record_id AS left_id, b.record_id AS right_id FROM a JOIN
 *   b USING (p)) TO 'links.csv' (HEADER)`. Tables dropped untimed before each run.
 *
 * Checks, after timing: every Koppel link is a true link and every true link is there (the
 * generator's ground truth), DuckDB's links are the same set, and the counts are equal.
 *
 * Memory: the peak RSS of a separate `node bin/koppel.js link` process on the same job, through
 * `/usr/bin/time -v` when present, else by sampling the child's VmHWM in /proc. It needs the
 * compiled CLI: run `npm run build` first (without `dist/`, the figure is skipped with a note).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runLocalLink } from '../src/pipeline/local-link.js';
import { writeNationalIdCsvs, type NationalIdCsv } from './data/national-id-csv.js';
import { compared, timeAsyncMediansInterleaved, type BenchOptions, type BenchResult, type Benchmark } from './harness.js';

const DEFAULT_N = 2_000_000;
const NAME = 'link-national-id';
const DUCKDB_PEER = 'DuckDB 2 threads (read_csv, sha256, join, COPY)';
const MASTER = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 7) & 0xff);

/** Pairs of (a row, b row) from a links file whose ids are `A<row+1>` and `B<row+1>` (either file's layout). */
export function linkedRows(file: string, rows: number): { rightOfLeft: Int32Array; count: number } {
  const text = readFileSync(file, 'latin1');
  const rightOfLeft = new Int32Array(rows).fill(-1);
  let count = 0;
  let line = text.indexOf('\n') + 1; // past the header
  while (line < text.length) {
    const end = text.indexOf('\n', line);
    const stop = end < 0 ? text.length : end;
    const a = text.indexOf('A', line);
    const b = text.indexOf('B', line);
    if (a < 0 || b < 0 || a > stop || b > stop) throw new Error(`${NAME}: ${file} has a line without an A and a B id`);
    const aRow = Number.parseInt(text.slice(a + 1, stop), 10) - 1;
    const bRow = Number.parseInt(text.slice(b + 1, stop), 10) - 1;
    if (rightOfLeft[aRow] !== -1) throw new Error(`${NAME}: ${file} links row A${aRow + 1} twice`);
    rightOfLeft[aRow] = bRow;
    count++;
    line = stop + 1;
  }
  return { rightOfLeft, count };
}

/** Throws unless `got` is exactly the generator's true links. */
export function checkLinks(who: string, got: { rightOfLeft: Int32Array; count: number }, truth: NationalIdCsv): void {
  if (got.count !== truth.links) throw new Error(`${NAME}: ${who} found ${got.count} links, the data has ${truth.links}`);
  for (let r = 0; r < truth.rows; r++) {
    if (got.rightOfLeft[r] !== truth.rightOfLeft[r]) throw new Error(`${NAME}: ${who} links row A${r + 1} wrongly`);
  }
}

/** Peak RSS in MB of `node bin/koppel.js link` on the job, or null with the reason. */
async function childPeakRss(config: string, outDir: string): Promise<{ mb: number | null; note: string }> {
  const bin = join(process.cwd(), 'bin', 'koppel.js');
  if (!existsSync(join(process.cwd(), 'dist', 'cli', 'link-command.js'))) return { mb: null, note: 'dist/ not built: run `npm run build` for the peak RSS' };
  const args = [bin, 'link', '--config', config, '--out', outDir];
  const viaTime = existsSync('/usr/bin/time');
  const child = viaTime
    ? spawn('/usr/bin/time', ['-v', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  let sampled = 0;
  const timer = viaTime ? null : setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m !== null) sampled = Math.max(sampled, Number(m[1]));
    } catch { /* exited */ }
  }, 20);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (timer !== null) clearInterval(timer);
  if (code !== 0) throw new Error(`${NAME}: koppel link exited with ${code}: ${stderr.slice(-500)}`);
  if (viaTime) {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
    if (m === null) return { mb: null, note: '/usr/bin/time gave no peak RSS' };
    return { mb: Number(m[1]) / 1024, note: 'peak RSS by /usr/bin/time -v' };
  }
  return { mb: sampled / 1024, note: 'peak RSS sampled from /proc VmHWM every 20 ms' };
}

export function linkNationalIdBenchmark(): Benchmark {
  return {
    name: NAME,
    description: 'koppel link on two n-row CSVs with only a national_id field vs DuckDB doing the same job (2 threads)',
    async run(opts: BenchOptions): Promise<BenchResult[]> {
      const n = opts.n ?? DEFAULT_N;
      const dir = mkdtempSync(join(tmpdir(), 'koppel-bench-nid-'));
      try {
        const a = join(dir, 'a.csv');
        const b = join(dir, 'b.csv');
        const truth = writeNationalIdCsvs({ rows: n, aPath: a, bPath: b });
        const config = join(dir, 'job.json');
        writeFileSync(config, JSON.stringify({
          sources: [{ name: 'a', path: 'a.csv', id: 'record_id' }, { name: 'b', path: 'b.csv', id: 'record_id' }],
          fields: [{ name: 'insz', type: 'national_id' }],
        }));
        const koppelOut = join(dir, 'koppel-out');
        const duckOut = join(dir, 'duckdb-links.csv');
        const sql = (s: string) => s.replace(/'/g, "''");

        const instance = await DuckDBInstance.create(':memory:');
        const con = await instance.connect();
        let ms: Record<'koppel' | 'duckdb', number>;
        try {
          await con.run('SET threads=2');
          ms = await timeAsyncMediansInterleaved({
            koppel: {
              setup: () => rmSync(koppelOut, { recursive: true, force: true }),
              run: async () => { await runLocalLink({ config, outDir: koppelOut, masterKey: MASTER }); },
            },
            duckdb: {
              setup: async () => { await con.run('DROP TABLE IF EXISTS a'); await con.run('DROP TABLE IF EXISTS b'); rmSync(duckOut, { force: true }); },
              run: async () => {
                await con.run(`CREATE TABLE a AS SELECT record_id, sha256(insz) AS p FROM read_csv('${sql(a)}', all_varchar=true)`);
                await con.run(`CREATE TABLE b AS SELECT record_id, sha256(insz) AS p FROM read_csv('${sql(b)}', all_varchar=true)`);
                await con.run(`COPY (SELECT a.record_id AS left_id, b.record_id AS right_id FROM a JOIN b USING (p)) TO '${sql(duckOut)}' (HEADER)`);
              },
            },
          }, opts);
        } finally {
          con.closeSync();
          instance.closeSync();
        }
        const koppelLinks = linkedRows(join(koppelOut, 'links.csv'), n);
        checkLinks('koppel', koppelLinks, truth);
        const duckLinks = linkedRows(duckOut, n);
        checkLinks('DuckDB', duckLinks, truth);

        const rss = await childPeakRss(config, join(dir, 'rss-out'));
        const results = [compared(NAME, `link_${n}x${n}`, 's', ms.koppel / 1000, { name: DUCKDB_PEER, value: ms.duckdb / 1000 })];
        if (rss.mb !== null) results.push(compared(NAME, 'koppel_link_peak_rss', 'MB', rss.mb));
        const runs = Math.max(opts.runs, 5);
        process.stderr.write(
          `${NAME}: n = ${n} per file (${(statSync(a).size / 1e6).toFixed(0)} MB each), ${truth.invalid.a + truth.invalid.b} faulty numbers; `
          + `links: koppel ${koppelLinks.count}, DuckDB ${duckLinks.count}, true ${truth.links} (every link checked against the generator); `
          + `medians of ${runs} interleaved runs after ${opts.warmup} warm-up; ${rss.note}\n`,
        );
        return results;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export default linkNationalIdBenchmark();
