/**
 * One validated configuration object: defaults, then environment, then explicit overrides
 * (CLI flags). Validated once; every problem is listed in one KOPPEL_ERR_CFG_INVALID; frozen.
 */
import os from 'node:os';
import path from 'node:path';
import { KoppelError } from './errors.js';

export interface KoppelConfig {
  readonly dataDir: string;
  readonly keysDir: string;
  readonly host: string;
  readonly port: number;
  /** Largest upload body accepted, in bytes, after decompression as well as before. */
  readonly maxUploadBytes: number;
  /** Largest JSON request body (schemas, projects, jobs). */
  readonly maxJsonBytes: number;
  /** An upload that sends nothing for this long is aborted. */
  readonly requestTimeoutMs: number;
  /**
   * Data rows one delivery may hold, counted as they arrive whatever the format: the byte limit
   * alone does not bound rows (an Arrow column of the Null type carries millions of rows in no
   * bytes). The default admits a national quarter (11.8M rows) with room.
   */
  readonly maxRowsPerDelivery: number;
  /** Bytes of one field's text and of one row's, in every format (a 100 MiB name must not stall the server). */
  readonly maxFieldBytes: number;
  readonly maxRowBytes: number;
  /** Rows per Arrow batch through ingest and pseudonymisation. */
  readonly batchRows: number;
  /** Share of rejected rows above which a whole delivery is refused. */
  readonly maxRejectedShare: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Linkage jobs that may run at once, each in its own worker thread, so the server keeps
   * answering during a job; more wait queued. 0 runs jobs on the main thread (blocking the
   * event loop for the whole linkage; for comparison and debugging).
   */
  readonly jobWorkers: number;
  /**
   * A file outside the data dir to which the server appends the audit chain's head
   * (`{"seq":N,"mac":"…","at":"…"}` per line) whenever it moved; empty for none. The head is
   * also logged. `koppel audit verify --expect-head FILE` then detects a trail cut short even by
   * someone who can rewrite the database.
   */
  readonly auditHeadFile: string;
  readonly auditHeadIntervalMs: number;
  /** Refused requests (401, 403) a client address may make per minute before it gets 429. */
  readonly refusedPerMinute: number;
  /**
   * Addresses of the TLS proxies in front of Koppel (comma-separated IPs or CIDRs), whose
   * X-Forwarded-For is trusted for the client address; empty: the socket's address is the client.
   */
  readonly trustProxy: string;
  /** Uploads held whole before they are read (Parquet, Arrow IPC file) at once; more get 429. */
  readonly maxWholeBodyUploads: number;
  /**
   * Mean event-loop delay (over a second) above which requests are answered 503 until it
   * recovers; 0 turns the check off.
   */
  readonly maxEventLoopDelayMs: number;
  /** Open connections the server accepts at once. */
  readonly maxConnections: number;
  /**
   * An http(s) URL to which the server posts each delivery that became late or overdue
   * (`{dataset, period, status, days_late}`, nothing else), with bounded retries; empty for none.
   */
  readonly timelinessWebhook: string;
  /** How often the server checks for deliveries that became late (also once at start). */
  readonly timelinessCheckIntervalMs: number;
  /**
   * Bytes a linkage run may use at its estimated peak (link/memory-estimate.ts); a run estimated
   * above it is refused before it starts. Default: the machine's memory less a reserve for the
   * server and the OS (a quarter of it, at least 1 GiB). `KOPPEL_MEMORY_BUDGET` takes bytes or a
   * number with K, M, G or T (binary units: `16G` is 16 GiB).
   */
  readonly memoryBudget: number;
}

