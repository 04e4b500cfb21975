/**
 * The result of a run whose probabilistic pass is skipped, not run on nothing: with no field but
 * the national number there is nothing to compare records on (equal numbers are linked already,
 * unequal ones could only be compared as "different"). The links are the deterministic pass's,
 * the persons its groups, and the report says the pass was skipped and why.
 */
import { linkTable } from './clusters.js';
import type { ComparisonSpec } from './comparison.js';
import { clustersOfReps, type DeterministicOutcome } from './deterministic.js';
import type { LinkFrame } from './link-frame.js';
import { buildReport } from './link-report.js';
import type { LinkHooks, LinkResult } from './link-result.js';
import type { LinkSettings } from './link-settings.js';
import type { StageTimer } from './stage-timer.js';

/** Why the probabilistic pass has nothing to do, or null when it runs. */
export function probabilisticSkipReason(specs: readonly ComparisonSpec[]): string | null {
  if (specs.length === 0) return 'the job has no fields';
  return specs.every((s) => s.type === 'national_id') ? 'the job has no field besides the national number' : null;
}

/** The result when the probabilistic pass is skipped: the deterministic links and clusters. */
export function deterministicOnly(
  frame: LinkFrame, settings: LinkSettings, det: DeterministicOutcome | null, skippedBecause: string, timer: StageTimer, hooks: LinkHooks,
): LinkResult {
  const { offsets } = frame;
  // The deterministic pass's persons are final: no later link can merge them.
  const links = linkTable(offsets, det, 0);
  const { ids: clusters, count: clusterCount } = det !== null ? clustersOfReps(det.rep) : singletons(frame.totalRecords);
  const linked = { links, clusters, clusterCount };
  timer.lap('clusters');
  hooks.onLinked?.({ offsets, ...linked });
  const report = buildReport({ frame, settings, det, probabilistic: { skippedBecause }, linked, timings: timer.timings });
  return { offsets, ...linked, report, review: null };
}

function singletons(total: number): { ids: Int32Array; count: number } {
  const ids = new Int32Array(total);
  for (let g = 0; g < total; g++) ids[g] = g;
  return { ids, count: total };
}
