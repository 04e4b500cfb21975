/**
 * Table versions: an operator builds one from a table specification (the job's records, or the
 * approved release's files: table-release-source.ts; the engine off the main thread; every
 * table the project published before handed to it), a second operator approves it
 * (four-eyes), which numbers it and supersedes the table's previous version; an operator may
 * withdraw a published version. Every step is audited.
 *
 * A build writes nothing until the engine's audit passed: the version row, its files and its
 * cells go into SQLite in one transaction (store/table-records.ts). A refused table
 * (KOPPEL_ERR_RELEASE_TABLE_UNSAFE) leaves only the audit entry saying so.
 */
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { treeFromDescription, type DimensionDescription } from '../release/tables/table-dimensions.js';
import type { TableMeasure } from '../release/tables/suppress-table.js';
import type { JobRecord, ProjectRecord, TableVersionRecord } from '../store/index.js';
import { concatNumbers } from '../util/arrow-columns.js';
import type { PipelineContext } from './context.js';
import type { JobSettings } from './jobs.js';
import { recordAudit } from './audit.js';
import { densePersons } from './dense-persons.js';
import { methodCodes, releaseSources } from './release-sources.js';
import { EARLIER_ENFORCED, runSuppression, type EarlierTable } from './table-suppression.js';
import { approvedReleaseOf, recordsFromRelease } from './table-release-source.js';
import { PERIOD_VARIABLE, tableSpecOf, tableUses, type TableSpecBody } from './table-specs.js';
import { auditSummary, describeDimensions, prepareTable, summarise, tableOutputFiles } from './table-prepare.js';
import type { TableRecordsInput } from './table-records.js';