/** The machine's memory less a quarter (at least 1 GiB) for the server, the OS and the page cache. */
function defaultMemoryBudget(): number {
  const total = os.totalmem();
  return Math.max(0, total - Math.max(2 ** 30, Math.floor(total / 4)));
}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** `17179869184`, `16G`, `16GiB`, `512M` -> bytes; NaN when it is none of these. */
function byteSize(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(String(raw));
  return m === null ? NaN : Math.floor(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

export const DEFAULT_CONFIG: KoppelConfig = Object.freeze({
  dataDir: './koppel-data',
  keysDir: './keys',
  host: '127.0.0.1',
  port: 8080,
  maxUploadBytes: 1024 * 1024 * 1024,
  maxJsonBytes: 1024 * 1024,
  maxRowsPerDelivery: 20_000_000,
  maxFieldBytes: 64 * 1024,
  maxRowBytes: 1024 * 1024,
  requestTimeoutMs: 120_000,
  batchRows: 65_536,
  maxRejectedShare: 0.5,
  logLevel: 'info',
  jobWorkers: 1,
  auditHeadFile: '',
  auditHeadIntervalMs: 60_000,
  refusedPerMinute: 60,
  trustProxy: '',
  maxWholeBodyUploads: 2,
  maxEventLoopDelayMs: 3000,
  maxConnections: 1024,
  timelinessWebhook: '',
  timelinessCheckIntervalMs: 3_600_000,
  memoryBudget: defaultMemoryBudget(),
});

const ENV: Record<string, keyof KoppelConfig> = {
  KOPPEL_DATA_DIR: 'dataDir',
  KOPPEL_KEYS_DIR: 'keysDir',
  KOPPEL_HOST: 'host',
  KOPPEL_PORT: 'port',
  KOPPEL_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  KOPPEL_MAX_ROWS_PER_DELIVERY: 'maxRowsPerDelivery',
  KOPPEL_MAX_FIELD_BYTES: 'maxFieldBytes',
  KOPPEL_MAX_ROW_BYTES: 'maxRowBytes',
  KOPPEL_LOG_LEVEL: 'logLevel',
  KOPPEL_JOB_WORKERS: 'jobWorkers',
  KOPPEL_AUDIT_HEAD_FILE: 'auditHeadFile',
  KOPPEL_TRUST_PROXY: 'trustProxy',
  KOPPEL_REFUSED_PER_MINUTE: 'refusedPerMinute',
  KOPPEL_MAX_WHOLE_BODY_UPLOADS: 'maxWholeBodyUploads',
  KOPPEL_MAX_CONNECTIONS: 'maxConnections',
  KOPPEL_MAX_EVENT_LOOP_DELAY_MS: 'maxEventLoopDelayMs',
  KOPPEL_TIMELINESS_WEBHOOK: 'timelinessWebhook',
  KOPPEL_MEMORY_BUDGET: 'memoryBudget',
};

const NUMERIC = new Set<keyof KoppelConfig>(['port', 'maxUploadBytes', 'maxRowsPerDelivery', 'maxFieldBytes', 'maxRowBytes', 'maxJsonBytes', 'requestTimeoutMs', 'batchRows', 'maxRejectedShare', 'jobWorkers', 'auditHeadIntervalMs', 'refusedPerMinute', 'maxWholeBodyUploads', 'maxEventLoopDelayMs', 'maxConnections', 'timelinessCheckIntervalMs', 'memoryBudget']);
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export type ConfigInput = { [K in keyof KoppelConfig]?: KoppelConfig[K] | string | undefined };

export function loadConfig(overrides: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): KoppelConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [name, key] of Object.entries(ENV)) {
    if (env[name] !== undefined && env[name] !== '') merged[key] = env[name];
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = value;
  }
  const problems: string[] = [];
  merged.memoryBudget = byteSize(merged.memoryBudget);
  for (const key of Object.keys(merged)) {
    if (!(key in DEFAULT_CONFIG)) problems.push(`unknown setting "${key}"`);
  }
  for (const key of NUMERIC) {
    const raw = merged[key];
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(n)) problems.push(`${key} must be a number`);
    merged[key] = n;
  }
  const c = merged as unknown as KoppelConfig;
  const bad = new Set(problems.map((p) => p.split(' ')[0]));
  const check = (key: keyof KoppelConfig, ok: boolean, problem: string) => {
    if (!bad.has(key) && !ok) problems.push(problem);
  };
  check('port', Number.isInteger(c.port) && c.port >= 0 && c.port <= 65535, 'port must be an integer from 0 to 65535');
  check('maxUploadBytes', c.maxUploadBytes >= 1024, 'maxUploadBytes must be at least 1024');
  check('maxRowsPerDelivery', Number.isInteger(c.maxRowsPerDelivery) && c.maxRowsPerDelivery >= 1, 'maxRowsPerDelivery must be a positive integer');
  check('maxFieldBytes', Number.isInteger(c.maxFieldBytes) && c.maxFieldBytes >= 64, 'maxFieldBytes must be an integer of at least 64');
  check('maxRowBytes', Number.isInteger(c.maxRowBytes) && c.maxRowBytes >= c.maxFieldBytes, 'maxRowBytes must be an integer of at least maxFieldBytes');
  check('maxJsonBytes', c.maxJsonBytes >= 1024, 'maxJsonBytes must be at least 1024');
  check('requestTimeoutMs', c.requestTimeoutMs >= 1000, 'requestTimeoutMs must be at least 1000');
  check('batchRows', Number.isInteger(c.batchRows) && c.batchRows >= 1 && c.batchRows <= 1 << 22, 'batchRows must be an integer from 1 to 4194304');
  check('jobWorkers', Number.isInteger(c.jobWorkers) && c.jobWorkers >= 0 && c.jobWorkers <= 64, 'jobWorkers must be an integer from 0 to 64');
  check('maxRejectedShare', c.maxRejectedShare >= 0 && c.maxRejectedShare <= 1, 'maxRejectedShare must be between 0 and 1');
  if (typeof c.host !== 'string' || c.host === '') problems.push('host must be a non-empty string');
  if (typeof c.dataDir !== 'string' || c.dataDir === '') problems.push('dataDir must be a non-empty path');
  if (typeof c.keysDir !== 'string' || c.keysDir === '') problems.push('keysDir must be a non-empty path');
  check('auditHeadIntervalMs', c.auditHeadIntervalMs >= 1000, 'auditHeadIntervalMs must be at least 1000');
  check('refusedPerMinute', Number.isInteger(c.refusedPerMinute) && c.refusedPerMinute >= 1, 'refusedPerMinute must be a positive integer');
  check('maxWholeBodyUploads', Number.isInteger(c.maxWholeBodyUploads) && c.maxWholeBodyUploads >= 1, 'maxWholeBodyUploads must be a positive integer');
  check('maxEventLoopDelayMs', c.maxEventLoopDelayMs === 0 || c.maxEventLoopDelayMs >= 10, 'maxEventLoopDelayMs must be 0 (off) or at least 10');
  check('maxConnections', Number.isInteger(c.maxConnections) && c.maxConnections >= 1, 'maxConnections must be a positive integer');
  check('memoryBudget', c.memoryBudget >= 2 ** 26, 'memoryBudget must be at least 64M');
  if (typeof c.trustProxy !== 'string') problems.push('trustProxy must be a list of addresses or empty');
  if (typeof c.auditHeadFile !== 'string') problems.push('auditHeadFile must be a path or empty');
  check('timelinessCheckIntervalMs', c.timelinessCheckIntervalMs >= 1000, 'timelinessCheckIntervalMs must be at least 1000');
  if (!isWebhookUrl(c.timelinessWebhook)) problems.push('timelinessWebhook must be an http or https URL, or empty');
  problems.push(...placementProblems(c));
  if (!LOG_LEVELS.has(String(c.logLevel))) problems.push(`logLevel must be one of ${[...LOG_LEVELS].join(', ')}`);
  if (problems.length > 0) {
    throw new KoppelError('KOPPEL_ERR_CFG_INVALID', `invalid configuration: ${problems.join('; ')}`, { problems });
  }
  return Object.freeze({
    ...c, dataDir: path.resolve(c.dataDir), keysDir: path.resolve(c.keysDir), auditHeadFile: c.auditHeadFile === '' ? '' : path.resolve(c.auditHeadFile),
  });
}

function isWebhookUrl(value: unknown): boolean {
  if (value === '') return true;
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Keys and the published audit head must not live in the data dir: a copy or a backup of the
 * data dir would then carry the means to re-identify (the keys), or the evidence against its own
 * truncation (the head).
 */
function placementProblems(c: KoppelConfig): string[] {
  if (typeof c.dataDir !== 'string' || c.dataDir === '' || typeof c.keysDir !== 'string' || c.keysDir === '') return [];
  const data = path.resolve(c.dataDir);
  const keys = path.resolve(c.keysDir);
  const problems: string[] = [];
  if (inside(keys, data) || inside(data, keys)) problems.push('keysDir and dataDir must be apart: neither may lie inside the other');
  if (typeof c.auditHeadFile === 'string' && c.auditHeadFile !== '' && inside(path.resolve(c.auditHeadFile), data)) problems.push('auditHeadFile must lie outside dataDir');
  return problems;
}
