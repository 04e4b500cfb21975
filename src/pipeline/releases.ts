/**
 * Releases: an operator builds one from a finished job (approved variables only, per-project
 * release pseudonyms, k-anonymity on the persons file, a draft manifest); a second operator
 * approves it (four-eyes), which finalises the manifest with the audit chain head; researchers
 * of the project list and download approved releases within the project's validity window.
 */
import { Readable } from 'node:stream';
import type { Data, Table, Vector } from 'apache-arrow';
import { canGeneralise, describeGeneralisation, generaliseColumn } from '../release/generalise.js';
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { LINK_METHOD_NAMES, LINK_UNLINKED } from '../link/link-method.js';
import { PURPOSES, releasePseudonyms } from '../pseudonymise/index.js';
import {
  assembleRelease, buildDraftManifest, describeTables, finaliseManifest, renderCsv,
  type PeriodRun, type ReleaseManifest, type ReleaseSourceInput,
} from '../release/index.js';
import type { DeliveryRecord, ProjectRecord, ReleaseRecord } from '../store/index.js';
import { concatNumbers } from '../util/arrow-columns.js';
import { purposeKey, type PipelineContext } from './context.js';
import type { JobSettings } from './jobs.js';
import { recordAudit } from './audit.js';
import { deliveryFormatOf } from './delivery-format.js';

/** Sorted distinct person ids, and each record's index into them (typed arrays, no Map). */
function densePersons(personIds: Float64Array): { persons: Float64Array; indexOf: Int32Array } {
  const sorted = Float64Array.from(personIds).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i];
  const persons = sorted.slice(0, n);
  const indexOf = new Int32Array(personIds.length);
  for (let i = 0; i < personIds.length; i++) {
    let lo = 0;
    let hi = n - 1;
    const id = personIds[i];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (persons[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    indexOf[i] = lo;
  }
  return { persons, indexOf };
}

/** Per-record link method codes from the job's dictionary-encoded `link_method` column. */
function methodCodes(clusters: Table, jobId: string, records: number): { method: Uint8Array; probability: Float64Array } {
  const method = new Uint8Array(records);
  const probability = concatNumbers(clusters, 'match_probability', (n) => new Float64Array(n));
  const column = clusters.getChild('link_method');
  if (column === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `job ${jobId} clusters have no link_method column`);
  let at = 0;
  for (const chunk of column.data) {
    const labels = chunk.dictionary as Vector;
    const codes = new Uint8Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const code = (LINK_METHOD_NAMES as readonly string[]).indexOf(String(labels.get(i)));
      codes[i] = code < 0 ? LINK_UNLINKED : code;
    }
    const indices = chunk.values as Int32Array;
    for (let i = 0; i < chunk.length; i++) method[at + i] = codes[indices[i]];
    at += chunk.length;
  }
  return { method, probability };
}

export async function buildRelease(ctx: PipelineContext, principal: Principal, jobId: string): Promise<ReleaseRecord> {
  const job = ctx.store.getJob(jobId);
  if (job === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${jobId}`, { job: jobId });
  if (job.status !== 'succeeded') throw new KoppelError('KOPPEL_ERR_LINK_JOB_NOT_DONE', `job ${jobId} is ${job.status}`, { job: jobId, status: job.status });
  const project = ctx.store.getProject(job.project_id);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${job.project_id}`);
  const settings = job.settings as JobSettings;
  const deliveries = settings.deliveries.map((id) => {
    const d = ctx.store.getDelivery(id);
    if (d === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `job ${jobId} names a delivery that is gone`, { job: jobId });
    return d;
  });

  const clusters = await ctx.store.readJobFile(jobId, 'clusters');
  const records = clusters.numRows;
  const deliveryOfRecord = concatNumbers(clusters, 'delivery', (n) => new Int32Array(n));
  const { persons, indexOf } = densePersons(concatNumbers(clusters, 'person_id', (n) => new Float64Array(n)));
  const { method, probability } = methodCodes(clusters, jobId, records);
  const sources = await releaseSources(ctx, project, deliveries, deliveryOfRecord, indexOf, method, probability);
  const generalised = generaliseKeyVariables(project, sources);

  const keyId = ctx.keyring.currentId;
  const releaseKey = purposeKey(ctx, PURPOSES.release(project.id), keyId);
  const assembled = assembleRelease({
    personCount: persons.length,
    pseudonyms: releasePseudonyms(releaseKey, persons),
    keyVariables: project.key_variables,
    k: project.k,
    hierarchies: project.hierarchies,
    suppressionLimit: project.suppression_limit,
    sensitive: project.sensitive,
    sources,
    batchRows: ctx.config.batchRows,
  });
  const builtAt = new Date().toISOString();
  const manifest = (releaseId: string) => buildDraftManifest({
    release_id: releaseId,
    project: { id: project.id, title: project.title, legal_basis: project.legal_basis, valid_from: project.valid_from, valid_to: project.valid_to },
    job: { id: job.id, settings: job.settings },
    koppel_version: ctx.version,
    key_ids: { [PURPOSES.nationalId]: deliveries[0]?.key_id ?? keyId, [PURPOSES.release(project.id)]: keyId },
    files: describeTables(assembled),
    disclosure_control: { ...assembled.disclosure_control, generalised },
    built_by: principal.id,
    built_at: builtAt,
  });
  const release = ctx.store.createRelease(job.id, project.id, assembled.tables.map((t) => ({ name: t.name, table: t.table })), manifest, principal.id);
  recordAudit(ctx, {
    actor: principal.id, action: 'release.build', target: release.id, outcome: 'ok',
    detail: { job: job.id, project: project.id, files: assembled.tables.map((t) => t.name), suppressed_values: assembled.disclosure_control.suppressed_values },
  });
  return release;
}

