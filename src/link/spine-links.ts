/**
 * Incremental linkage against the person spine (issue 13): the run holds the records it already
 * knows (the spine: the previous job's deliveries that are still current) and the new ones,
 * but compares only pairs with a new record in them. The spine's own links are not found
 * again: the previous run's probabilistic links between spine records are replayed into the
 * persons before the new links are assigned, so a new record joins a known person only where
 * that person can still take it (a unique source's record at most once).
 *
 * ```
 * sources      spine s1 .. sk, new n1 .. nm (any order; `newSources` says which)
 * pairs        (n, n) and (n, s) only: blocking, comparison, u sampling and EM see no (s, s) pair
 * index        the spine's tokens looked up in the new records' values (field-index.ts)
 * det pass     over every record (cheap: one hash per pseudonym); it reproduces the spine's own
 * prior        global record pairs, replayed after the det pass, before the new links
 * ```
 */
import type { LinkFrame } from './link-frame.js';
import { pairsOf } from './u-sampling.js';

export interface SpineLinks {
  /** Per source in run order: true for a new delivery, false for a spine delivery. */
  readonly newSources: readonly boolean[];
  /** The previous run's probabilistic links between spine records, in this run's global numbering. */
  readonly prior: { readonly a: Int32Array; readonly b: Int32Array; readonly length: number };
}

/**
 * The frame with only the source pairs that hold a new source. Rules the engine chooses for it
 * get the share of a full run's pair budget that its pairs are of a full run's: the same rules a
 * full relink would choose, not coarser ones because fewer pairs are counted against them.
 */
export function restrictToNew(frame: LinkFrame, spine: SpineLinks | undefined): LinkFrame {
  if (spine === undefined) return frame;
  const sourcePairs = frame.sourcePairs.filter((sp) => spine.newSources[sp.left] || spine.newSources[sp.right]);
  const comparablePairs = sourcePairs.reduce((sum, sp) => sum + pairsOf(frame.sources, sp), 0);
  const budgetShare = frame.comparablePairs > 0 ? comparablePairs / frame.comparablePairs : 1;
  return { ...frame, sourcePairs, comparablePairs, incremental: { newSources: spine.newSources, budgetShare } };
}
