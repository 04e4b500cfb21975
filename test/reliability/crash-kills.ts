/**
 * The crash run behind `npm run test:crash` and its short version in `npm test`
 * (test/e2e/crash-kills.test.ts). Each round starts `koppel serve` on the same data dir, sets
 * uploads, a linkage job, a release build and an approval going at once, and SIGKILLs the
 * server at a random moment (`minDelayMs`..`maxDelayMs` after the work starts). After each
 * restart it checks, against the database read read-only and the files on disk:
 *
 *   - startup left no orphan: staging/ is empty, every folder under deliveries/, jobs/ and
 *     releases/ has its row;
 *   - nothing is half-visible: every delivery, every job with files, every release has all its
 *     recorded files, each of its recorded size and sha256;
 *   - every upload the server acknowledged (201/200 before the kill) is there with its rows, and
 *     reads back through GET /v1/deliveries/{id};
 *   - no job is left queued or running (the restart marked the interrupted ones failed);
 *   - the audit chain verifies, recorded file hashes included (the read-only check of
 *     `koppel audit verify`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { initKey, loadKeyring, openStore, verifyAuditReadOnly } from '../../src/store/index.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { startServe, type ServeProcess } from '../fixtures/koppel-process.js';

export interface CrashOptions {
  readonly kills: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly seed?: number;
  /** Where to build the server home; removed afterwards. */
  readonly dir: string;
}

export interface CrashFigures {
  readonly kills: number;
  readonly uploadsAcknowledged: number;
  readonly uploadsCutByKill: number;
  readonly jobsStarted: number;
  readonly jobsSucceeded: number;
  readonly jobsInterrupted: number;
  readonly releasesBuilt: number;
  readonly releasesApproved: number;
  readonly buildsCutByKill: number;
  readonly filesHashed: number;
  readonly maxRestartMs: number;
  readonly wallSeconds: number;
  /** One line per broken invariant, naming the round; empty when every round held. */
  readonly problems: readonly string[];
}

interface Tokens { readonly op1: string; readonly op2: string; readonly vdab: string; readonly rsz: string }
interface Acknowledged { readonly id: string; readonly rows: number }

const PERIODS_PER_YEAR = 17;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ls = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

function periodOf(i: number): string {
  const year = 1900 + Math.floor(i / PERIODS_PER_YEAR);
  const k = i % PERIODS_PER_YEAR;
  if (k === 0) return String(year);
  return k <= 4 ? `${year}Q${k}` : `${year}-${String(k - 4).padStart(2, '0')}`;
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

class Api {
  constructor(readonly base: string) {}

  /** One request; sent again (up to 40 times, 250 ms apart) while the server sheds load with 503 or 429. */
  async call(token: string, method: string, url: string, body?: string, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.once(token, method, url, body, contentType);
      if ((answer.status !== 503 && answer.status !== 429) || attempt >= 40) return answer;
      await sleep(250);
    }
  }

  private async once(token: string, method: string, url: string, body: string | undefined, contentType: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) }, body });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // a cut connection or a non-JSON body: the status says enough
    }
    return { status: res.status, json };
  }
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The files rows record, checked on disk; and no folder without its row. */
function checkStored(dataDir: string, round: number, problems: string[]): { deliveries: Map<string, number>; hashed: number; open: number } {
  const db = new Database(path.join(dataDir, 'koppel.db'), { readonly: true, fileMustExist: true });
  let hashed = 0;
  try {
    const deliveries = new Map<string, number>();
    const check = (folder: string, id: string, filesJson: string | null) => {
      const files = filesJson === null ? [] : (JSON.parse(filesJson) as { name: string; bytes: number; sha256: string }[]);
      for (const f of files) {
        const file = path.join(dataDir, folder, id, f.name);
        if (!fs.existsSync(file)) problems.push(`round ${round}: ${folder}/${id}/${f.name} is recorded but missing`);
        else if (fs.statSync(file).size !== f.bytes || sha256File(file) !== f.sha256) problems.push(`round ${round}: ${folder}/${id}/${f.name} differs from its record`);
        hashed++;
      }
      return files.length;
    };
    for (const r of db.prepare('SELECT id, rows_kept, files_json FROM deliveries').all() as { id: string; rows_kept: number; files_json: string }[]) {
      deliveries.set(r.id, r.rows_kept);
      if (check('deliveries', r.id, r.files_json) !== 2) problems.push(`round ${round}: delivery ${r.id} records fewer than its two files`);
    }
    const jobs = db.prepare('SELECT id, status, files_json FROM jobs').all() as { id: string; status: string; files_json: string | null }[];
    for (const j of jobs) {
      check('jobs', j.id, j.files_json);
      if (j.status === 'succeeded' && j.files_json === null) problems.push(`round ${round}: job ${j.id} succeeded without files`);
    }
    const open = jobs.filter((j) => j.status === 'queued' || j.status === 'running').length;
    const releases = db.prepare('SELECT id, files_json FROM releases').all() as { id: string; files_json: string }[];
    for (const r of releases) {
      check('releases', r.id, r.files_json);
      if (!fs.existsSync(path.join(dataDir, 'releases', r.id, 'manifest.json'))) problems.push(`round ${round}: release ${r.id} has no manifest.json`);
    }
    const recorded: Record<string, Set<string>> = {
      deliveries: new Set(deliveries.keys()), jobs: new Set(jobs.filter((j) => j.files_json !== null).map((j) => j.id)), releases: new Set(releases.map((r) => r.id)),
    };
    for (const [folder, ids] of Object.entries(recorded)) {
      for (const name of ls(path.join(dataDir, folder))) if (!ids.has(name)) problems.push(`round ${round}: ${folder}/${name} has no row (an orphan left after start)`);
    }
    return { deliveries, hashed, open };
  } finally {
    db.close();
  }
}

