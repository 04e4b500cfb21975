/**
 * `npm run bench -- turnaround --people N` (issue 9): one quarter of three suppliers about N
 * people, from the first upload byte to the last download byte, through the HTTP API of a real
 * `koppel serve` child process on 127.0.0.1 (fresh temp data dir and key; tokens made with the
 * store API before it starts).
 *
 * Steps, each timed: register the three datasets and a project; upload the three CSV extracts
 * in parallel (streamed from disk, never read whole); start the linkage job and poll it; build
 * the release (operator:olivia); approve it (operator:omar: four-eyes); download every file
 * as Arrow as researcher:an, checking each against the manifest's sha256. Throughout, the
 * server's VmRSS is sampled every 250 ms and `GET /health` is sent every 100 ms (p50, p99, max,
 * failures); VmHWM is read at the end. Then the job's clusters.arrow is scored against the
 * generator's truth (turnaround-f1.ts). Data: turnaround-data.ts (5% of national numbers
 * missing, 2% of names mistyped, ~99% of people in each extract).
 *
 * One run, not the harness's median of five: at national scale one run takes a quarter of an
 * hour. The reference (issue 9, before it) at 2M people: 92 s end to end (upload 17 s, job 43 s,
 * release 26 s, download 6 s), server peak memory 3.35 GB; at --people 2000000 it is the peer.
 * A step that fails makes the run fail (non-zero exit) naming the step, the server's error
 * code and its memory so far. The client holds only the truth (4 bytes per row) and, for F1,
 * 8 bytes per record after the server has stopped.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compared, type BenchOptions, type BenchResult, type Benchmark } from './harness.js';
import { SUPPLIERS, writeExtract, type Extract } from './turnaround-data.js';
import { clustersQuality, type LinkQuality } from './turnaround-f1.js';
import { STEPS, prepareHome, runFlow, type Flow, type Step } from './turnaround-flow.js';
import {
  buildCli, closeClient, probeHealth, sampleMemory, startServe, type CliMode, type HealthFigures, type ServeProcess,
} from './turnaround-server.js';

const NAME = 'turnaround';
const DEFAULT_PEOPLE = 2_000_000;
const SEED = 20_261_207;
/** The job numbers a delivery's rows from 1 (the first data line after the header). */
const FIRST_ROW = 1;

export interface TurnaroundRun {
  readonly people: number;
  readonly rows: readonly number[];
  readonly csvBytes: number;
  readonly generateSeconds: number;
  /** Seconds per step, in order; a step that did not run is absent. */
  readonly seconds: Partial<Record<Step, number>>;
  /** First upload byte to last download byte. */
  readonly endToEndSeconds: number;
  /** Load-shedding answers (503/429) waited out and retried during the flow. */
  readonly retries: { readonly count: number; readonly waitedSeconds: number };
  readonly peakRss: number;
  readonly hwm: number;
  readonly health: HealthFigures;
  readonly downloadedBytes: number;
  readonly quality: LinkQuality;
}

export interface TurnaroundOptions {
  readonly people: number;
  readonly seed?: number;
  /** A directory of the caller's (a test's); default a fresh temp dir, removed afterwards. */
  readonly dir?: string;
  readonly log?: (message: string) => void;
  /** The compiled CLI, built first (default), or the sources through tsx (a quick test). */
  readonly cli?: CliMode;
}

/**
 * Waits until `GET /health` answers 200 five times in a row, 100 ms apart (at most 60 s): a
 * server that has only just started may still shed requests (its event-loop delay includes
 * the start), and the turnaround measures the flow, not the start.
 */