function finishedJobOf(ctx: PipelineContext, project: ProjectRecord, jobId: string): JobRecord {
  const job = ctx.store.getJob(jobId);
  if (job === null || job.project_id !== project.id) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${jobId} of project ${project.id}`, { job: jobId });
  if (job.status !== 'succeeded') throw new KoppelError('KOPPEL_ERR_LINK_JOB_NOT_DONE', `job ${jobId} is ${job.status}`, { job: jobId, status: job.status });
  return job;
}

/** The job's records of the table's dataset, with only the columns the table uses read. */
async function recordsFromJob(ctx: PipelineContext, project: ProjectRecord, job: JobRecord, body: TableSpecBody): Promise<TableRecordsInput> {
  const deliveries = (job.settings as JobSettings).deliveries.map((id) => {
    const d = ctx.store.getDelivery(id);
    if (d === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `job ${job.id} names a delivery that is gone`, { job: job.id });
    return d;
  });
  const clusters = await ctx.store.readJobFile(job.id, 'clusters');
  const deliveryOfRecord = concatNumbers(clusters, 'delivery', (n) => new Int32Array(n));
  const { persons, indexOf } = densePersons(concatNumbers(clusters, 'person_id', (n) => new Float64Array(n)));
  const { method, probability } = methodCodes(clusters, job.id, clusters.numRows);
  const needed = [...new Set([...body.dimensions.map((d) => d.variable).filter((v) => v !== PERIOD_VARIABLE), body.value, body.unit])]
    .filter((v): v is string => v !== undefined);
  const narrowed: ProjectRecord = { ...project, approved: { [body.dataset]: needed } };
  const refs = deliveries.map((d) => ({ id: d.id, dataset: d.dataset, period: d.period, payload: ctx.store.deliveryFileRef(d.id, 'payload') }));
  const sources = await releaseSources(narrowed, refs, deliveryOfRecord, indexOf, method, probability);
  const source = sources.find((s) => s.name === body.dataset);
  if (source === undefined) throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_TABLE', `job ${job.id} links no delivery of ${body.dataset}`, { dataset: body.dataset });
  return { personOfRow: source.personOfRow, persons: persons.length, periods: source.periods, columns: source.columns };
}

/** Every table the project published (the ledger), as the engine takes them. */
function earlierTables(ctx: PipelineContext, projectId: string): { tables: EarlierTable[]; versions: string[] } {
  const published = ctx.store.tables.published(projectId);
  return {
    tables: published.map((p) => ({
      dimensions: (p.dimensions as DimensionDescription[]).map(treeFromDescription), measure: p.measure as TableMeasure, values: p.values, status: p.status,
    })),
    versions: published.map((p) => p.id),
  };
}

/** The source a build counts: the build's own choice, else the specification's (a job or an approved release). */
async function recordsOf(ctx: PipelineContext, project: ProjectRecord, body: TableSpecBody, options: BuildOptions): Promise<{ job: string; release: string | null; records: TableRecordsInput }> {
  const releaseId = options.release ?? (options.job === undefined && 'release' in body.source ? body.source.release : undefined);
  if (releaseId !== undefined) {
    const release = approvedReleaseOf(ctx, project, releaseId);
    const records = await recordsFromRelease(ctx, release, tableUses(body));
    return { job: release.job_id, release: release.id, records };
  }
  const job = finishedJobOf(ctx, project, options.job ?? (body.source as { job: string }).job);
  return { job: job.id, release: null, records: await recordsFromJob(ctx, project, job, body) };
}

interface BuildOptions { readonly job?: string; readonly release?: string }

export async function buildTable(ctx: PipelineContext, principal: Principal, tableId: string, options: BuildOptions = {}): Promise<TableVersionRecord> {
  const { record, body } = tableSpecOf(ctx, tableId);
  const project = ctx.store.getProject(record.project_id);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `table ${tableId} names a project that is gone`, { table: tableId });
  const { job, release, records } = await recordsOf(ctx, project, body, options);
  const prepared = await prepareTable(body, records);
  const earlier = earlierTables(ctx, project.id);
  let result;
  try {
    result = await runSuppression({ spec: prepared.spec, input: prepared.input, earlier: earlier.tables }, ctx.config.jobWorkers === 0 ? 'inline' : 'worker');
  } catch (err) {
    if (err instanceof KoppelError && err.code === 'KOPPEL_ERR_RELEASE_TABLE_UNSAFE') {
      recordAudit(ctx, { actor: principal.id, action: 'table.build', target: tableId, outcome: 'refused', detail: { project: project.id, job, release, code: err.code, ...err.details } });
    }
    throw err;
  }
  const builtAt = new Date().toISOString();
  const summary = summarise(result);
  const version = ctx.store.tables.createVersion({
    tableId, projectId: project.id, jobId: job, measure: body.measure, dimensions: describeDimensions(prepared),
    files: tableOutputFiles(body, result, builtAt),
    values: result.values, status: result.status,
    manifest: (id, files) => ({
      table_version: id, table: { id: tableId, name: body.name, title: body.title, description: body.description ?? null },
      project: { id: project.id, title: project.title, legal_basis: project.legal_basis },
      job, release, dataset: body.dataset, measure: body.measure, value: body.value ?? null, unit: body.unit === undefined ? null : 'declared (kept in memory only)',
      dimensions: body.dimensions, policy: result.policy, koppel_version: ctx.version,
      files, summary, suppression_audit: auditSummary(result),
      consistency: {
        earlier_versions: earlier.versions, enforced_by_engine: EARLIER_ENFORCED, linked_tables: result.earlier.linked, shared_cells: result.earlier.sharedCells,
        published_before: result.earlier.publishedBefore, suppressed_before: result.earlier.suppressedBefore, differing_cells: result.earlier.differing,
      },
      open_data: body.open_data === true, built_by: principal.id, built_at: builtAt, version: null, approved_by: null, approved_at: null, audit_head: null,
    }),
  }, principal.id);
  recordAudit(ctx, {
    actor: principal.id, action: 'table.build', target: version.id, outcome: 'ok',
    detail: { table: tableId, project: project.id, job, release, ...summary, files: version.files.map((f) => ({ name: f.name, sha256: f.sha256 })) },
  });
  return version;
}

export function approveTable(ctx: PipelineContext, principal: Principal, versionId: string): TableVersionRecord {
  const existing = ctx.store.tables.getVersion(versionId);
  if (existing === null) throw new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `no table version ${versionId}`, { version: versionId });
  const approvedAt = new Date().toISOString();
  return ctx.store.tables.approveVersion(versionId, principal.id, (version, superseded) => {
    const entry = ctx.store.audit({
      actor: principal.id, action: 'table.approve', target: versionId, outcome: 'ok',
      detail: { builder: existing.created_by, table: existing.table_id, version, supersedes: superseded },
    });
    return { ...existing.manifest, version, supersedes: superseded, approved_by: principal.id, approved_at: approvedAt, audit_head: { seq: entry.seq, mac: entry.mac } };
  });
}

/** Withdraws a published version: its files answer 410, open data included; the ledger keeps it. */
export function withdrawTable(ctx: PipelineContext, principal: Principal, versionId: string, reason: string): TableVersionRecord {
  const existing = ctx.store.tables.getVersion(versionId);
  if (existing === null) throw new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `no table version ${versionId}`, { version: versionId });
  if (!ctx.store.tables.withdraw(versionId, principal.id, reason)) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_APPROVED', `table version ${versionId} is a draft or already withdrawn`, { version: versionId });
  }
  recordAudit(ctx, { actor: principal.id, action: 'table.withdraw', target: versionId, outcome: 'ok', detail: { table: existing.table_id, project: existing.project_id, reason } });
  return ctx.store.tables.getVersion(versionId)!;
}