function prepareHome(dir: string): Home {
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  initKey(keysDir);
  const store = openStore({ dataDir, keyring: loadKeyring(keysDir) });
  const tokens = {
    op1: store.createToken('operator:olivia', 'test').token,
    op2: store.createToken('operator:omar', 'test').token,
    vdab: store.createToken('supplier:vdab', 'test').token,
    rsz: store.createToken('supplier:rsz', 'test').token,
  };
  store.close();
  return { dataDir, keysDir, tokens };
}

interface Home { readonly dataDir: string; readonly keysDir: string; readonly tokens: Tokens }

/** One crash run's state: the server of the moment, what it acknowledged, what was counted. */
class CrashRun {
  readonly problems: string[] = [];
  readonly acknowledged: Acknowledged[] = [];
  readonly counts = { buildsCut: 0, cut: 0, jobs: 0, jobsSucceeded: 0, built: 0, approved: 0, hashed: 0, maxRestartMs: 0 };
  private readonly succeededJobs: string[] = [];
  private readonly drafts: string[] = [];
  private readonly keyring;
  private period = 0;
  private base: string[] = [];
  private projectId = '';
  server: ServeProcess | null = null;
  private api = new Api('');

  constructor(private readonly home: Home, private readonly rnd: () => number) {
    this.keyring = loadKeyring(home.keysDir);
  }

  async start(): Promise<void> {
    const boot = performance.now();
    this.server = await startServe({ dataDir: this.home.dataDir, keysDir: this.home.keysDir, env: { KOPPEL_LOG_LEVEL: 'warn' } });
    this.counts.maxRestartMs = Math.max(this.counts.maxRestartMs, performance.now() - boot);
    this.api = new Api(this.server.base);
  }

