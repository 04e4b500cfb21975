/**
 * Deterministic linkage join: n x n linkage pseudonyms (default 2,000,000 each, 80% of the
 * right rows matching a left row), every matched (left row, right row) pair materialised.
 *
 * Competitors, timed round-robin in one process (see `timeAsyncMediansInterleaved` in harness.ts):
 * - koppel: the join the product runs, the first two stages of `linkRecords` on two sources
 *   whose only field is the national number: `linkFrame` (its national_id index groups equal
 *   32-byte pseudonyms over both sources, radix-partitioned: src/link/pseudonym-groups.ts) and
 *   `linkDeterministic` (src/link/deterministic.ts: each group's records linked under the
 *   one-record-per-person rule of unique sources), output the pair list of the two sources (two
 *   Int32Arrays of row indices). Everything from the raw 32-byte columns on is timed; the
 *   sources are wrapped once, untimed.
 * - DuckDB, 2 threads (`SET threads=2`), on the same keys loaded once, untimed, as tables
 *   `(i INTEGER, k0 BIGINT, k1 BIGINT, k2 BIGINT, k3 BIGINT)`: the 32 bytes as four
 *   little-endian 64-bit words. Loading goes through `DuckDBDataChunk`s of 2048 rows and the
 *   appender; that beat appending one BLOB per row by 2x on load (0.5 s vs 1.0 s per 2M rows)
 *   and joins ~15% faster than BLOB keys, and it is the strongest fair form: like Koppel, DuckDB
 *   then compares all 32 bytes. The timed statement materialises the pairs inside DuckDB:
 *   `CREATE TEMP TABLE pairs_<form> AS SELECT a.i AS l, b.i AS r FROM a JOIN b ON <keys>`
 *   (the previous run's table is dropped untimed). Two forms:
 *     - "full 32-byte key": equality on k0..k3 (like for like);
 *     - "8-byte prefix": equality on k0 only, the 64-bit-prefix join of the reference
 *       figures (no confirmation on the other 24 bytes, so a little less work than Koppel does).
 * - map: a JS `Map` from the hex string of each left pseudonym to its row, probed with the hex
 *   of each right pseudonym (hex conversion timed: it is part of that approach). It handles
 *   unique left keys only, which is all this data has. It costs ~2 s per million rows per side, so
 *   above MAP_MAX_N it runs, with koppel beside it, at MAP_MAX_N only (the metric names that n).
 *
 * Koppel does more than a plain equi-join: it numbers the groups and checks the uniqueness rule
 * for every pair, so the comparison is of what a job pays for this step, not of hash joins alone.
 * Throughput is input rows (left + right) per second. Every competitor's pairs are checked:
 * koppel's against the generator's ground truth row by row, DuckDB's and the Map's by count and
 * by the sums of their left and right rows, which must equal koppel's.
 */
