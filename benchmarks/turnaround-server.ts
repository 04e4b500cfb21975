/**
 * The server under test for the turnaround benchmark: `koppel serve` as a child process (the
 * compiled CLI, bin/koppel.js, built first by `buildCli`; or through tsx over src/cli/entry.ts,
 * which a quick test uses to skip the build), its memory sampled from /proc, and
 * a `GET /health` probe on a fixed 100 ms schedule in a worker thread of the client, so that a
 * busy client (streaming uploads, hashing downloads) does not show as a slow server.
 *
 * HTTP calls go through node:http with a keep-alive agent and no client timeouts: at national
 * scale a release build answers after minutes, past fetch's default 300 s header timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

const ENTRY = fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/koppel.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const LISTENING = /koppel listening on (http:\/\/[^\s]+)/;
const KEEP_OUTPUT = 64 * 1024;

/** A failed step's answer: the server's status, coded error and Retry-After (seconds), if any. */
export class StepError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterS: number | null = null) {
    super(`${status} ${code}: ${message}`);
  }
}

function stepError(res: http.IncomingMessage, text: string): StepError {
  let err: { code?: string; message?: string } = {};
  try { err = JSON.parse(text) as typeof err; } catch { /* not JSON: the text is the message */ }
  const retryAfter = Number(res.headers['retry-after']);
  return new StepError(res.statusCode ?? 0, err.code ?? 'UNKNOWN', err.message ?? text.slice(0, 200), Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null);
}

