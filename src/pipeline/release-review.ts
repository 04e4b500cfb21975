/**
 * Approved releases after the fact: a recheck under today's rules (release/recheck.ts on the
 * files it holds, and the exposure to other releases its researchers held when it was
 * approved), and withdrawal by an operator. A release approved under older rules is never
 * changed by either: its manifest says which rules applied (MANIFEST_VERSION), a recheck only
 * reports, and a withdrawn release keeps its files and ledger rows (what was handed out stays
 * handed out) while its downloads answer KOPPEL_ERR_RELEASE_WITHDRAWN.
 */
import { KoppelError } from '../errors.js';
import { recheckTables, type RecheckFinding, type ReleaseManifest } from '../release/index.js';
import type { ReleaseRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import { exposureOf, uncovered } from './release-exposure.js';

export interface RecheckResult {
  readonly release: string;
  readonly project: string;
  readonly manifest_version: number;
  readonly withdrawn: boolean;
  /** A build like this release would be refused today. */
  readonly would_refuse: boolean;
  readonly findings: readonly RecheckFinding[];
}

function approvedRelease(ctx: PipelineContext, releaseId: string): ReleaseRecord {
  const release = ctx.store.getRelease(releaseId);
  if (release === null) throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_FOUND', `no release ${releaseId}`, { release: releaseId });
  if (release.status !== 'approved') throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_APPROVED', `release ${releaseId} is a draft`, { release: releaseId });
  return release;
}

async function tablesOf(ctx: PipelineContext, release: ReleaseRecord, manifest: ReleaseManifest) {
  const read = async (name: string) => {
    const file = await ctx.store.openReleaseFile(release.id, name);
    if (file === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `release ${release.id} lists ${name} but has no such file`, { release: release.id });
    return file.table();
  };
  const persons = await read('persons');
  const datasets = [];
  for (const f of manifest.files) if (f.name !== 'persons') datasets.push({ name: f.name, table: await read(f.name) });
  return { persons, datasets };
}

/** Shares with releases approved before this one that its manifest does not record as justified. */
function exposureFindings(ctx: PipelineContext, release: ReleaseRecord, manifest: ReleaseManifest): RecheckFinding[] {
  const project = ctx.store.getProject(release.project_id);
  if (project === null) return [];
  const approvedAt = new Map(ctx.store.listReleases({ status: 'approved' }).map((r) => [r.id, r.approved_at ?? '']));
  const before = exposureOf(ctx, project, manifest.files, release.id).filter((s) => (approvedAt.get(s.release) ?? '') < (release.approved_at ?? ''));
  return uncovered(before, manifest.rules?.exposure.shared ?? []).map((s) => ({
    rule: 'exposure' as const,
    message: `${s.researchers.join(', ')} held ${s.dataset} (${s.columns.join(', ')}) in release ${s.release} of project ${s.project}, without a recorded justification`,
  }));
}

export async function recheckRelease(ctx: PipelineContext, actor: string, releaseId: string): Promise<RecheckResult> {
  const release = approvedRelease(ctx, releaseId);
  const manifest = release.manifest as unknown as ReleaseManifest;
  const { persons, datasets } = await tablesOf(ctx, release, manifest);
  const findings = [...recheckTables(persons, datasets, manifest.disclosure_control.k), ...exposureFindings(ctx, release, manifest)];
  const result: RecheckResult = {
    release: release.id, project: release.project_id, manifest_version: manifest.manifest_version,
    withdrawn: release.withdrawn !== null, would_refuse: findings.length > 0, findings,
  };
  recordAudit(ctx, { actor, action: 'release.recheck', target: release.id, outcome: 'ok', detail: { would_refuse: result.would_refuse, rules: findings.map((f) => f.rule) } });
  return result;
}

/** Every approved release, rechecked (the CLI without a release id). */
export async function recheckAll(ctx: PipelineContext, actor: string): Promise<RecheckResult[]> {
  const out: RecheckResult[] = [];
  for (const r of ctx.store.listReleases({ status: 'approved' })) out.push(await recheckRelease(ctx, actor, r.id));
  return out;
}

export function withdrawRelease(ctx: PipelineContext, actor: string, releaseId: string, reason: string): ReleaseRecord {
  const release = approvedRelease(ctx, releaseId);
  if (release.withdrawn !== null || !ctx.store.withdrawRelease(releaseId, actor, reason)) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_APPROVED', `release ${releaseId} is already withdrawn`, { release: releaseId });
  }
  recordAudit(ctx, { actor, action: 'release.withdraw', target: releaseId, outcome: 'ok', detail: { project: release.project_id, reason } });
  return ctx.store.getRelease(releaseId)!;
}
