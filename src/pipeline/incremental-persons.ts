/**
 * The main-thread half of an incremental job's persons (issue 13): the worker said which
 * previous person each cluster continues (person-continuity.ts); here new persons are resolved
 * in SQLite as a full job resolves them, parts split off get fresh ids, and the merges and
 * splits become change-log entries (recorded once the job's files are stored).
 */
import type { LinkReport } from '../link/link-report.js';
import type { DeliveryRecord } from '../store/index.js';
import type { PersonChangeInput } from '../store/person-changes.js';
import type { PipelineContext } from './context.js';
import type { LinkedSummary } from './link-worker-tasks.js';
import type { Continuity } from './person-continuity.js';
import { resolvePersonIds, type PersonResolution } from './person-ids.js';

export interface IncrementalPersons {
  readonly ids: Float64Array;
  readonly changes: PersonChangeInput[];
  /** Persons of the previous job found again, and new persons. */
  readonly known: number;
  readonly fresh: number;
}

/** Ascending ids: whether `id` is one of them. */
function contains(sorted: Float64Array, id: number): boolean {
  let lo = 0; let hi = sorted.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (sorted[mid] < id) lo = mid + 1; else hi = mid; }
  return lo < sorted.length && sorted[lo] === id;
}

function removedWhat(removed: readonly DeliveryRecord[]): string {
  if (removed.length === 0) return 'the links that joined them no longer hold';
  const list = removed.map((d) => `${d.id} (${d.dataset} ${d.period}${d.superseded_by === null ? '' : `, superseded by ${d.superseded_by}`})`);
  return `the links that joined them went with delivery ${list.join(', ')}`;
}

export async function resolveIncrementalPersons(
  ctx: PipelineContext, linked: LinkedSummary & { continuity: Continuity }, deliveries: readonly DeliveryRecord[], removed: readonly DeliveryRecord[], run: { job: string; by: string },
  resolution: PersonResolution = {},
): Promise<IncrementalPersons> {
  const { kept, fresh, merges, splits } = linked.continuity;
  const ids = await resolvePersonIds(ctx, linked, deliveries, resolution);
  const isFresh = new Uint8Array(kept.length);
  for (const c of fresh) isFresh[c] = 1;
  // A new person resolved (by pseudonym) to an id a known cluster keeps: that person's records
  // no longer link, so the new cluster is split off with a fresh id.
  let known = 0;
  const keptIds: number[] = [];
  for (let c = 0; c < kept.length; c++) if (!Number.isNaN(kept[c])) { ids[c] = kept[c]; keptIds.push(kept[c]); known++; }
  const sortedKept = Float64Array.from(keptIds).sort();
  const collided: { cluster: number; person: number }[] = [];
  for (let c = 0; c < kept.length; c++) {
    if (Number.isNaN(kept[c]) && isFresh[c] === 0 && contains(sortedKept, ids[c])) { collided.push({ cluster: c, person: ids[c] }); isFresh[c] = 1; }
  }
  const freshCount = fresh.length + collided.length;
  if (freshCount > 0) {
    let next = ctx.store.reservePersonIds(freshCount);
    for (let c = 0; c < kept.length; c++) if (isFresh[c] === 1) ids[c] = ++next;
  }
  const changes: PersonChangeInput[] = merges.map((m) => ({
    kind: 'merge', personsBefore: m.persons, personsAfter: [m.persons[0]], evidence: m.evidence, run: run.job, by: run.by,
  }));
  for (const { cluster, person } of collided) {
    changes.push({ kind: 'split', personsBefore: [person], personsAfter: [person, ids[cluster]], evidence: `records with its national-number pseudonym no longer link to its other records: ${removedWhat(removed)}`, run: run.job, by: run.by });
  }
  for (const s of splits) {
    const after = [...new Set(s.clusters.map((c) => ids[c]))];
    changes.push({ kind: 'split', personsBefore: [s.person], personsAfter: after, evidence: `${s.clusters.length} groups of its records no longer link: ${removedWhat(removed)}`, run: run.job, by: run.by });
  }
  return { ids, changes, known, fresh: kept.length - known };
}

/** Largest change of a field level's weight log2(m/u) from the previous job's model to this one's. */
export function modelDrift(before: LinkReport | undefined, after: LinkReport): { fields: { name: string; max_weight_change: number }[]; max_weight_change: number } {
  const previous = new Map((before?.model.fields ?? []).map((f) => [f.name, f]));
  const fields = after.model.fields.map((f) => {
    const old = previous.get(f.name);
    let change = 0;
    f.levels.forEach((level, l) => {
      const was = old?.levels[l];
      if (was !== undefined && l > 0) change = Math.max(change, Math.abs(level.weight - was.weight));
    });
    return { name: f.name, max_weight_change: Math.round(change * 1000) / 1000 };
  });
  return { fields, max_weight_change: fields.reduce((m, f) => Math.max(m, f.max_weight_change), 0) };
}
