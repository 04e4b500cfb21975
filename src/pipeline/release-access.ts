/**
 * What principals see of releases: operators every release and manifest; a researcher the
 * approved releases of its projects, and their files within the project's validity window.
 */
import { Readable } from 'node:stream';
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { renderCsv, type ReleaseManifest } from '../release/index.js';
import type { ProjectRecord, ReleaseRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';

function approvedManifestOf(release: ReleaseRecord): ReleaseManifest {
  return release.manifest as unknown as ReleaseManifest;
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

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  arrow: 'application/vnd.apache.arrow.file',
  parquet: 'application/vnd.apache.parquet',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/**
 * The stored file behind a download name, if the manifest lists it: `<table>.arrow`,
 * `<table>.csv` (rendered from the Arrow file), `<table>.parquet` (a release of manifest
 * version 3 on) or a document such as `quality.html`.
 */
function storedFileOf(manifest: ReleaseManifest, filename: string): { stored: string; kind: string } | null {
  const match = /^([a-z][a-z0-9_]*)\.(arrow|csv|parquet|html)$/.exec(filename);
  if (match === null) return null;
  const [, stem, kind] = match;
  if (kind === 'html') return (manifest.documents ?? []).some((d) => d.file === filename) ? { stored: filename, kind } : null;
  const table = manifest.files.find((f) => f.name === stem);
  if (table === undefined) return null;
  if (kind === 'parquet') return table.parquet === undefined ? null : { stored: table.parquet.file, kind };
  return { stored: stem, kind };
}

/**
 * A researcher's download. The stored file is verified against the sha256 its manifest records
 * before anything is returned (a mismatch is KOPPEL_ERR_STORE_CORRUPT and nothing is sent),
 * then streamed: `.arrow`, `.parquet` and `.html` as the file's bytes, `.csv` rendered batch by
 * batch from the Arrow file. None holds the file in memory. A withdrawn release answers
 * KOPPEL_ERR_RELEASE_WITHDRAWN.
 */
export async function openReleaseDownload(ctx: PipelineContext, principal: Principal, releaseId: string, filename: string): Promise<ReleaseDownload> {
  const { release, project } = visibleRelease(ctx, principal, releaseId);
  if (release.withdrawn !== null) {
    recordAudit(ctx, { actor: principal.id, action: 'release.download', target: releaseId, outcome: 'refused', detail: { file: filename.slice(0, 80), withdrawn: true } });
    throw new KoppelError('KOPPEL_ERR_RELEASE_WITHDRAWN', `release ${releaseId} was withdrawn on ${release.withdrawn.at.slice(0, 10)}`, { release: releaseId });
  }
  if (!withinValidity(project, todayUtc())) {
    throw new KoppelError('KOPPEL_ERR_AUTH_OUTSIDE_VALIDITY', `project ${project.id} allows downloads from ${project.valid_from} to ${project.valid_to}`, { project: project.id });
  }
  const target = storedFileOf(approvedManifestOf(release), filename);
  const file = target === null ? null : await ctx.store.openReleaseFile(releaseId, target.stored);
  if (target === null || file === null) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_FILE_NOT_FOUND', `release ${releaseId} has no file ${filename.slice(0, 80)}`, { release: releaseId });
  }
  let stream: Readable;
  try {
    stream = target.kind === 'csv' ? Readable.from(renderCsv(await file.arrow())) : file.byteStream();
  } catch (err) {
    await file.close();
    throw err;
  }
  // A client that goes away before the first batch is read leaves the file to be closed here.
  stream.once('close', () => void file.close());
  recordAudit(ctx, { actor: principal.id, action: 'release.download', target: releaseId, outcome: 'ok', detail: { file: filename, project: project.id, files: ctx.store.releaseAuditFiles(release, /\.(parquet|html)$/.test(target.stored) ? target.stored : `${target.stored}.arrow`) } });
  return { stream, contentType: CONTENT_TYPES[target.kind], filename };
}
