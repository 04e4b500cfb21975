/**
 * Exposure across releases (issue 10): release pseudonyms differ between projects and between
 * releases, but the record-level columns of `<dataset>.arrow` do not. A researcher who holds two
 * releases carrying the same dataset's same attribute columns (whatever delivery version or
 * period carries the rows) can match records on them (sorted wage rows linked 6,306 of 6,308
 * persons across three projects), and then difference the two persons files.
 *
 * So a release is refused when a researcher of its project already holds an approved release
 * (of another project, or of the same project unless it is longitudinal, whose releases share
 * pseudonyms by declaration) with at least one record-level attribute column of the same
 * dataset in common, unless the building operator gives a justification; the shared columns
 * and the justification go into the manifest and the audit trail. The check runs again at
 * approval against the releases approved by then, so two drafts cannot slip past each other.
 */
import { KoppelError } from '../errors.js';
import type { ProjectRecord, ReleaseRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';

/** Columns of a release's dataset files that are not record-level attributes. */
const NOT_ATTRIBUTES = new Set(['pseudonym', 'period', 'link_method', 'match_probability']);
const PERSONS = 'persons';

export interface PlannedFile {
  readonly name: string;
  readonly columns: readonly string[];
}

/** One release already held that shares record-level columns of one dataset. */
export interface ExposureShare {
  readonly release: string;
  readonly project: string;
  readonly dataset: string;
  readonly columns: readonly string[];
  readonly researchers: readonly string[];
}

function recordColumns(files: readonly PlannedFile[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of files) {
    if (f.name === PERSONS) continue;
    out.set(f.name, new Set(f.columns.filter((c) => !NOT_ATTRIBUTES.has(c))));
  }
  return out;
}

function filesOf(release: ReleaseRecord): PlannedFile[] {
  const files = (release.manifest as { files?: unknown }).files;
  return Array.isArray(files) ? (files as PlannedFile[]).filter((f) => typeof f?.name === 'string' && Array.isArray(f.columns)) : [];
}

/** The approved releases that a researcher of `project` holds and that share columns with `files`. */
export function exposureOf(ctx: PipelineContext, project: ProjectRecord, files: readonly PlannedFile[], self?: string): ExposureShare[] {
  const mine = recordColumns(files);
  const shares: ExposureShare[] = [];
  const projects = new Map(ctx.store.listProjects().map((p) => [p.id, p]));
  for (const release of ctx.store.listReleases({ status: 'approved' })) {
    if (release.id === self) continue;
    const other = projects.get(release.project_id);
    if (other === undefined) continue;
    if (other.id === project.id && project.longitudinal === true) continue;
    const researchers = project.researchers.filter((r) => other.researchers.includes(r));
    if (researchers.length === 0) continue;
    for (const [dataset, columns] of recordColumns(filesOf(release))) {
      const shared = [...(mine.get(dataset) ?? [])].filter((c) => columns.has(c));
      if (shared.length > 0) shares.push({ release: release.id, project: other.id, dataset, columns: shared, researchers });
    }
  }
  return shares;
}

export function exposureError(shares: readonly ExposureShare[], what: string): KoppelError {
  const list = shares.map((s) => `${s.researchers.join(', ')} hold${s.researchers.length === 1 ? 's' : ''} ${s.dataset} (${s.columns.join(', ')}) in release ${s.release} of project ${s.project}`);
  return new KoppelError('KOPPEL_ERR_RELEASE_CROSS_EXPOSURE', `${what}: ${list.join('; ')}; leave the shared columns out, or build with a justification`, {
    releases: [...new Set(shares.map((s) => s.release))],
    datasets: [...new Set(shares.map((s) => s.dataset))],
  });
}

/** Shares found now that the manifest's recorded (justified) shares do not cover. */
export function uncovered(now: readonly ExposureShare[], recorded: readonly ExposureShare[]): ExposureShare[] {
  return now.filter((s) => !recorded.some((r) => r.release === s.release && r.dataset === s.dataset && s.columns.every((c) => r.columns.includes(c))));
}