/**
 * Applies the project's recodings to the key-variable columns of every source (in place), and
 * says what was done, for the manifest.
 */
function generaliseKeyVariables(project: ProjectRecord, sources: ReleaseSourceInput[]): Record<string, string> {
  const done: Record<string, string> = {};
  for (const [name, rule] of Object.entries(project.generalise ?? {})) {
    for (const source of sources) {
      const column = source.columns[name];
      if (column === undefined) continue;
      const type = column.type;
      if (!canGeneralise(type, rule)) {
        throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', `key variable ${name} of ${source.name} is ${String(type)} and cannot be generalised by ${describeGeneralisation(rule)}`, { variable: name, dataset: source.name });
      }
      (source.columns as Record<string, Vector | Data>)[name] = generaliseColumn(column, rule);
    }
    done[name] = describeGeneralisation(rule);
  }
  return done;
}

/** One release source per approved dataset: its deliveries' rows concatenated in job order. */
async function releaseSources(
  ctx: PipelineContext, project: ProjectRecord, deliveries: readonly DeliveryRecord[], deliveryOfRecord: Int32Array,
  personIndex: Int32Array, method: Uint8Array, probability: Float64Array,
): Promise<ReleaseSourceInput[]> {
  const datasets = [...new Set(deliveries.map((d) => d.dataset))];
  const recordsOfDelivery = new Int32Array(deliveries.length);
  for (let r = 0; r < deliveryOfRecord.length; r++) recordsOfDelivery[deliveryOfRecord[r]]++;
  const out: ReleaseSourceInput[] = [];
  for (const dataset of datasets) {
    const approved = project.approved[dataset] ?? [];
    const parts = deliveries.map((d, i) => ({ d, i })).filter(({ d }) => d.dataset === dataset);
    const isPart = new Uint8Array(deliveries.length);
    let rows = 0;
    for (const { i } of parts) {
      isPart[i] = 1;
      rows += recordsOfDelivery[i];
    }
    const personOfRow = new Int32Array(rows);
    const linkMethod = new Uint8Array(rows);
    const matchProbability = new Float64Array(rows);
    const periods: PeriodRun[] = [];
    const columns: Record<string, Vector> = {};
    // The job's records of each delivery keep the delivery's row order, as payload.arrow does.
    let at = 0;
    for (let r = 0; r < deliveryOfRecord.length; r++) {
      if (isPart[deliveryOfRecord[r]] === 0) continue;
      personOfRow[at] = personIndex[r];
      linkMethod[at] = method[r];
      matchProbability[at] = probability[r];
      at++;
    }
    for (const { d, i } of parts) {
      const payload = await ctx.store.readDeliveryFile(d.id, 'payload');
      deliveryFormatOf(payload.schema, `deliveries/${d.id}/payload.arrow`);
      const count = recordsOfDelivery[i];
      if (count !== payload.numRows) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `delivery ${d.id} has ${payload.numRows} payload rows but the job linked ${count}`);
      periods.push({ period: d.period, rows: count });
      for (const name of approved) {
        const column = payload.getChild(name);
        if (column === null) throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', `delivery ${d.id} has no attribute ${name}`, { dataset, attribute: name });
        columns[name] = columns[name] === undefined ? column : columns[name].concat(column);
      }
    }
    out.push({ name: dataset, personOfRow, periods, approved, columns, linkMethod, matchProbability });
  }
  return out;
}

function approvedManifestOf(release: ReleaseRecord): ReleaseManifest {
  return release.manifest as unknown as ReleaseManifest;
}

