/**
 * What a release's manifest says of the change log (issue 13): how many merges and splits the
 * project's jobs recorded since its previous approved release and, for a
 * longitudinal project (whose release pseudonyms are stable), which of its pseudonyms were
 * merged or split. Never a persistent person id: those stay inside the TTP.
 */
import type { HmacKeyInput } from '../pseudonymise/hmac-batch.js';
import { releasePseudonyms } from '../pseudonymise/release-pseudonym.js';
import type { PersonChange } from '../store/person-changes.js';
import { utf8ToStrings } from '../util/arrow-columns.js';
import type { PipelineContext } from './context.js';

export interface ManifestPersonChanges {
  /** The previous approved release of the project, or null for its first. */
  readonly since_release: string | null;
  readonly merges: number;
  readonly splits: number;
  /** Longitudinal projects only: release pseudonyms merged into one, or split into several. */
  readonly pseudonyms?: {
    readonly merged: readonly { readonly into: string; readonly from: readonly string[] }[];
    readonly split: readonly { readonly from: string; readonly into: readonly string[] }[];
  };
}

const PAGE = 1000;

/**
 * The changes the project's jobs recorded after its previous approved release.
 * `longitudinalKey`: the project's stable release key, for the pseudonyms; null for per-release
 * pseudonyms.
 */
export function personChangesForRelease(ctx: PipelineContext, projectId: string, longitudinalKey: HmacKeyInput | null): ManifestPersonChanges {
  const previous = ctx.store.listReleases({ projectIds: [projectId], status: 'approved' })
    .sort((a, b) => a.created_at.localeCompare(b.created_at)).at(-1) ?? null;
  const since = previous?.created_at ?? '';
  const ofProject = new Map<string, boolean>();
  const byProject = (run: string) => {
    let yes = ofProject.get(run);
    if (yes === undefined) ofProject.set(run, (yes = ctx.store.getJob(run)?.project_id === projectId));
    return yes;
  };
  const changes: PersonChange[] = [];
  for (let after = 0; ;) {
    const page = ctx.store.personChanges.list({ afterId: after, limit: PAGE });
    for (const c of page) if (c.at > since && byProject(c.run)) changes.push(c);
    if (page.length < PAGE) break;
    after = page[page.length - 1].id;
  }
  const merges = changes.filter((c) => c.kind === 'merge');
  const splits = changes.filter((c) => c.kind === 'split');
  const out = { since_release: previous?.id ?? null, merges: merges.length, splits: splits.length };
  if (longitudinalKey === null) return out;
  const pseudonym = (ids: readonly number[]) => utf8ToStrings(releasePseudonyms(longitudinalKey, Float64Array.from(ids))) as string[];
  return {
    ...out,
    pseudonyms: {
      merged: merges.map((c) => ({ into: pseudonym(c.personsAfter)[0], from: pseudonym(c.personsBefore.filter((id) => !c.personsAfter.includes(id))) })),
      split: splits.map((c) => ({ from: pseudonym(c.personsBefore)[0], into: pseudonym(c.personsAfter) })),
    },
  };
}
