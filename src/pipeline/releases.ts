/**
 * Releases: an operator builds one from a finished job (approved variables only, per-release
 * pseudonyms, k-anonymity on the persons file, exposure to the researchers' other releases, a
 * draft manifest); the reading, assembly and writing of files run in a worker thread
 * (release-worker-client.ts), while this thread keeps to SQLite: lookups, the ledger, the
 * exposure check, the audit trail and the commit. A second operator
 * approves it (four-eyes), which finalises the manifest with the audit chain head. What
 * researchers see of them is release-access.ts.
 */
import { personChangesForRelease } from './release-person-changes.js';
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { PURPOSES } from '../pseudonymise/index.js';
import { derivePurposeKey } from '../pseudonymise/key-derivation.js';
import {
  buildDraftManifest, finaliseManifest, KEY_COPY_LAMBDA, KEY_COPY_MIN_PERSONS, QUALITY_FILE, qualityHtml, qualityReport,
  type JobQualityInput, type QualityReport, type ReleaseManifest,
} from '../release/index.js';
import type { DeliveryRecord, JobRecord, ProjectRecord, ReleaseRecord, StoredFile } from '../store/index.js';
import { purposeKey, type PipelineContext } from './context.js';
import { seriesKeyId } from './key-window.js';
import type { JobSettings } from './jobs.js';
import { recordAudit } from './audit.js';
import { exposureError, exposureOf, uncovered, type ExposureShare } from './release-exposure.js';
import { openReleaseRunner } from './release-worker-client.js';
import type { AssembledSummary } from './release-worker-tasks.js';
import { refuseProductOwners } from './product-four-eyes.js';

export interface BuildOptions {
  /** Why the researchers may hold this release next to others sharing its record-level columns (release-exposure.ts). */
  readonly justification?: string;
}

/** A finished job, its project and its deliveries. */
function finishedJob(ctx: PipelineContext, jobId: string): { job: JobRecord; project: ProjectRecord; deliveries: DeliveryRecord[] } {
  const job = ctx.store.getJob(jobId);
  if (job === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${jobId}`, { job: jobId });
  if (job.status !== 'succeeded') throw new KoppelError('KOPPEL_ERR_LINK_JOB_NOT_DONE', `job ${jobId} is ${job.status}`, { job: jobId, status: job.status });
  const project = ctx.store.getProject(job.project_id);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${job.project_id}`);
  const deliveries = (job.settings as JobSettings).deliveries.map((id) => {
    const d = ctx.store.getDelivery(id);
    if (d === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `job ${jobId} names a delivery that is gone`, { job: jobId });
    return d;
  });
  return { job, project, deliveries };
}

export async function buildRelease(ctx: PipelineContext, principal: Principal, jobId: string, options: BuildOptions = {}): Promise<ReleaseRecord> {
  const { job, project, deliveries } = finishedJob(ctx, jobId);
  // Per-release pseudonyms unless the project is longitudinal (design.md "Keys").
  const releaseId = ctx.store.newReleaseId();
  const purpose = project.longitudinal === true ? PURPOSES.release(project.id) : PURPOSES.release(project.id, releaseId);
  // A longitudinal series keeps its key through a key rotation window (key-window.ts).
  const keyId = project.longitudinal === true ? seriesKeyId(ctx, project.id) : ctx.keyring.currentId;
  const releaseKey = project.longitudinal === true ? purposeKey(ctx, purpose, keyId) : derivePurposeKey(ctx.keyring.get(keyId), purpose);
  // A longitudinal project's releases are joinable: the new one is made consistent with the
  // ledger of its approved ones (release/longitudinal.ts).
  const prior = project.longitudinal === true ? ctx.store.releaseLedger(project.id) : null;
  const runner = await openReleaseRunner(ctx);
  try {
    // The heavy part runs in the runner (a worker thread); this thread keeps to SQLite.
    const assembled = await runner.assemble({
      jobId: job.id,
      clusters: ctx.store.jobFileRef(job.id, 'clusters'),
      deliveries: deliveries.map((d) => ({ id: d.id, dataset: d.dataset, period: d.period, payload: ctx.store.deliveryFileRef(d.id, 'payload') })),
      project,
      releaseKey,
      batchRows: ctx.config.batchRows,
      ledger: prior === null ? null : { history: prior.rows, priorReleases: prior.releases.length },
    });
    const shared = exposureOf(ctx, project, assembled.files);
    const justification = options.justification ?? null;
    if (shared.length > 0 && justification === null) {
      recordAudit(ctx, { actor: principal.id, action: 'release.build', target: job.id, outcome: 'refused', detail: { project: project.id, exposure: shared.map((e) => ({ ...e })) } });
      throw exposureError(shared, `researchers of project ${project.id} already hold releases with the same record-level columns`);
    }
    const quality = qualityReport(job.report as unknown as JobQualityInput);
    const staging = ctx.store.stageRelease();
    let written: StoredFile[];
    try {
      written = await runner.write(staging);
    } catch (err) {
      staging.abort();
      throw err;
    }
    const manifest = draftManifest(ctx, principal, { job, project, deliveries, purpose, keyId, prior, assembled, quality, exposure: { shared, justification } });
    const release = ctx.store.commitRelease(
      staging, { jobId: job.id, projectId: project.id, id: releaseId, by: principal.id }, written, manifest,
      { ledger: assembled.ledger?.entries, documents: [{ name: QUALITY_FILE, bytes: Buffer.from(qualityHtml(quality, { id: releaseId, project: project.id })) }] },
    );
    recordAudit(ctx, {
      actor: principal.id, action: 'release.build', target: release.id, outcome: 'ok',
      detail: {
        job: job.id, project: project.id, files: ctx.store.releaseAuditFiles(release), suppressed_values: assembled.disclosure_control.suppressed_values,
        ...(shared.length > 0 ? { exposure: shared.map((e) => ({ ...e })), justification } : {}),
        ...(assembled.ledger === undefined ? {} : { ledger: { rows: assembled.ledger.entries.length, ...assembled.ledger.report } }),
      },
    });
    ctx.log.info({ release: release.id, job: job.id, records: assembled.records, mode: runner.mode }, 'release built');
    return release;
  } finally {
    await runner.close();
  }
}

