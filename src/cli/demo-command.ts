/**
 * `koppel demo`: the whole story over real HTTP on 127.0.0.1, with a fresh temp data dir and a
 * fresh key: register datasets, three suppliers upload the examples, run the job, build, approve
 * (a second operator), download as the researcher, verify the audit chain. Prints a summary.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { buildApp } from '../server/app.js';
import { openRuntime } from '../pipeline/runtime.js';
import { initKey } from '../store/index.js';
import { runningJobs } from '../pipeline/jobs.js';
import type { DeliveryRecord, JobRecord, ProjectRecord, ReleaseRecord } from '../store/index.js';
import { ApiClient } from './api-client.js';
import { parseFlags, UsageError, write, type CommandIo } from './args.js';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The example deliveries: which file each supplier uploads, for which period. */
export const DEMO_DELIVERIES = [
  { dataset: 'vdab_jobseekers', period: '2024Q1', gzip: false },
  { dataset: 'rsz_employment', period: '2024', gzip: true },
  { dataset: 'agodi_diplomas', period: '2024', gzip: false },
] as const;

export interface DemoSummary {
  readonly workDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly downloadDir: string;
  readonly deliveries: readonly { dataset: string; supplier: string; rowsRead: number; rowsKept: number; rowsRejected: number; nationalIdInvalid: number }[];
  readonly persons: number;
  readonly linkedAcrossSources: number;
  readonly release: { id: string; files: readonly { name: string; rows: number }[]; suppressedValues: number; recordsAffected: number; k: number };
  readonly auditEntries: number;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8'));
}