async function settled(base: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (let ok = 0; ok < 5 && performance.now() < deadline;) {
    const status = await fetch(`${base}/health`).then((r) => r.status, () => 0);
    ok = status === 200 ? ok + 1 : 0;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the turnaround once for `options.people` people; throws, naming the failed step, on any failure. */
export async function runTurnaround(options: TurnaroundOptions): Promise<TurnaroundRun> {
  const log = options.log ?? (() => {});
  const root = options.dir ?? mkdtempSync(join(tmpdir(), 'koppel-bench-turnaround-'));
  const dataDir = join(root, 'data'); const keysDir = join(root, 'keys'); const csvDir = join(root, 'csv');
  mkdirSync(csvDir, { recursive: true });
  let server: ServeProcess | null = null;
  try {
    const tokens = prepareHome(dataDir, keysDir);
    const population = { people: options.people, seed: options.seed ?? SEED };
    const g0 = performance.now();
    const extracts: Extract[] = [];
    for (let s = 0; s < SUPPLIERS.length; s++) extracts.push(await writeExtract(population, s, csvDir));
    const generateSeconds = (performance.now() - g0) / 1000;
    log(`generated ${extracts.map((x) => x.rows).join(' + ')} rows in ${generateSeconds.toFixed(1)} s`);
    const cli = options.cli ?? 'built';
    if (cli === 'built') {
      const b0 = performance.now();
      await buildCli();
      log(`built the CLI in ${((performance.now() - b0) / 1000).toFixed(1)} s`);
    }
    server = await startServe(dataDir, keysDir, cli);
    await settled(server.base);
    const memory = sampleMemory(server.pid);
    const health = probeHealth(server.base);
    const flow: Flow = { server, tokens, extracts, seconds: {}, windows: {}, retries: { count: 0, waitedSeconds: 0 }, log };
    const t0 = performance.now();
    let outcome: Awaited<ReturnType<typeof runFlow>>;
    try {
      outcome = await runFlow(flow);
    } catch (err) {
      const mem = memory.stop();
      await health.stop();
      const step = (err as { step?: string }).step ?? 'unknown';
      const done = Object.entries(flow.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ');
      const tail = server.output().trimEnd().split('\n').slice(-8).map((l) => `    ${l.slice(0, 400)}`).join('\n');
      throw new Error(`turnaround: step ${step} failed: ${(err as Error).message}\n  steps timed: ${done}; ${flow.retries.count} load-shedding answers retried\n  server VmRSS peak ${gb(mem.peakRss)} GB, VmHWM ${gb(mem.hwm)} GB\n  server log tail:\n${tail}`);
    }
    const endToEndSeconds = (performance.now() - t0) / 1000;
    const healthFigures = await health.stop(flow.windows);
    const mem = memory.stop();
    await server.stop();
    server = null;
    const quality = await clustersQuality(join(dataDir, 'jobs', outcome.jobId, 'clusters.arrow'),
      extracts.map((x, s) => ({ id: outcome.deliveryIds[s], truth: x.truth })), options.people, FIRST_ROW);
    return {
      people: options.people, rows: extracts.map((x) => x.rows), csvBytes: extracts.reduce((a, x) => a + x.bytes, 0), generateSeconds,
      seconds: flow.seconds, endToEndSeconds, retries: flow.retries, peakRss: mem.peakRss, hwm: mem.hwm, health: healthFigures, downloadedBytes: outcome.downloadedBytes, quality,
    };
  } finally {
    await server?.stop();
    closeClient();
    if (options.dir === undefined) rmSync(root, { recursive: true, force: true });
  }
}

const gb = (bytes: number): string => (bytes / 1024 ** 3).toFixed(2);

/** Issue 9's figures at 2M people per supplier, before it: the peer at that size. */
const REFERENCE_2M = { upload: 17, job: 43, release: 26, download: 6, endToEnd: 92, peakGb: 3.35 };
const REFERENCE = 'issue 9 reference, 2M per supplier';

export function turnaroundResults(run: TurnaroundRun): BenchResult[] {
  const ref = run.people === 2_000_000;
  const peer = (value: number) => (ref ? { name: REFERENCE, value } : undefined);
  const step = (s: Step, what: string, refValue?: number) => compared(NAME, `${s}: ${what}`, 's', run.seconds[s] ?? Number.NaN, refValue === undefined ? undefined : peer(refValue));
  const q = run.quality;
  return [
    compared(NAME, `generate ${run.people} people's extracts, ${run.rows.join(' + ')} rows, ${(run.csvBytes / 1e6).toFixed(0)} MB of CSV (not timed in the flow)`, 's', run.generateSeconds),
    step('register', 'three datasets and a project'),
    step('upload', 'three CSV extracts in parallel, streamed', REFERENCE_2M.upload),
    step('job', 'start the linkage job and poll it to its end', REFERENCE_2M.job),
    step('release', 'build the release', REFERENCE_2M.release),
    step('approve', 'second operator approves'),
    step('download', `every file as Arrow, ${(run.downloadedBytes / 1e6).toFixed(0)} MB, checked against the manifest`, REFERENCE_2M.download),
    compared(NAME, 'end to end: first upload byte to last download byte (one run)', 's', run.endToEndSeconds, peer(REFERENCE_2M.endToEnd)),
    compared(NAME, `requests answered 503/429 and retried after Retry-After (${run.retries.waitedSeconds} s waited, in the steps' times)`, 'requests', run.retries.count),
    compared(NAME, 'server peak memory (VmHWM)', 'GB', run.hwm / 1024 ** 3, peer(REFERENCE_2M.peakGb)),
    compared(NAME, 'server peak VmRSS, sampled every 250 ms', 'GB', run.peakRss / 1024 ** 3),
    compared(NAME, `GET /health p50 (${run.health.requests} requests, every 100 ms; answered ones)`, 'ms', run.health.p50),
    compared(NAME, 'GET /health p99 (answered ones)', 'ms', run.health.p99),
    compared(NAME, 'GET /health max (answered ones)', 'ms', run.health.max),
    compared(NAME, `GET /health failed (${JSON.stringify(run.health.failures)})`, 'requests', run.health.failed),
    ...STEPS.filter((s) => run.health.windows[s] !== undefined).map((s) => {
      const w = run.health.windows[s];
      return compared(NAME, `GET /health during ${s}: max (p99 ${w.p99.toFixed(0)} ms, ${w.failed} of ${w.requests} failed)`, 'ms', w.max);
    }),
    compared(NAME, `F1 of the job's clusters against the truth (${q.truePairs} true pairs)`, '', q.f1),
    compared(NAME, 'precision', '', q.precision),
    compared(NAME, 'recall', '', q.recall),
    // F1 rounds to 1 long before a national run is perfect: the counts say how far from it.
    compared(NAME, `true pairs missed (of ${q.truePairs})`, 'pairs', q.truePairs - q.truePositives),
    compared(NAME, `false pairs (of ${q.predictedPairs} predicted)`, 'pairs', q.predictedPairs - q.truePositives),
  ];
}

const bench: Benchmark = {
  name: NAME,
  description: 'one quarter of three suppliers about --people N (default 2M) through koppel serve: upload, job, release, approval, download; time, server memory, /health latency, F1',
  async run(opts: BenchOptions): Promise<BenchResult[]> {
    const log = (msg: string) => process.stderr.write(`[${NAME}] ${msg}\n`);
    const run = await runTurnaround({ people: opts.n ?? DEFAULT_PEOPLE, log });
    if (run.health.failed > 0) log(`failed health requests: ${JSON.stringify(run.health.failures)}`);
    return turnaroundResults(run);
  },
};

export default bench;
