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
import { createReadStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initKey, loadKeyring, openStore } from '../src/store/index.js';
import { compared, type BenchOptions, type BenchResult, type Benchmark } from './harness.js';
import { SUPPLIERS, datasetSchema, writeExtract, type Extract } from './turnaround-data.js';
import { clustersQuality, type LinkQuality } from './turnaround-f1.js';
import {
  StepError, buildCli, call, closeClient, download, probeHealth, sampleMemory, startServe, type CliMode, type HealthFigures, type ServeProcess,
} from './turnaround-server.js';

const NAME = 'turnaround';
const DEFAULT_PEOPLE = 2_000_000;
const SEED = 20_261_207;
const PERIOD = '2024Q1';
/** The job numbers a delivery's rows from 1 (the first data line after the header). */
const FIRST_ROW = 1;
const PRINCIPALS = ['operator:olivia', 'operator:omar', 'researcher:an', 'supplier:vdab', 'supplier:rsz', 'supplier:agodi'] as const;
type Principal = typeof PRINCIPALS[number];

const PROJECT = {
  title: 'Turnaround benchmark (synthetic)', purpose: 'Benchmark of one quarter end to end', legal_basis: 'none: synthetic data',
  valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
  approved: {
    vdab_jobseekers: ['birth_year', 'geslacht', 'nis_code', 'opleidingsniveau', 'werkloosheidsduur_maanden'],
    rsz_employment: ['paritair_comite', 'loon_cent'],
    agodi_diplomas: ['diploma_niveau', 'behaald_jaar'],
  },
  key_variables: ['birth_year', 'geslacht', 'nis_code'], k: 5, generalise: { birth_year: { band: 5 } },
};

export const STEPS = ['register', 'upload', 'job', 'release', 'approve', 'download'] as const;
export type Step = typeof STEPS[number];

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

/** Makes the key and one token per principal, with the store API, before the server starts. */
function prepareHome(dataDir: string, keysDir: string): Record<Principal, string> {
  initKey(keysDir);
  mkdirSync(dataDir, { recursive: true });
  const store = openStore({ dataDir, keyring: loadKeyring(keysDir) });
  try {
    const tokens = {} as Record<Principal, string>;
    for (const p of PRINCIPALS) {
      const made = store.createToken(p, 'bench');
      store.audit({ actor: 'bench', action: 'token.create', target: made.tokenId, outcome: 'ok', detail: { principal: made.principal } });
      tokens[p] = made.token;
    }
    return tokens;
  } finally {
    store.close();
  }
}

const SUPPLIER_OF: Record<string, Principal> = { vdab_jobseekers: 'supplier:vdab', rsz_employment: 'supplier:rsz', agodi_diplomas: 'supplier:agodi' };

interface Flow {
  readonly server: ServeProcess;
  readonly tokens: Record<Principal, string>;
  readonly extracts: readonly Extract[];
  readonly seconds: Partial<Record<Step, number>>;
  /** Answers 503/429 with Retry-After that were waited out and retried, and the seconds waited. */
  readonly retries: { count: number; waitedSeconds: number };
  readonly log: (message: string) => void;
}

const MAX_RETRIES = 30;

/**
 * `fn` again after the server's Retry-After while it answers 503 (overloaded) or 429 (busy), as
 * an operator's client would: such an answer is the server shedding load, not a failed step.
 * The waits stay in the step's time and are reported.
 */
async function retrying<T>(flow: Flow, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof StepError) || (err.status !== 503 && err.status !== 429) || err.retryAfterS === null || attempt >= MAX_RETRIES) throw err;
      flow.log(`${err.code}: retrying after ${err.retryAfterS} s`);
      flow.retries.count++;
      flow.retries.waitedSeconds += err.retryAfterS;
      await new Promise((r) => setTimeout(r, err.retryAfterS! * 1000));
    }
  }
}

/** A JSON API call (never an upload: its body stream cannot be sent twice), retried on load shedding. */
function api<T>(flow: Flow, who: Principal, method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
  return retrying(flow, () => call<T>(flow.server.base, flow.tokens[who], method, path, json === undefined ? undefined : { json }));
}

async function timed<T>(flow: Flow, step: Step, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } catch (err) {
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { step });
  } finally {
    (flow.seconds as Record<Step, number>)[step] = (performance.now() - t0) / 1000;
  }
}

