/**
 * The turnaround benchmark's HTTP flow (see turnaround.ts): the principals and their tokens,
 * the project, and the steps in order, each timed, with load-shedding answers waited out.
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { initKey, loadKeyring, openStore } from '../src/store/index.js';
import { SUPPLIERS, datasetSchema, type Extract } from './turnaround-data.js';
import { StepError, call, download, epochMs, type ServeProcess } from './turnaround-server.js';

const PERIOD = '2024Q1';

const PRINCIPALS = ['operator:olivia', 'operator:omar', 'researcher:an', 'supplier:vdab', 'supplier:rsz', 'supplier:agodi'] as const;
export type Principal = typeof PRINCIPALS[number];

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

/** Makes the key and one token per principal, with the store API, before the server starts. */
export function prepareHome(dataDir: string, keysDir: string): Record<Principal, string> {
  initKey(keysDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
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

export interface Flow {
  readonly server: ServeProcess;
  readonly tokens: Record<Principal, string>;
  readonly extracts: readonly Extract[];
  readonly seconds: Partial<Record<Step, number>>;
  /** Each step's [start, end) in `epochMs()` time, for the health figures per step. */
  readonly windows: Partial<Record<Step, [number, number]>>;
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

/** A JSON API call, retried on load shedding. */
function api<T>(flow: Flow, who: Principal, method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
  return retrying(flow, () => call<T>(flow.server.base, flow.tokens[who], method, path, json === undefined ? undefined : { json }));
}

async function timed<T>(flow: Flow, step: Step, fn: () => Promise<T>): Promise<T> {
  const t0 = epochMs();
  try {
    return await fn();
  } catch (err) {
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { step });
  } finally {
    const t1 = epochMs();
    flow.seconds[step] = (t1 - t0) / 1000;
    flow.windows[step] = [t0, t1];
  }
}

interface JobBody {
  status: string;
  progress?: { stage?: string } | null;
  report?: { linkage?: { timings_ms?: Record<string, number> } } | null;
  error?: { code?: string; message?: string } | null;
}

/** The job's status until it has finished; a failed job is a StepError with its code. */
async function waitForJob(flow: Flow, id: string): Promise<void> {
  let stage = '';
  const t0 = performance.now();
  for (;;) {
    const { body } = await api<JobBody>(flow, 'operator:olivia', 'GET', `/v1/jobs/${id}`);
    if (body.progress?.stage !== undefined && body.progress.stage !== stage) {
      stage = body.progress.stage;
      flow.log(`job stage ${stage} from ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    if (body.status === 'succeeded') {
      // The engine's own stage times, so a slow job says where its time went.
      flow.log(`job stages (ms): ${JSON.stringify(body.report?.linkage?.timings_ms ?? {})}`);
      return;
    }
    if (body.status === 'failed') throw new StepError(200, body.error?.code ?? 'UNKNOWN', `job ${id} failed: ${body.error?.message ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The HTTP flow, step by step; returns the job id and the bytes downloaded. */
export async function runFlow(flow: Flow): Promise<{ jobId: string; deliveryIds: string[]; downloadedBytes: number }> {
  const { base } = flow.server;
  const op = 'operator:olivia';
  const projectId = await timed(flow, 'register', async () => {
    for (const name of SUPPLIERS) await api(flow, op, 'POST', '/v1/datasets', datasetSchema(name));
    return (await api<{ id: string }>(flow, op, 'POST', '/v1/projects', PROJECT)).body.id;
  });
  const deliveryIds = await timed(flow, 'upload', () => Promise.all(flow.extracts.map(async (x) => {
    // A fresh read stream per attempt: a body refused with 503 is sent again from its start.
    const { body } = await retrying(flow, () => call<{ id: string; rows_kept: number }>(base, flow.tokens[SUPPLIER_OF[x.supplier]], 'PUT',
      `/v1/datasets/${x.supplier}/deliveries/${PERIOD}`, { stream: createReadStream(x.path, { highWaterMark: 1 << 20 }), type: 'text/csv' }));
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
