/**
 * The upload load run behind `npm run test:load` and its short version in `npm test`
 * (test/e2e/upload-load.test.ts): `uploads` CSV deliveries, each for its own period, sent over
 * `connections` concurrent clients to a `koppel serve` child on 127.0.0.1, where
 *
 *   abortShare   of the uploads are cut off mid-body by the client, then sent again whole;
 *   twiceShare   are sent twice at the same moment (same bytes, two connections).
 *
 * Afterwards the server is stopped and its database read: an upload is lost when its period
 * has no delivery, the delivery the server acknowledged is not the one stored, or it does not
 * hold the rows sent; duplicated when a period holds more than one delivery or the two answers
 * of a twice-sent upload name different deliveries. Every acknowledged delivery must also be
 * readable through GET /v1/deliveries/{id}, and `koppel audit verify` must pass.
 *
 * 503 (event loop over its limit) and 429 answers are load shedding, not failures: the client
 * waits (at most 1 s, not the advertised Retry-After, to keep the run short) and sends again,
 * and the number of such retries is reported.
 */
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { childEnv, memoryOf, prepareServerHome, runKoppel, startServe, type ServerHome, type ServeProcess } from '../fixtures/koppel-process.js';

export interface LoadOptions {
  readonly uploads: number;
  readonly connections: number;
  readonly abortShare: number;
  readonly twiceShare: number;
  /** The whole run is abandoned (and fails) past this. */
  readonly timeoutMs: number;
  readonly seed?: number;
}

export interface LoadFigures {
  readonly uploads: number;
  readonly connections: number;
  readonly aborted: number;
  readonly sentTwice: number;
  readonly requests: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly unreadable: number;
  readonly shedRetries: number;
  readonly unexpected: readonly string[];
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly peakServerMemoryBytes: number;
  readonly wallSeconds: number;
  readonly auditVerified: boolean;
}

type Kind = 'plain' | 'aborted' | 'twice';

interface Upload {
  readonly index: number;
  readonly period: string;
  readonly body: Buffer;
  readonly rows: number;
  readonly kind: Kind;
}

interface Answer {
  readonly status: number;
  readonly id: string | null;
  readonly ms: number;
}

const DATASET = 'load_set';

/** Distinct periods: years from 1900, each as YYYY, YYYYQ1..4 and YYYY-01..12 (17 per year). */
function periodOf(i: number): string {
  const year = 1900 + Math.floor(i / 17);
  const k = i % 17;
  if (k === 0) return String(year);
  if (k <= 4) return `${year}Q${k}`;
  return `${year}-${String(k - 4).padStart(2, '0')}`;
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function plan(options: LoadOptions): Upload[] {
  const rnd = mulberry(options.seed ?? 7);
  const uploads: Upload[] = [];
  for (let i = 0; i < options.uploads; i++) {
    const rows = 20 + Math.floor(rnd() * 40);
    const r = rnd();
    const kind: Kind = r < options.abortShare ? 'aborted' : r < options.abortShare + options.twiceShare ? 'twice' : 'plain';
    uploads.push({ index: i, period: periodOf(i), body: Buffer.from(csvFor(makePeople(rows, 1000 + i))), rows, kind });
  }
  return uploads;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

class Client {
  readonly latencies: number[] = [];
  readonly unexpected: string[] = [];
  shedRetries = 0;
  requests = 0;

  constructor(private readonly base: string, private readonly token: string) {}

  private url(u: Upload): string {
    return `${this.base}/v1/datasets/${DATASET}/deliveries/${u.period}`;
  }

  /** One whole upload, sent again while the server sheds load; the final answer. */
  async put(u: Upload): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      this.requests++;
      const res = await fetch(this.url(u), { method: 'PUT', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'text/csv' }, body: u.body });
      const text = await res.text();
      const ms = performance.now() - started;
      if ((res.status === 503 || res.status === 429) && attempt < 50) {
        this.shedRetries++;
        await sleep(200 + Math.random() * 800);
        continue;
      }
      this.latencies.push(ms);
      let id: string | null = null;
      try {
        id = (JSON.parse(text) as { id?: string }).id ?? null;
      } catch {
        // not JSON: reported below through the status
      }
      if (res.status !== 200 && res.status !== 201) this.unexpected.push(`upload ${u.index} (${u.kind}): ${res.status} ${text.slice(0, 200)}`);
      return { status: res.status, id, ms };
    }
  }

  /** Sends half the body, then cuts the connection: the server must keep nothing of it. */
  async abortMidBody(u: Upload): Promise<void> {
    const controller = new AbortController();
    const half = u.body.subarray(0, u.body.length >> 1);
    const body = Readable.toWeb(Readable.from((async function* () {
      yield half;
      await sleep(20);
      controller.abort();
      await sleep(1000); // never reached in practice: the aborted request stops pulling
    })()));
    this.requests++;
    const outcome = await fetch(this.url(u), {
      method: 'PUT', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'text/csv' }, body, signal: controller.signal, duplex: 'half',
    } as RequestInit).then((res) => `answered ${res.status}`, () => 'aborted');
    // An answer before the body ended can only be a refusal (e.g. load shed): nothing was stored.
    if (outcome !== 'aborted' && !/^answered (4|5)\d\d$/.test(outcome)) this.unexpected.push(`upload ${u.index}: the cut-off body was ${outcome}`);
  }
}