async function waitForJob(client: ApiClient, id: string): Promise<JobRecord> {
  for (let i = 0; i < 600; i++) {
    const { body } = await client.request<JobRecord>('GET', `/v1/jobs/${id}`);
    if (body.status === 'succeeded' || body.status === 'failed') return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish within a minute`);
}

/** With `--serve`: called once the story is done, with the server still up; the demo ends when it returns. */
export type DemoServe = (summary: DemoSummary, base: string, token: (principal: string) => string) => Promise<void>;

/** The researcher's download of every released file, as Arrow and CSV, and the manifest. */
async function downloadRelease(an: ApiClient, releaseId: string, manifest: { files: { name: string }[] }, downloadDir: string): Promise<void> {
  for (const file of manifest.files) {
    const stem = file.name.replace(/\.arrow$/, '');
    for (const ext of ['arrow', 'csv']) {
      writeFileSync(path.join(downloadDir, `${stem}.${ext}`), await an.download(`/v1/releases/${releaseId}/files/${stem}.${ext}`));
    }
  }
  writeFileSync(path.join(downloadDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function runDemoStory(workDir: string, serve?: DemoServe, port = 0): Promise<DemoSummary> {
  const keysDir = path.join(workDir, 'keys');
  const dataDir = path.join(workDir, 'data');
  const logFile = path.join(workDir, 'server.log');
  const downloadDir = path.join(workDir, 'download');
  mkdirSync(downloadDir, { recursive: true });
  initKey(keysDir);
  const logDestination = pino.destination({ dest: logFile, sync: true });
  const runtime = openRuntime({ dataDir, keysDir, port: 0, host: '127.0.0.1', logLevel: 'info' }, { env: {}, logDestination });
  const app = await buildApp(runtime.ctx);
  try {
    const base = await app.listen({ port, host: '127.0.0.1' });
    const token = (principal: string) => runtime.store.createToken(principal, 'demo').token;
    const olivia = new ApiClient(base, token('operator:olivia'));
    const omar = olivia.as(token('operator:omar'));
    const an = olivia.as(token('researcher:an'));

    const deliveries: DemoSummary['deliveries'][number][] = [];
    const deliveryIds: string[] = [];
    for (const d of DEMO_DELIVERIES) {
      const schema = readJson(`${d.dataset}.schema.json`) as { supplier: string };
      await olivia.request('POST', '/v1/datasets', { json: schema });
      const supplier = olivia.as(token(`supplier:${schema.supplier}`));
      const { body } = await supplier.upload<DeliveryRecord>(d.dataset, d.period, path.join(EXAMPLES_DIR, `${d.dataset}.csv`), { gzip: d.gzip });
      const report = body.report as { rows_read: number; rows_kept: number; rows_rejected: number; national_id: Record<string, number> };
      const nid = report.national_id;
      deliveries.push({
        dataset: d.dataset, supplier: schema.supplier, rowsRead: report.rows_read, rowsKept: report.rows_kept, rowsRejected: report.rows_rejected,
        nationalIdInvalid: (nid.missing ?? 0) + (nid.malformed ?? 0) + (nid.bad_date ?? 0) + (nid.bad_check ?? 0),
      });
      deliveryIds.push(body.id);
    }

    const { body: project } = await olivia.request<ProjectRecord>('POST', '/v1/projects', { json: readJson('project.json') });
    const { body: queued } = await olivia.request<JobRecord>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: deliveryIds } });
    const job = await waitForJob(olivia, queued.id);
    if (job.status !== 'succeeded') throw new Error(`the job failed: ${JSON.stringify(job.error)}`);
    const jobReport = job.report as { persons: number; linked_across_sources: number };

    const { body: draft } = await olivia.request<ReleaseRecord>('POST', `/v1/jobs/${job.id}/releases`);
    const { body: approved } = await omar.request<ReleaseRecord>('POST', `/v1/releases/${draft.id}/approve`);

    const { body: visible } = await an.request<ReleaseRecord[]>('GET', '/v1/releases');
    if (!visible.some((r) => r.id === approved.id)) throw new Error('the researcher does not see the approved release');
    const { body: release } = await an.request<ReleaseRecord>('GET', `/v1/releases/${approved.id}`);
    const manifest = release.manifest as {
      files: { name: string; rows: number }[];
      disclosure_control: { k: number; suppressed_values: Record<string, number>; records_affected: number };
    };
    await downloadRelease(an, release.id, manifest, downloadDir);
    const audit = runtime.store.verifyAudit();
    if (!audit.ok) throw new Error(`the audit chain does not verify: ${audit.reason ?? ''}`);
    const dc = manifest.disclosure_control;
    const summary: DemoSummary = {
      workDir, dataDir, logFile, downloadDir, deliveries,
      persons: jobReport.persons,
      linkedAcrossSources: jobReport.linked_across_sources,
      release: {
        id: release.id,
        files: manifest.files.map((f) => ({ name: f.name, rows: f.rows })),
        suppressedValues: Object.values(dc.suppressed_values).reduce((a, b) => a + b, 0),
        recordsAffected: dc.records_affected,
        k: dc.k,
      },
      auditEntries: audit.entries,
    };
    if (serve !== undefined) await serve(summary, base, token);
    return summary;
  } finally {
    await app.close();
    await Promise.allSettled(runningJobs());
    runtime.close();
    logDestination.flushSync();
  }
}

export function formatSummary(s: DemoSummary): string {
  const lines = ['Koppel demo: three suppliers, one project, one approved release', ''];
  lines.push('Deliveries (rows read / kept / rejected; national numbers missing or invalid, kept with a null pseudonym):');
  for (const d of s.deliveries) {
    lines.push(`  ${d.dataset.padEnd(18)} supplier:${d.supplier.padEnd(6)} ${String(d.rowsRead).padStart(6)} / ${String(d.rowsKept).padStart(6)} / ${String(d.rowsRejected).padStart(4)}   ${d.nationalIdInvalid} without a valid number`);
  }
  lines.push('', `Linkage: ${s.persons} persons; ${s.linkedAcrossSources} linked across at least two suppliers`);
  lines.push(`Release ${s.release.id} (approved by a second operator):`);
  for (const f of s.release.files) lines.push(`  ${f.name.padEnd(24)} ${f.rows} rows`);
  lines.push(`  disclosure control: k = ${s.release.k}; ${s.release.suppressedValues} key-variable values suppressed in ${s.release.recordsAffected} persons`);
  lines.push(`Audit chain: ${s.auditEntries} entries, verified`, '');
  lines.push(`Data dir:  ${s.dataDir}`, `Server log: ${s.logFile}`, `Downloads: ${s.downloadDir}`);
  return lines.join('\n');
}

/** The console's address and a fresh token per role of the demo, for a newcomer to sign in with. */
export function formatServing(summary: DemoSummary, base: string, token: (principal: string) => string): string {
  const principals = ['operator:olivia', 'operator:omar', ...summary.deliveries.map((d) => `supplier:${d.supplier}`), 'researcher:an'];
  const lines = ['', `Console: ${base}/console/   (API docs: ${base}/docs)`, "Sign in with one of these tokens (for this demo's data directory only):"];
  for (const p of principals) lines.push(`  ${p.padEnd(18)} ${token(p)}`);
  lines.push('olivia built the release and omar approved it (four-eyes). Serving until Ctrl-C.');
  return lines.join('\n');
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function runDemo(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: 'string' }, serve: { type: 'boolean' }, port: { type: 'string' } });
  const workDir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), 'koppel-demo-'));
  mkdirSync(workDir, { recursive: true });
  const serve: DemoServe | undefined = values.serve === true ? async (summary, base, token) => {
    write(io.stdout, formatSummary(summary));
    write(io.stdout, formatServing(summary, base, token));
    await untilInterrupted();
  } : undefined;
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a port number from 0 to 65535');
  const summary = await runDemoStory(workDir, serve, port);
  if (serve === undefined) write(io.stdout, formatSummary(summary));
  return 0;
}