export interface ServeProcess {
  readonly pid: number;
  readonly base: string;
  /** The last 64 KiB the server printed (its log lines): for a failure report. */
  output(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

/** How to run the CLI: `built` is what an operator runs; `tsx` transpiles as modules load. */
export type CliMode = 'built' | 'tsx';

/** `npm run build` (tsc -p tsconfig.build.json into dist/), so the benchmark never runs a stale dist/. */
export function buildCli(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
    const proc = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (${code}):\n${out.slice(-4000)}`))));
  });
}

/** Starts `koppel serve --port 0` on 127.0.0.1 over `dataDir` and `keysDir`; resolves once it listens. */
export function startServe(dataDir: string, keysDir: string, mode: CliMode): Promise<ServeProcess> {
  // The caller's KOPPEL_* settings pass through (a larger run may need KOPPEL_MAX_UPLOAD_BYTES);
  // the data and keys dirs are always this run's own.
  const env = { KOPPEL_LOG_LEVEL: 'warn', ...process.env, KOPPEL_DATA_DIR: dataDir, KOPPEL_KEYS_DIR: keysDir };
  const cli = mode === 'built' ? [BIN] : ['--import', 'tsx', ENTRY];
  // KOPPEL_BENCH_CPU_PROFILE=<dir>: V8 CPU profiles of the server and each of its worker threads
  // (written as each exits), for finding where a step's time goes (NODE_OPTIONS refuses --cpu-prof).
  const profileDir = process.env.KOPPEL_BENCH_CPU_PROFILE;
  const profile = profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const proc: ChildProcess = spawn(process.execPath, [...profile, ...cli, 'serve', '--port', '0', '--host', '127.0.0.1'],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: string) => { out = (out + d).slice(-KEEP_OUTPUT); };
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`koppel serve did not start in 60 s:\n${out}`)); }, 60_000);
    proc.stderr!.setEncoding('utf8').on('data', keep);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      keep(d);
      const match = started ? null : LISTENING.exec(out);
      if (match === null) return;
      started = true;
      clearTimeout(timer);
      resolve({
        pid: proc.pid!, base: match[1], output: () => out,
        stop: async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill('SIGTERM');
          const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
    void exited.then(() => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`koppel serve exited before listening:\n${out}`));
    });
  });
}

/** VmRSS and VmHWM of a process in bytes (Linux /proc), or null once it is gone. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Samples a process's VmRSS every `everyMs`; `stop()` returns the peak sample and the last VmHWM. */
export function sampleMemory(pid: number, everyMs = 250) {
  let peakRss = 0; let hwm = 0;
  const take = () => {
    const m = memoryOf(pid);
    if (m !== null) { peakRss = Math.max(peakRss, m.rss); hwm = Math.max(hwm, m.hwm); }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    /** The peak so far (a failure report names the memory at the time). */
    now: () => { take(); return { peakRss, hwm }; },
    stop: () => { clearInterval(timer); take(); return { peakRss, hwm }; },
  };
}

// Per request: when it was due (epoch ms, comparable across threads through timeOrigin) and
// its latency from then, NaN for a failure (an error, or any answer but 200).
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const dues = [];
const latencies = [];
const failures = {};
let stopped = false;
let sent = 0;
let done = 0;
const start = performance.now();
function probe(i, due) {
  dues[i] = performance.timeOrigin + due;
  const fail = (what) => { latencies[i] = NaN; failures[what] = (failures[what] || 0) + 1; done++; };
  const req = http.get(workerData.url, { agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode !== 200) fail('HTTP ' + res.statusCode);
      else { latencies[i] = Math.max(0, performance.now() - due); done++; }
    });
  });
  req.on('error', (err) => fail(err.code));
}
function tick() {
  if (stopped) return;
  probe(sent, start + sent * workerData.everyMs);
  sent++;
  setTimeout(tick, Math.max(0, start + sent * workerData.everyMs - performance.now()));
}
parentPort.on('message', () => {
  stopped = true;
  const deadline = performance.now() + 30000;
  const wait = () => (done >= sent || performance.now() > deadline
    ? parentPort.postMessage({ dues: Float64Array.from(dues), latencies: Float64Array.from(latencies, (x) => (x === undefined ? NaN : x)), failures })
    : setTimeout(wait, 10));
  wait();
});
tick();
`;

/** Latency figures of the answered probes (ms) and the count of failed ones, over a time window. */
export interface HealthWindow { readonly p50: number; readonly p99: number; readonly max: number; readonly requests: number; readonly failed: number }
export interface HealthFigures extends HealthWindow {
  readonly failures: Record<string, number>;
  /** The same figures for the probes due within each named window (e.g. a step). */
  readonly windows: Record<string, HealthWindow>;
}

/** Epoch milliseconds on a clock that the probe thread shares (performance.timeOrigin based). */
export const epochMs = (): number => performance.timeOrigin + performance.now();

function summarise(latencies: Float64Array): HealthWindow {
  const answered = latencies.filter((x) => !Number.isNaN(x)).sort();
  const at = (q: number) => (answered.length === 0 ? 0 : answered[Math.min(answered.length - 1, Math.max(0, Math.ceil(q * answered.length) - 1))]);
  return { p50: at(0.5), p99: at(0.99), max: answered.length === 0 ? 0 : answered[answered.length - 1], requests: latencies.length, failed: latencies.length - answered.length };
}

/**
 * `GET /health` every `everyMs` from a worker thread; latency counts from when a request was
 * due, so a stalled server shows as slow answers. Failed requests (an error, a 503) are not in
 * the percentiles: they are counted, by reason, on their own.
 */
export function probeHealth(base: string, everyMs = 100) {
  const worker = new Worker(PROBE, { eval: true, workerData: { url: `${base}/health`, everyMs } });
  return {
    /** Stops probing; `windows` are [from, to) in `epochMs()` time. */
    async stop(windows: Readonly<Record<string, readonly [number, number]>> = {}): Promise<HealthFigures> {
      const got = await new Promise<{ dues: Float64Array; latencies: Float64Array; failures: Record<string, number> }>((resolve) => {
        worker.once('message', resolve);
        worker.postMessage('stop');
      });
      await worker.terminate();
      const within = Object.fromEntries(Object.entries(windows).map(([name, [from, to]]) =>
        [name, summarise(got.latencies.filter((_, i) => got.dues[i] >= from && got.dues[i] < to))]));
      return { ...summarise(got.latencies), failures: got.failures, windows: within };
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One API call; a JSON answer is parsed, an error answer becomes a StepError with the server's code. */
export function call<T>(base: string, token: string, method: string, path: string, body?: { json: unknown } | { stream: Readable; type: string }): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'json' in body ? 'application/json' : body.type;
    const req = http.request(new URL(path, base), { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status >= 400) reject(stepError(res, text));
        else resolve({ status, body: ((res.headers['content-type'] ?? '').includes('json') && text !== '' ? JSON.parse(text) : text) as T });
      });
    });
    // A server that refuses an upload early (413) answers and closes while the body is still
    // being sent: the write then fails too. Give the answer a moment to win, so the failure
    // names the server's code rather than EPIPE.
    req.on('error', (err) => setTimeout(() => reject(err), 1000));
    if (body === undefined) req.end();
    else if ('json' in body) req.end(JSON.stringify(body.json));
    else {
      body.stream.on('error', (err) => req.destroy(err));
      body.stream.pipe(req);
    }
  });
}

/** Downloads `path` without holding it: returns its byte count and sha256. */
export function download(base: string, token: string, path: string): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { headers: { authorization: `Bearer ${token}` }, agent }, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(stepError(res, Buffer.concat(chunks).toString('utf8'))));
        return;
      }
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => { hash.update(c); bytes += c.length; });
      res.on('error', reject);
      res.on('end', () => (res.complete ? resolve({ bytes, sha256: hash.digest('hex') }) : reject(new Error(`${path}: the transfer was cut after ${bytes} bytes`))));
    });
    req.on('error', reject);
  });
}

/** Closes the client's idle keep-alive sockets (so a test's process can end). */
export function closeClient(): void {
  agent.destroy();
}