import { DuckDBDataChunk, DuckDBInstance, BIGINT, INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { linkDeterministic } from '../src/link/deterministic.js';
import { linkFrame } from '../src/link/link-frame.js';
import { linkSettings } from '../src/link/link-settings.js';
import type { EncodedSource } from '../src/pseudonymise/encoded-source.js';
import { pseudonymPair, type PseudonymPair } from './data/pseudonym-pairs.js';
import {
  compared, millionsPerSecond, timeAsyncMediansInterleaved,
  type AsyncCompetitor, type BenchOptions, type BenchResult, type Benchmark,
} from './harness.js';

const DEFAULT_N = 2_000_000;
const MATCH_SHARE = 0.8;
/** Largest n at which the Map-of-hex-strings peer runs (~4 s per round there). */
const MAP_MAX_N = 2_000_000;
/** DuckDB's STANDARD_VECTOR_SIZE: the most rows a data chunk holds. */
const CHUNK_ROWS = 2048;

/** Pairs of rows with equal pseudonyms: `left[i]` joins `right[i]`, for i < count. */
interface JoinPairs {
  readonly count: number;
  readonly left: Int32Array;
  readonly right: Int32Array;
}

/** Count and row sums of a pair list: cheap to compare with what DuckDB computes in SQL. */
interface PairSummary { count: number; leftSum: number; rightSum: number }

function summarise(pairs: JoinPairs): PairSummary {
  let leftSum = 0;
  let rightSum = 0;
  for (let i = 0; i < pairs.count; i++) {
    leftSum += pairs.left[i];
    rightSum += pairs.right[i];
  }
  return { count: pairs.count, leftSum, rightSum };
}

function checkAgainstTruth(pairs: JoinPairs, data: PseudonymPair): void {
  if (pairs.count !== data.matches) throw new Error(`join benchmark: koppel found ${pairs.count} pairs, the data has ${data.matches}`);
  for (let i = 0; i < pairs.count; i++) {
    if (data.rightOfLeft[pairs.left[i]] !== pairs.right[i]) throw new Error(`join benchmark: koppel pair ${i} is not a true match`);
  }
}

function sameSummary(who: string, got: PairSummary, want: PairSummary): void {
  if (got.count !== want.count || got.leftSum !== want.leftSum || got.rightSum !== want.rightSum) {
    throw new Error(`join benchmark: ${who} found ${got.count} pairs (row sums ${got.leftSum}/${got.rightSum}), koppel ${want.count} (${want.leftSum}/${want.rightSum})`);
  }
}

/** Appends n pseudonyms as rows (i, k0, k1, k2, k3) to `table`, one 2048-row data chunk at a time. */
async function loadKeys(con: DuckDBConnection, table: string, bytes: Uint8Array, n: number): Promise<void> {
  await con.run(`CREATE OR REPLACE TABLE ${table} (i INTEGER, k0 BIGINT, k1 BIGINT, k2 BIGINT, k3 BIGINT)`);
  const appender = await con.createAppender(table);
  const words = new BigInt64Array(bytes.buffer, bytes.byteOffset, n * 4);
  for (let start = 0; start < n; start += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, n - start);
    const ids = new Array<number>(rows);
    const k: bigint[][] = [new Array<bigint>(rows), new Array<bigint>(rows), new Array<bigint>(rows), new Array<bigint>(rows)];
    for (let r = 0; r < rows; r++) {
      ids[r] = start + r;
      const at = (start + r) * 4;
      k[0][r] = words[at];
      k[1][r] = words[at + 1];
      k[2][r] = words[at + 2];
      k[3][r] = words[at + 3];
    }
    const chunk = DuckDBDataChunk.create([INTEGER, BIGINT, BIGINT, BIGINT, BIGINT], rows);
    chunk.setColumns([ids, ...k]);
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
}

async function duckSummary(con: DuckDBConnection, table: string): Promise<PairSummary> {
  const rows = (await con.runAndReadAll(`SELECT count(*)::BIGINT, coalesce(sum(l), 0)::BIGINT, coalesce(sum(r), 0)::BIGINT FROM ${table}`)).getRows();
  const [count, leftSum, rightSum] = rows[0].map((v) => Number(v as bigint));
  return { count, leftSum, rightSum };
}

/** The Map-of-hex-strings join a developer would write first. */
function mapJoin(left: Uint8Array, right: Uint8Array, n: number): JoinPairs {
  const l = Buffer.from(left.buffer, left.byteOffset, n * 32);
  const r = Buffer.from(right.buffer, right.byteOffset, n * 32);
  const rowOf = new Map<string, number>();
  for (let i = 0; i < n; i++) rowOf.set(l.toString('hex', i * 32, i * 32 + 32), i);
  const outLeft = new Int32Array(n);
  const outRight = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const row = rowOf.get(r.toString('hex', i * 32, i * 32 + 32));
    if (row !== undefined) {
      outLeft[count] = row;
      outRight[count] = i;
      count++;
    }
  }
  return { count, left: outLeft.subarray(0, count), right: outRight.subarray(0, count) };
}

/** A source whose only field is the national number: n pseudonyms, every record holding one. */
function pseudonymSource(name: string, bytes: Uint8Array, n: number): EncodedSource {
  // Slot 0 of a national_id field is the pseudonym's first 8 bytes (encoded-source.ts).
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n * 8);
  const tokens = new Uint32Array(n * 2);
  for (let r = 0; r < n; r++) { tokens[r * 2] = words[r * 8]; tokens[r * 2 + 1] = words[r * 8 + 1]; }
  const field = {
    name: 'insz', type: 'national_id' as const, present: new Uint8Array(n).fill(1), slots: 1, tokens,
    bloomWords: 0, bloom: null, bloomPop: null, quality: { nulls: 0, invalid: 0 },
  };
  return { name, size: n, unique: true, fields: [field], pseudonyms: bytes };
}

const SETTINGS = linkSettings();

/** The product's deterministic join of two sources: the frame and deterministic stages of linkRecords. */
function koppelJoin(sources: readonly EncodedSource[]): JoinPairs {
  const det = linkDeterministic(linkFrame(sources, SETTINGS), SETTINGS);
  const list = det?.lists[0];
  if (list === undefined) return { count: 0, left: new Int32Array(0), right: new Int32Array(0) };
  return { count: list.length, left: list.a.subarray(0, list.length), right: list.b.subarray(0, list.length) };
}

const FULL_KEY = 'a.k0 = b.k0 AND a.k1 = b.k1 AND a.k2 = b.k2 AND a.k3 = b.k3';
const PREFIX = 'a.k0 = b.k0';