  /** Two datasets with a delivery each (what the jobs link) and a project. */
  async setUp(): Promise<void> {
    const { api } = this;
    const { tokens } = this.home;
    await api.call(tokens.op1, 'POST', '/v1/datasets', JSON.stringify(testDatasetSchema('vdab_set', 'vdab')));
    await api.call(tokens.op1, 'POST', '/v1/datasets', JSON.stringify(testDatasetSchema('rsz_set', 'rsz')));
    const people = makePeople(3000, 5);
    this.base = [
      await api.call(tokens.vdab, 'PUT', '/v1/datasets/vdab_set/deliveries/2024', csvFor(people), 'text/csv'),
      await api.call(tokens.rsz, 'PUT', '/v1/datasets/rsz_set/deliveries/2024', csvFor(people.slice(500, 2500)), 'text/csv'),
    ].map((r) => r.json.id as string);
    const project = await api.call(tokens.op1, 'POST', '/v1/projects', JSON.stringify({
      title: 'crash', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['birth_year', 'sex', 'loon_cent'], rsz_set: ['loon_cent'] }, key_variables: ['birth_year', 'sex'], k: 3,
    }));
    this.projectId = project.json.id as string;
    if (this.base.some((id) => typeof id !== 'string') || typeof this.projectId !== 'string') throw new Error('setting up the crash run failed');
  }

  /** Starts a job and polls it; resolves when it succeeds or fails, or the server goes away. */
  private async runJob(mustFinish: boolean): Promise<void> {
    const { api } = this;
    const r = await api.call(this.home.tokens.op1, 'POST', `/v1/projects/${this.projectId}/jobs`, JSON.stringify({ deliveries: this.base }));
    const id = r.json.id;
    if (typeof id !== 'string') throw new Error(`starting a job answered ${r.status}`);
    this.counts.jobs++;
    for (let i = 0; i < 1200; i++) {
      await sleep(100);
      const status = (await api.call(this.home.tokens.op1, 'GET', `/v1/jobs/${id}`)).json.status;
      if (status === 'succeeded') {
        this.succeededJobs.push(id);
        this.counts.jobsSucceeded++;
        return;
      }
      if (status === 'failed') {
        if (mustFinish) throw new Error(`job ${id} failed without a kill`);
        return;
      }
    }
    throw new Error(`job ${id} did not finish in 2 minutes`);
  }

  /** Builds need a finished job: now and then one runs to its end before a round's work. */
  async ensureFinishedJob(): Promise<void> {
    if (this.succeededJobs.length === 0 || this.rnd() < 0.1) await this.runJob(true);
  }

  /** The round's work, all at once: uploads of new periods, maybe a job, a build, an approval. */
  startWork(round: number): Promise<unknown>[] {
    const { api, rnd, counts } = this;
    const { tokens } = this.home;
    const work: Promise<unknown>[] = [];
    // 500 to 8,000 rows each, so that a kill often lands mid-body.
    for (let u = 1 + Math.floor(rnd() * 3); u > 0; u--) {
      const rows = 500 + Math.floor(rnd() * 7500);
      const p = periodOf(this.period++);
      const body = csvFor(makePeople(rows, 100 + this.period));
      work.push(api.call(tokens.vdab, 'PUT', `/v1/datasets/vdab_set/deliveries/${p}`, body, 'text/csv').then((r) => {
        if ((r.status === 201 || r.status === 200) && typeof r.json.id === 'string') this.acknowledged.push({ id: r.json.id, rows: r.json.rows_kept as number });
        else this.problems.push(`round ${round}: an upload answered ${r.status} before the kill`);
      }, () => { counts.cut++; }));
    }
    if (rnd() < 0.7) work.push(this.runJob(false).catch(() => {}));
    const job = this.succeededJobs.length > 0 ? this.succeededJobs[Math.floor(rnd() * this.succeededJobs.length)] : undefined;
    if (job !== undefined && rnd() < 0.8) {
      work.push(api.call(tokens.op1, 'POST', `/v1/jobs/${job}/releases`, JSON.stringify({ justification: 'crash test rebuild' })).then((r) => {
        if (r.status === 201 && typeof r.json.id === 'string') {
          counts.built++;
          this.drafts.push(r.json.id);
        } else this.problems.push(`round ${round}: a release build answered ${r.status} ${String(r.json.code)}`);
      }, () => { counts.buildsCut++; }));
    }
    const draft = this.drafts.shift();
    if (draft !== undefined) {
      // 409 (a release approved since this one was built shares its columns) is a fair answer.
      work.push(api.call(tokens.op2, 'POST', `/v1/releases/${draft}/approve`).then((r) => { if (r.status === 200) counts.approved++; }, () => {}));
    }
    return work;
  }

  /** Every invariant of the module comment, after a restart. */
  async check(round: number): Promise<void> {
    const { dataDir } = this.home;
    if (ls(path.join(dataDir, 'staging')).length > 0) this.problems.push(`round ${round}: staging/ is not empty after start`);
    const stored = checkStored(dataDir, round, this.problems);
    this.counts.hashed += stored.hashed;
    if (stored.open > 0) this.problems.push(`round ${round}: ${stored.open} jobs are still queued or running after the restart`);
    for (const a of this.acknowledged) {
      if (stored.deliveries.get(a.id) !== a.rows) this.problems.push(`round ${round}: acknowledged delivery ${a.id} is missing or lost rows`);
    }
    for (const a of this.acknowledged.slice(-4)) {
      const read = await this.api.call(this.home.tokens.op1, 'GET', `/v1/deliveries/${a.id}`);
      if (read.status !== 200) this.problems.push(`round ${round}: acknowledged delivery ${a.id} answers ${read.status}`);
    }
    const audit = verifyAuditReadOnly(dataDir, this.keyring);
    if (!audit.ok) this.problems.push(`round ${round}: audit verify failed: ${audit.reason ?? ''}`);
  }

  interruptedJobs(): number {
    const db = new Database(path.join(this.home.dataDir, 'koppel.db'), { readonly: true });
    try {
      return db.prepare("SELECT COUNT(*) FROM jobs WHERE error_json LIKE '%KOPPEL_ERR_LINK_INTERRUPTED%'").pluck().get() as number;
    } finally {
      db.close();
    }
  }
}