/** Runs the load against a fresh server home; `log` receives progress lines. */
export async function runUploadLoad(options: LoadOptions, log: (line: string) => void = () => {}): Promise<LoadFigures> {
  const cleanups: (() => unknown)[] = [];
  const home: ServerHome = prepareServerHome({ teardown: (fn) => cleanups.push(fn) }, 'koppel-load-');
  let server: ServeProcess | null = null;
  try {
    server = await startServe({ dataDir: home.dataDir, keysDir: home.keysDir, env: { KOPPEL_LOG_LEVEL: 'warn' } });
    let registered: Response;
    // A server just started may still shed load (503) while its event loop settles.
    for (let attempt = 0; ; attempt++) {
      registered = await fetch(`${server.base}/v1/datasets`, {
        method: 'POST', headers: { authorization: `Bearer ${home.operator}`, 'content-type': 'application/json' }, body: JSON.stringify(testDatasetSchema(DATASET, 'vdab')),
      });
      if (registered.status !== 503 || attempt >= 40) break;
      await sleep(250);
    }
    if (registered.status !== 201) throw new Error(`registering the dataset answered ${registered.status}`);
    return await drive(server, home, options, log);
  } finally {
    await server?.kill();
    for (const fn of cleanups.reverse()) await fn();
  }
}

async function drive(server: ServeProcess, home: ServerHome, options: LoadOptions, log: (line: string) => void): Promise<LoadFigures> {
  const uploads = plan(options);
  const client = new Client(server.base, home.supplier);
  const acknowledged = new Map<number, string>();
  const twiceIds: [number, string | null, string | null][] = [];
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, memoryOf(server.pid)?.hwm ?? 0); }, 250);
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  let next = 0;
  const worker = async () => {
    while (next < uploads.length) {
      if (performance.now() > deadline) throw new Error(`the load run took longer than ${options.timeoutMs} ms`);
      const u = uploads[next++];
      if (u.kind === 'aborted') await client.abortMidBody(u);
      if (u.kind === 'twice') {
        const [a, b] = await Promise.all([client.put(u), client.put(u)]);
        twiceIds.push([u.index, a.id, b.id]);
        if (a.id !== null) acknowledged.set(u.index, a.id);
      } else {
        const answer = await client.put(u);
        if (answer.id !== null && (answer.status === 200 || answer.status === 201)) acknowledged.set(u.index, answer.id);
      }
      if ((u.index + 1) % 100 === 0) log(`${u.index + 1} of ${uploads.length} uploads sent`);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, worker));
  } finally {
    clearInterval(sampler);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, memoryOf(server.pid)?.hwm ?? 0);

  let unreadable = 0;
  for (const [index, id] of acknowledged) {
    let res: Response;
    for (let attempt = 0; ; attempt++) {
      res = await fetch(`${server.base}/v1/deliveries/${id}`, { headers: { authorization: `Bearer ${home.operator}` } });
      if ((res.status !== 503 && res.status !== 429) || attempt >= 40) break;
      await res.body?.cancel();
      await sleep(250);
    }
    const body = (await res.json()) as { rows_kept?: number };
    if (res.status !== 200 || body.rows_kept !== uploads[index].rows) unreadable++;
  }
  await server.stop();

  const db = new Database(path.join(home.dataDir, 'koppel.db'), { readonly: true });
  const rows = db.prepare('SELECT id, period, rows_kept FROM deliveries WHERE dataset = ?').all(DATASET) as { id: string; period: string; rows_kept: number }[];
  db.close();
  const byPeriod = new Map<string, { id: string; rows_kept: number }[]>();
  for (const r of rows) byPeriod.set(r.period, [...(byPeriod.get(r.period) ?? []), r]);
  let lost = 0;
  let duplicated = 0;
  for (const u of uploads) {
    const stored = byPeriod.get(u.period) ?? [];
    if (stored.length > 1) duplicated += stored.length - 1;
    const ack = acknowledged.get(u.index);
    if (stored.length === 0 || ack === undefined || !stored.some((s) => s.id === ack && s.rows_kept === u.rows)) lost++;
  }
  for (const [, a, b] of twiceIds) if (a !== b) duplicated++;
  const verify = await runKoppel(['audit', 'verify'], { env: childEnv({ KOPPEL_DATA_DIR: home.dataDir, KOPPEL_KEYS_DIR: home.keysDir }), timeoutMs: 120_000 });
  const sorted = client.latencies.slice().sort((x, y) => x - y);
  return {
    uploads: uploads.length,
    connections: options.connections,
    aborted: uploads.filter((u) => u.kind === 'aborted').length,
    sentTwice: uploads.filter((u) => u.kind === 'twice').length,
    requests: client.requests,
    lost,
    duplicated,
    unreadable,
    shedRetries: client.shedRetries,
    unexpected: client.unexpected,
    latencyMs: { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted[sorted.length - 1] ?? 0) },
    peakServerMemoryBytes: peak,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    auditVerified: verify.code === 0,
  };
}

export function describeLoad(f: LoadFigures): string {
  return [
    `uploads ${f.uploads} over ${f.connections} connections (${f.aborted} cut off mid-body and sent again, ${f.sentTwice} sent twice at once; ${f.requests} requests)`,
    `lost ${f.lost}, duplicated ${f.duplicated}, unreadable ${f.unreadable}, unexpected answers ${f.unexpected.length}, load-shed retries ${f.shedRetries}`,
    `latency p50 ${f.latencyMs.p50} ms, p99 ${f.latencyMs.p99} ms, max ${f.latencyMs.max} ms; wall ${f.wallSeconds} s`,
    `peak server memory (VmHWM) ${(f.peakServerMemoryBytes / 2 ** 20).toFixed(0)} MiB; audit verify ${f.auditVerified ? 'ok' : 'FAILED'}`,
    `machine: ${os.cpus().length} cpus, load average ${os.loadavg()[0].toFixed(1)}, node ${process.version}`,
  ].join('\n');
}

export function loadPassed(f: LoadFigures): boolean {
  return f.lost === 0 && f.duplicated === 0 && f.unreadable === 0 && f.unexpected.length === 0 && f.auditVerified;
}