export function approveRelease(ctx: PipelineContext, principal: Principal, releaseId: string): ReleaseRecord {
  const existing = ctx.store.getRelease(releaseId);
  if (existing === null) throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_FOUND', `no release ${releaseId}`, { release: releaseId });
  if (existing.status === 'approved') throw new KoppelError('KOPPEL_ERR_RELEASE_ALREADY_APPROVED', `release ${releaseId} is already approved`, { release: releaseId });
  if (existing.created_by === principal.id) {
    throw new KoppelError('KOPPEL_ERR_AUTH_FOUR_EYES', `${principal.id} built release ${releaseId} and may not approve it; a second operator must`, { release: releaseId });
  }
  // The approval entry goes in first, so that the head the manifest records covers it.
  recordAudit(ctx, { actor: principal.id, action: 'release.approve', target: releaseId, outcome: 'ok', detail: { builder: existing.created_by } });
  const head = ctx.store.auditHead();
  if (head === null) throw new KoppelError('KOPPEL_ERR_STORE_AUDIT_BROKEN', 'the audit trail is empty after an append');
  const approvedAt = new Date().toISOString();
  return ctx.store.approveRelease(releaseId, principal.id, (draft) => finaliseManifest(draft as unknown as ReleaseManifest, {
    approved_by: principal.id, approved_at: approvedAt, audit_head: head,
  }));
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * What a principal may see of a release: operators everything; a researcher only approved
 * releases of projects that name it. Anything else is "not found", so that a researcher cannot
 * learn which releases exist.
 */
function visibleRelease(ctx: PipelineContext, principal: Principal, releaseId: string): { release: ReleaseRecord; project: ProjectRecord } {
  const release = ctx.store.getRelease(releaseId);
  const project = release === null ? null : ctx.store.getProject(release.project_id);
  if (release !== null && project !== null) {
    if (principal.role === 'operator') return { release, project };
    if (principal.role === 'researcher' && release.status === 'approved' && project.researchers.includes(principal.id)) return { release, project };
  }
  throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_FOUND', `no release ${releaseId} visible to ${principal.id}`, { release: releaseId });
}

export function listReleasesFor(ctx: PipelineContext, principal: Principal): ReleaseRecord[] {
  if (principal.role === 'operator') return ctx.store.listReleases();
  const projects = ctx.store.listProjects().filter((p) => p.researchers.includes(principal.id)).map((p) => p.id);
  if (projects.length === 0) return [];
  return ctx.store.listReleases({ projectIds: projects, status: 'approved' });
}

export function readReleaseFor(ctx: PipelineContext, principal: Principal, releaseId: string): ReleaseRecord {
  return visibleRelease(ctx, principal, releaseId).release;
}

export interface ReleaseDownload {
  readonly stream: Readable;
  readonly contentType: string;
  readonly filename: string;
}

/**
 * A researcher's download. The stored file is verified against the sha256 its manifest records
 * before anything is returned (a mismatch is KOPPEL_ERR_STORE_CORRUPT and nothing is sent),
 * then streamed: `.arrow` as the file's bytes, `.csv` rendered batch by batch from it. Neither
 * holds the file in memory.
 */
export async function openReleaseDownload(ctx: PipelineContext, principal: Principal, releaseId: string, filename: string): Promise<ReleaseDownload> {
  const { release, project } = visibleRelease(ctx, principal, releaseId);
  const today = todayUtc();
  if (today < project.valid_from || today > project.valid_to) {
    throw new KoppelError('KOPPEL_ERR_AUTH_OUTSIDE_VALIDITY', `project ${project.id} allows downloads from ${project.valid_from} to ${project.valid_to}`, { project: project.id });
  }
  const match = /^([a-z][a-z0-9_]*)\.(arrow|csv)$/.exec(filename);
  const stem = match?.[1];
  const listed = approvedManifestOf(release).files.some((f) => f.name === stem);
  if (match === null || stem === undefined || !listed) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_FILE_NOT_FOUND', `release ${releaseId} has no file ${filename.slice(0, 80)}`, { release: releaseId });
  }
  const file = await ctx.store.openReleaseFile(releaseId, stem);
  if (file === null) throw new KoppelError('KOPPEL_ERR_RELEASE_FILE_NOT_FOUND', `release ${releaseId} has no file ${filename}`, { release: releaseId });
  let stream: Readable;
  let contentType: string;
  try {
    if (match[2] === 'arrow') {
      stream = file.byteStream();
      contentType = 'application/vnd.apache.arrow.file';
    } else {
      stream = Readable.from(renderCsv(await file.arrow()));
      contentType = 'text/csv; charset=utf-8';
    }
  } catch (err) {
    await file.close();
    throw err;
  }
  // A client that goes away before the first batch is read leaves the file to be closed here.
  stream.once('close', () => void file.close());
  recordAudit(ctx, { actor: principal.id, action: 'release.download', target: releaseId, outcome: 'ok', detail: { file: filename, project: project.id } });
  return { stream, contentType, filename };
}
