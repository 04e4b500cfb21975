/**
 * Precision and recall of a job's links estimated from reviewed pairs, beside the model's own.
 *
 * The band's pairs are split by the threshold's provisional call. Among the reviewed pairs the
 * run linked, the share reviewers called a match (r_above) estimates the band's precision; among
 * those it did not link, the share called a match (r_below) estimates how many it missed. Over
 * the job's L probabilistic links, with N_above / N_below band pairs linked / not linked:
 * ```
 * false links   FP = N_above (1 - r_above) + sum over links above the band of (1 - p)
 * missed links  FN = N_below r_below
 * precision = (L - FP) / L        recall = (L - FP) / (L - FP + FN)
 * ```
 * Unsure decisions count in neither sample. With no reviewed pair on a side, its figure is null.
 */
import type { Table } from 'apache-arrow';
import { concatNumbers } from '../util/arrow-columns.js';

export interface Sample {
  /** Band pairs on this side of the threshold, reviewed pairs among them, and matches among those. */
  readonly pairs: number;
  readonly reviewed: number;
  readonly matches: number;
}

export interface ReviewQuality {
  readonly precision: number | null;
  readonly recall: number | null;
  readonly linked_pairs: Sample;
  readonly unlinked_pairs: Sample;
}

const round = (x: number) => Math.round(x * 100_000) / 100_000;

/** `links` is the job's links.arrow; `upper` the band's upper weight. */
export function reviewQuality(linked: Sample, unlinked: Sample, links: Table, upper: number): ReviewQuality {
  const probability = concatNumbers(links, 'match_probability', (n) => new Float64Array(n));
  const weight = links.getChild('match_weight');
  let L = 0; let aboveBand = 0;
  for (let i = 0; i < links.numRows; i++) {
    const w = weight?.get(i) as number | null;
    if (w === null || w === undefined) continue; // deterministic
    L++;
    if (w > upper) aboveBand += 1 - probability[i];
  }
  const rAbove = linked.reviewed === 0 ? null : linked.matches / linked.reviewed;
  const rBelow = unlinked.reviewed === 0 ? null : unlinked.matches / unlinked.reviewed;
  const fp = rAbove === null ? null : linked.pairs * (1 - rAbove) + aboveBand;
  const precision = fp === null || L === 0 ? null : round(Math.max(0, L - fp) / L);
  const recall = fp === null || rBelow === null ? null : round(Math.max(0, L - fp) / Math.max(1e-9, Math.max(0, L - fp) + unlinked.pairs * rBelow));
  return { precision, recall, linked_pairs: linked, unlinked_pairs: unlinked };
}