export async function runCrashKills(options: CrashOptions, log: (line: string) => void = () => {}): Promise<CrashFigures> {
  const started = performance.now();
  const rnd = mulberry(options.seed ?? 3);
  const run = new CrashRun(prepareHome(options.dir), rnd);
  let interrupted = 0;
  try {
    await run.start();
    await run.setUp();
    for (let round = 1; round <= options.kills; round++) {
      await run.ensureFinishedJob();
      const work = run.startWork(round);
      await sleep(options.minDelayMs + rnd() * (options.maxDelayMs - options.minDelayMs));
      await run.server?.kill();
      await Promise.allSettled(work);
      await run.start();
      await run.check(round);
      log(`kill ${round}/${options.kills}: ${run.acknowledged.length} uploads acknowledged so far, ${run.problems.length} problems`);
    }
    interrupted = run.interruptedJobs();
  } finally {
    await run.server?.kill();
  }
  const { counts } = run;
  return {
    kills: options.kills,
    uploadsAcknowledged: run.acknowledged.length,
    uploadsCutByKill: counts.cut,
    jobsStarted: counts.jobs,
    jobsSucceeded: counts.jobsSucceeded,
    jobsInterrupted: interrupted,
    releasesBuilt: counts.built,
    releasesApproved: counts.approved,
    buildsCutByKill: counts.buildsCut,
    filesHashed: counts.hashed,
    maxRestartMs: Math.round(counts.maxRestartMs),
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    problems: run.problems,
  };
}

export function describeCrash(f: CrashFigures): string {
  return [
    `SIGKILLs ${f.kills}; uploads acknowledged ${f.uploadsAcknowledged}, cut by a kill ${f.uploadsCutByKill}`,
    `jobs started ${f.jobsStarted} (succeeded ${f.jobsSucceeded}, interrupted and marked failed at restart ${f.jobsInterrupted}); releases built ${f.releasesBuilt} (cut by a kill ${f.buildsCutByKill}), approved ${f.releasesApproved}`,
    `after every restart: stored files hashed ${f.filesHashed} in all, staging empty, no orphan, no job left running, audit verified; slowest restart ${f.maxRestartMs} ms; wall ${f.wallSeconds} s`,
    `problems ${f.problems.length}; machine: ${os.cpus().length} cpus, load average ${os.loadavg()[0].toFixed(1)}, node ${process.version}`,
  ].join('\n');
}
