/**
 * Releases: an operator builds one from a finished job (approved variables only, per-release
 * pseudonyms, k-anonymity on the persons file, exposure to the researchers' other releases, a
 * draft manifest); a second operator
 * approves it (four-eyes), which finalises the manifest with the audit chain head; researchers
 * of the project list and download approved releases within the project's validity window.
 */
import { Readable } from 'node:stream';
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { PURPOSES, releasePseudonyms } from '../pseudonymise/index.js';
import { derivePurposeKey } from '../pseudonymise/key-derivation.js';
import {
  assembleRelease, buildDraftManifest, describeTables, finaliseManifest, metadataRules, renderCsv,
  KEY_COPY_LAMBDA, KEY_COPY_MIN_PERSONS, type ReleaseManifest,
} from '../release/index.js';
import type { ProjectRecord, ReleaseRecord } from '../store/index.js';
import { concatNumbers } from '../util/arrow-columns.js';
import { purposeKey, type PipelineContext } from './context.js';
import type { JobSettings } from './jobs.js';
import { recordAudit } from './audit.js';
import { densePersons, generaliseKeyVariables, methodCodes, releaseSources } from './release-sources.js';
import { exposureError, exposureOf, uncovered } from './release-exposure.js';

export interface BuildOptions {
  /** Why the researchers may hold this release next to others sharing its record-level columns (release-exposure.ts). */
  readonly justification?: string;
}

export async function buildRelease(ctx: PipelineContext, principal: Principal, jobId: string, options: BuildOptions = {}): Promise<ReleaseRecord> {
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

  // Per-release pseudonyms unless the project is longitudinal (design.md "Keys").
  const releaseId = ctx.store.newReleaseId();
  const purpose = project.longitudinal === true ? PURPOSES.release(project.id) : PURPOSES.release(project.id, releaseId);
  const keyId = ctx.keyring.currentId;
  const releaseKey = project.longitudinal === true ? purposeKey(ctx, purpose, keyId) : derivePurposeKey(ctx.keyring.get(keyId), purpose);
  const rules = metadataRules(project.release_metadata);
  const assembled = assembleRelease({
    personCount: persons.length,
    pseudonyms: releasePseudonyms(releaseKey, persons),
    keyVariables: project.key_variables,
    k: project.k,
    sources,
    batchRows: ctx.config.batchRows,
    metadata: rules,
    hierarchies: project.hierarchies,
    suppressionLimit: project.suppression_limit,
    sensitive: project.sensitive,
  });
  const files = describeTables(assembled);
  const shared = exposureOf(ctx, project, files);
  const justification = options.justification ?? null;
  if (shared.length > 0 && justification === null) {
    recordAudit(ctx, { actor: principal.id, action: 'release.build', target: job.id, outcome: 'refused', detail: { project: project.id, exposure: shared.map((e) => ({ ...e })) } });
    throw exposureError(shared, `researchers of project ${project.id} already hold releases with the same record-level columns`);
  }
  const builtAt = new Date().toISOString();
  const manifest = (id: string) => buildDraftManifest({
    release_id: id,
    project: { id: project.id, title: project.title, legal_basis: project.legal_basis, valid_from: project.valid_from, valid_to: project.valid_to },
    job: { id: job.id, settings: job.settings },
    koppel_version: ctx.version,
    key_ids: { [PURPOSES.nationalId]: deliveries[0]?.key_id ?? keyId, [purpose]: keyId },
    files,
    disclosure_control: { ...assembled.disclosure_control, generalised },
    rules: {
      pseudonyms: project.longitudinal === true ? 'longitudinal' : 'per_release',
      release_key_purpose: purpose,
      release_metadata: assembled.metadata,
      key_variable_copies: { lambda: KEY_COPY_LAMBDA, min_persons: KEY_COPY_MIN_PERSONS },
      exposure: { shared, justification: shared.length > 0 ? justification : null },
    },
    built_by: principal.id,
    built_at: builtAt,
  });
  const release = ctx.store.createRelease(job.id, project.id, assembled.tables.map((t) => ({ name: t.name, table: t.table })), manifest, principal.id, releaseId);
  recordAudit(ctx, {
    actor: principal.id, action: 'release.build', target: release.id, outcome: 'ok',
    detail: {
      job: job.id, project: project.id, files: ctx.store.releaseAuditFiles(release), suppressed_values: assembled.disclosure_control.suppressed_values,
      ...(shared.length > 0 ? { exposure: shared.map((e) => ({ ...e })), justification } : {}),
    },
  });
  return release;
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
  // Releases approved since this one was built may now share its record-level columns.
  const project = ctx.store.getProject(existing.project_id);
  const draft = approvedManifestOf(existing);
  const fresh = project === null ? [] : uncovered(exposureOf(ctx, project, draft.files, releaseId), draft.rules?.exposure.shared ?? []);
  if (fresh.length > 0) {
    recordAudit(ctx, { actor: principal.id, action: 'release.approve', target: releaseId, outcome: 'refused', detail: { exposure: fresh.map((e) => ({ ...e })) } });
    throw exposureError(fresh, `release ${releaseId} was built before releases that share its record-level columns were approved; build it again with a justification`);
  }
  // The entry is written in the approval's own transaction (Store.approveRelease): the head the
  // manifest records covers it, and a failed approval leaves no entry behind.
  const approvedAt = new Date().toISOString();
  const entry = {
    actor: principal.id, action: 'release.approve', target: releaseId, outcome: 'ok' as const,
    detail: { builder: existing.created_by, files: ctx.store.releaseAuditFiles(existing) },
  };
  return ctx.store.approveRelease(releaseId, principal.id, entry, (draft, head) => finaliseManifest(draft as unknown as ReleaseManifest, {
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

function withinValidity(project: ProjectRecord, today: string): boolean {
  return today >= project.valid_from && today <= project.valid_to;
}

/** Operators: every release. A researcher: approved releases of its projects within their validity window only. */
export function listReleasesFor(ctx: PipelineContext, principal: Principal): ReleaseRecord[] {
  if (principal.role === 'operator') return ctx.store.listReleases();
  const today = todayUtc();
  const projects = ctx.store.listProjects().filter((p) => p.researchers.includes(principal.id) && withinValidity(p, today)).map((p) => p.id);
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
  if (!withinValidity(project, todayUtc())) {
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
  recordAudit(ctx, { actor: principal.id, action: 'release.download', target: releaseId, outcome: 'ok', detail: { file: filename, project: project.id, files: ctx.store.releaseAuditFiles(release, stem) } });
  return { stream, contentType, filename };
}