/** What a draft manifest records of one build. */
interface BuildFacts {
  readonly job: JobRecord;
  readonly project: ProjectRecord;
  readonly deliveries: readonly DeliveryRecord[];
  readonly purpose: string;
  readonly keyId: string;
  readonly prior: { readonly releases: string[] } | null;
  readonly assembled: AssembledSummary;
  readonly quality: QualityReport;
  readonly exposure: { readonly shared: ExposureShare[]; readonly justification: string | null };
}

/** The draft manifest, as a function of the release id (Store.commitRelease). */
function draftManifest(ctx: PipelineContext, principal: Principal, facts: BuildFacts): (id: string) => object {
  const { job, project, deliveries, purpose, keyId, prior, assembled, quality, exposure } = facts;
  const builtAt = new Date().toISOString();
  const personChanges = personChangesForRelease(ctx, project.id, project.longitudinal === true ? purposeKey(ctx, purpose, keyId) : null);
  return (id: string) => buildDraftManifest({
    release_id: id,
    project: { id: project.id, title: project.title, legal_basis: project.legal_basis, valid_from: project.valid_from, valid_to: project.valid_to },
    job: { id: job.id, settings: job.settings },
    koppel_version: ctx.version,
    key_ids: { [PURPOSES.nationalId]: deliveries[0]?.key_id ?? keyId, [purpose]: keyId },
    files: assembled.files,
    linkage_quality: quality,
    disclosure_control: {
      ...assembled.disclosure_control, generalised: assembled.generalised,
      ...(assembled.ledger === undefined || prior === null ? {} : { longitudinal: { ...assembled.ledger.report, checked_against: prior.releases } }),
    },
    rules: {
      pseudonyms: project.longitudinal === true ? 'longitudinal' : 'per_release',
      release_key_purpose: purpose,
      release_metadata: assembled.metadata,
      key_variable_copies: { lambda: KEY_COPY_LAMBDA, min_persons: KEY_COPY_MIN_PERSONS },
      exposure: { shared: exposure.shared, justification: exposure.shared.length > 0 ? exposure.justification : null },
    },
    built_by: principal.id,
    built_at: builtAt,
    person_changes: personChanges,
  });
}

export function approveRelease(ctx: PipelineContext, principal: Principal, releaseId: string): ReleaseRecord {
  const existing = ctx.store.getRelease(releaseId);
  if (existing === null) throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_FOUND', `no release ${releaseId}`, { release: releaseId });
  if (existing.status === 'approved') throw new KoppelError('KOPPEL_ERR_RELEASE_ALREADY_APPROVED', `release ${releaseId} is already approved`, { release: releaseId });
  if (existing.created_by === principal.id) {
    throw new KoppelError('KOPPEL_ERR_AUTH_FOUR_EYES', `${principal.id} built release ${releaseId} and may not approve it; a second operator must`, { release: releaseId });
  }
  refuseProductOwners(ctx, principal, existing);
  // Releases approved since this one was built may now share its record-level columns.
  const project = ctx.store.getProject(existing.project_id);
  const draft = existing.manifest as unknown as ReleaseManifest;
  const fresh = project === null ? [] : uncovered(exposureOf(ctx, project, draft.files, releaseId), draft.rules?.exposure.shared ?? []);
  if (fresh.length > 0) {
    recordAudit(ctx, { actor: principal.id, action: 'release.approve', target: releaseId, outcome: 'refused', detail: { exposure: fresh.map((e) => ({ ...e })) } });
    throw exposureError(fresh, `release ${releaseId} was built before releases that share its record-level columns were approved; build it again with a justification`);
  }
  const stale = project?.longitudinal === true ? staleLedger(ctx, existing) : null;
  if (stale !== null) {
    recordAudit(ctx, { actor: principal.id, action: 'release.approve', target: releaseId, outcome: 'refused', detail: { ledger_stale: stale } });
    throw new KoppelError('KOPPEL_ERR_RELEASE_LEDGER_STALE', `release ${releaseId} was checked against ${stale.checked} approved releases of project ${existing.project_id}, and ${stale.now} are approved now; build it again`, { release: releaseId });
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

/**
 * A longitudinal draft was made consistent with the ledger of the releases approved when it
 * was built (`checked_against`); if the approved set changed since, its check is stale. (Its
 * own ledger rows were written in the transaction that recorded it.)
 */
function staleLedger(ctx: PipelineContext, release: ReleaseRecord): { checked: number; now: number } | null {
  const checked = (release.manifest as { disclosure_control?: { longitudinal?: { checked_against?: string[] } } }).disclosure_control?.longitudinal?.checked_against;
  const current = ctx.store.ledgerReleases(release.project_id);
  if (checked === undefined) return { checked: 0, now: current.length };
  const same = checked.length === current.length && checked.every((id, i) => id === current[i]);
  return same ? null : { checked: checked.length, now: current.length };
}
