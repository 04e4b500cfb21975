/**
 * The result of a run whose probabilistic pass is skipped, not run on nothing: with no field but
 * the national number there is nothing to compare records on (equal numbers are linked already,
 * unequal ones could only be compared as "different"). The links are the deterministic pass's,
 * the persons its groups, and the report says the pass was skipped and why.
 */
import { clustersOfReps, type DeterministicOutcome } from './deterministic.js';
import type { ComparisonSpec } from './comparison.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import { weightTable } from './fellegi-sunter.js';
import type { FieldIndex } from './field-index.js';
import { buildReport, METHOD_DETERMINISTIC } from './link-report.js';
import type { LinkHooks, LinkResult } from './link-result.js';
import type { LinkSettings } from './link-settings.js';
import { chooseThreshold } from './threshold.js';

/** Why the probabilistic pass has nothing to do, or null when it runs. */
export function probabilisticSkipReason(specs: readonly ComparisonSpec[]): string | null {
  if (specs.length === 0) return 'the job has no fields';
  return specs.every((s) => s.type === 'national_id') ? 'the job has no field besides the national number' : null;
}

export interface DeterministicOnlyInput {
  sources: readonly EncodedSource[]; settings: LinkSettings; specs: ComparisonSpec[]; index: FieldIndex[];
  det: DeterministicOutcome | null; offsets: Int32Array; comparable: number;
  skipReason: string; timings: Record<string, number>; lap: (stage: string) => void; hooks: LinkHooks;
}

/** The result when the probabilistic pass is skipped: the deterministic links and clusters. */
export function deterministicOnly(x: DeterministicOnlyInput): LinkResult {
  const { det, offsets } = x;
  const n = det?.links ?? 0;
  const links = {
    left: new Int32Array(n), right: new Int32Array(n), probability: new Float64Array(n).fill(1),
    weight: new Float64Array(n).fill(Number.NaN), method: new Uint8Array(n).fill(METHOD_DETERMINISTIC), length: n,
  };
  let k = 0;
  for (const list of det?.lists ?? []) {
    const l = offsets[list.left]; const r = offsets[list.right];
    for (let p = 0; p < list.length; p++, k++) { links.left[k] = l + list.a[p]; links.right[k] = r + list.b[p]; }
  }
  const { ids: clusters, count: clusterCount } = det !== null ? clustersOfReps(det.rep) : singletons(offsets[offsets.length - 1]);
  x.lap('clusters');
  x.hooks.onLinked?.({ offsets, links, clusters, clusterCount });
  const levelCounts = x.specs.map((s) => s.levels.length);
  const zeros = levelCounts.map((L) => new Float64Array(L));
  const report = buildReport({
    probabilistic: { run: false, skippedBecause: x.skipReason },
    sources: x.sources, settings: x.settings, specs: x.specs, index: x.index,
    params: { m: zeros, u: zeros, lambda: 0 }, hist: { size: 0 }, listLevels: [], lists: [], det,
    // No name or date field: no deterministic link can disagree on one, so no levels are needed.
    detLevels: (det?.lists ?? []).map(() => []), rules: [], chosenBy: x.settings.blocking === null ? 'engine' : 'job',
    outcomes: [], candidatePairs: 0, comparablePairs: x.comparable, em: { iterations: 0, converged: false }, uPairs: 0,
    expectedMatches: 0, prior: 0, mFromDeterministic: false, mHeld: false, allWeights: new Float64Array(0), edgesAboveFloor: 0,
    accepted: 0, rejected: 0, links, offsets, clusters, clusterCount,
    choice: chooseThreshold(new Float64Array(0), x.settings.threshold, x.settings.probabilityFloor),
    timings: x.timings, table: weightTable({ m: zeros, u: zeros, lambda: 0 }, levelCounts),
  });
  return { offsets, links, clusters, clusterCount, report };
}

function singletons(total: number): { ids: Int32Array; count: number } {
  const ids = new Int32Array(total);
  for (let g = 0; g < total; g++) ids[g] = g;
  return { ids, count: total };
}