/** The job's status until it has finished; a failed job is a StepError with its code. */
async function waitForJob(flow: Flow, id: string): Promise<void> {
  for (;;) {
    const { body } = await api<{ status: string; error?: { code?: string; message?: string } | null }>(flow, 'operator:olivia', 'GET', `/v1/jobs/${id}`);
    if (body.status === 'succeeded') return;
    if (body.status === 'failed') throw new StepError(200, body.error?.code ?? 'UNKNOWN', `job ${id} failed: ${body.error?.message ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The HTTP flow, step by step; returns the job id and the bytes downloaded. */
async function runFlow(flow: Flow): Promise<{ jobId: string; deliveryIds: string[]; downloadedBytes: number }> {
  const { base } = flow.server;
  const op = 'operator:olivia';
  const projectId = await timed(flow, 'register', async () => {
    for (const name of SUPPLIERS) await api(flow, op, 'POST', '/v1/datasets', datasetSchema(name));
    return (await api<{ id: string }>(flow, op, 'POST', '/v1/projects', PROJECT)).body.id;
  });
  const deliveryIds = await timed(flow, 'upload', () => Promise.all(flow.extracts.map(async (x) => {
    const { body } = await call<{ id: string; rows_kept: number }>(base, flow.tokens[SUPPLIER_OF[x.supplier]], 'PUT',
      `/v1/datasets/${x.supplier}/deliveries/${PERIOD}`, { stream: createReadStream(x.path, { highWaterMark: 1 << 20 }), type: 'text/csv' });
    if (body.rows_kept !== x.rows) throw new Error(`${x.supplier}: ${body.rows_kept} rows kept of ${x.rows}`);
    return body.id;
  })));
  flow.log(`uploaded in ${flow.seconds.upload!.toFixed(1)} s`);
  const jobId = await timed(flow, 'job', async () => {
    const { body } = await api<{ id: string }>(flow, op, 'POST', `/v1/projects/${projectId}/jobs`, { deliveries: deliveryIds });
    await waitForJob(flow, body.id);
    return body.id;
  });
  flow.log(`job ${jobId} in ${flow.seconds.job!.toFixed(1)} s`);
  const releaseId = await timed(flow, 'release', async () => (await api<{ id: string }>(flow, op, 'POST', `/v1/jobs/${jobId}/releases`, {})).body.id);
  flow.log(`release built in ${flow.seconds.release!.toFixed(1)} s`);
  await timed(flow, 'approve', () => api(flow, 'operator:omar', 'POST', `/v1/releases/${releaseId}/approve`));
  const downloadedBytes = await timed(flow, 'download', async () => {
    const { body } = await api<{ manifest: { files: { name: string; file?: string; sha256?: string }[] } }>(flow, 'researcher:an', 'GET', `/v1/releases/${releaseId}`);
    const got = await Promise.all(body.manifest.files.map(async (f) => {
      const file = f.file ?? `${f.name}.arrow`;
      const d = await retrying(flow, () => download(base, flow.tokens['researcher:an'], `/v1/releases/${releaseId}/files/${file}`));
      if (d.sha256 !== f.sha256) throw new Error(`${file}: the download does not match the manifest's sha256`);
      return d.bytes;
    }));
    return got.reduce((a, b) => a + b, 0);
  });
  return { jobId, deliveryIds, downloadedBytes };
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
    const memory = sampleMemory(server.pid);
    const health = probeHealth(server.base);
    const flow: Flow = { server, tokens, extracts, seconds: {}, retries: { count: 0, waitedSeconds: 0 }, log };
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
    const healthFigures = await health.stop();
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
    compared(NAME, `GET /health p50 (${run.health.requests} requests, every 100 ms)`, 'ms', run.health.p50),
    compared(NAME, 'GET /health p99', 'ms', run.health.p99),
    compared(NAME, 'GET /health max', 'ms', run.health.max),
    compared(NAME, 'GET /health failed', 'requests', run.health.failed),
    compared(NAME, `F1 of the job's clusters against the truth (${q.truePairs} true pairs)`, '', q.f1),
    compared(NAME, 'precision', '', q.precision),
    compared(NAME, 'recall', '', q.recall),
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