/** The benchmark; `mapMaxN` lowers the Map peer's cap (tests use it to reach that path cheaply). */
export function joinBenchmark(options: { mapMaxN?: number } = {}): Benchmark {
  const mapMaxN = options.mapMaxN ?? MAP_MAX_N;
  return {
    name: 'join',
    description: 'n x n pseudonym join, pairs materialised: Koppel\'s deterministic pass (frame + deterministic stages) vs DuckDB (2 threads) and a JS Map',
    async run(opts: BenchOptions): Promise<BenchResult[]> {
      const n = opts.n ?? DEFAULT_N;
      const data = pseudonymPair(n, MATCH_SHARE);
      const mapN = Math.min(n, mapMaxN);
      const out: { koppel?: JoinPairs; map?: JoinPairs } = {};
      const sources = [pseudonymSource('left', data.left, n), pseudonymSource('right', data.right, n)];
      const koppel: AsyncCompetitor = { run: () => { out.koppel = koppelJoin(sources); } };
      const map: AsyncCompetitor = { run: () => { out.map = mapJoin(data.left, data.right, n); } };

      const instance = await DuckDBInstance.create(':memory:');
      const con = await instance.connect();
      let ms: Record<'koppel' | 'full' | 'prefix', number> & { map?: number };
      let duck: Record<'full' | 'prefix', PairSummary>;
      try {
        await con.run('SET threads=2');
        await loadKeys(con, 'a', data.left, n);
        await loadKeys(con, 'b', data.right, n);
        // Each form materialises into its own table, dropped untimed before each run, so the
        // last run's pairs are still there to be checked afterwards.
        const duckJoin = (table: string, on: string): AsyncCompetitor => ({
          setup: async () => { await con.run(`DROP TABLE IF EXISTS ${table}`); },
          run: async () => { await con.run(`CREATE TEMP TABLE ${table} AS SELECT a.i AS l, b.i AS r FROM a JOIN b ON ${on}`); },
        });
        const duckdb = { full: duckJoin('pairs_full', FULL_KEY), prefix: duckJoin('pairs_prefix', PREFIX) };
        ms = mapN === n
          ? await timeAsyncMediansInterleaved({ koppel, ...duckdb, map }, opts)
          : await timeAsyncMediansInterleaved({ koppel, ...duckdb }, opts);
        duck = { full: await duckSummary(con, 'pairs_full'), prefix: await duckSummary(con, 'pairs_prefix') };
      } finally {
        con.closeSync();
        instance.closeSync();
      }
      checkAgainstTruth(out.koppel as JoinPairs, data);
      const want = summarise(out.koppel as JoinPairs);
      sameSummary('DuckDB (full key)', duck.full, want);
      sameSummary('DuckDB (prefix)', duck.prefix, want);

      const results: BenchResult[] = [];
      const report = (metric: string, rows: number, koppelMs: number, peers: readonly { name: string; ms: number }[]): void => {
        for (const p of peers) results.push(compared('join', metric, 'M rows/s', millionsPerSecond(rows, koppelMs), { name: p.name, value: millionsPerSecond(rows, p.ms) }));
        for (const p of peers) results.push(compared('join', metric, 's', koppelMs / 1000, { name: p.name, value: p.ms / 1000 }));
      };
      const peers = [
        { name: 'DuckDB 2 threads, full 32-byte key', ms: ms.full },
        { name: 'DuckDB 2 threads, 8-byte prefix', ms: ms.prefix },
      ];
      const MAP_PEER = 'JS Map of hex strings';
      if (ms.map !== undefined) {
        sameSummary(MAP_PEER, summarise(out.map as JoinPairs), want);
        report('pseudonym_join', 2 * n, ms.koppel, [...peers, { name: MAP_PEER, ms: ms.map }]);
      } else {
        report('pseudonym_join', 2 * n, ms.koppel, peers);
        // Too slow at this n: the Map and koppel again, side by side at mapMaxN.
        const small = pseudonymPair(mapN, MATCH_SHARE);
        const smallSources = [pseudonymSource('left', small.left, mapN), pseudonymSource('right', small.right, mapN)];
        const msSmall = await timeAsyncMediansInterleaved({
          koppel: { run: () => { out.koppel = koppelJoin(smallSources); } },
          map: { run: () => { out.map = mapJoin(small.left, small.right, mapN); } },
        }, opts);
        checkAgainstTruth(out.koppel as JoinPairs, small);
        sameSummary(MAP_PEER, summarise(out.map as JoinPairs), summarise(out.koppel as JoinPairs));
        report(`pseudonym_join_at_${mapN}`, 2 * mapN, msSmall.koppel, [{ name: MAP_PEER, ms: msSmall.map }]);
      }
      process.stderr.write(`join: n = ${n} per side, ${data.matches} matches; Map peer at n = ${mapN}\n`);
      return results;
    },
  };
}

export default joinBenchmark();
