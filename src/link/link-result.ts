/** What a linkage run gives back, and the hooks through which a caller sees it progress. */
import type { LinkTable } from './clusters.js';
import type { LinkReport } from './link-report.js';
import type { ReviewQueue } from './clerical.js';

export interface LinkResult {
  /** Global numbering: source s's records are offsets[s] .. offsets[s+1]. */
  readonly offsets: Int32Array;
  readonly links: LinkTable;
  /** Cluster (person) id per global record, 0.. in order of first record. */
  readonly clusters: Int32Array;
  readonly clusterCount: number;
  readonly report: LinkReport;
  /** The uncertain pairs for clerical review (clerical.ts); null when the probabilistic pass did not run. */
  readonly review: ReviewQueue | null;
}

/** Optional calls into the run, for a caller that can start on results before the report is built. */
export interface LinkHooks {
  /** The final links and persons, before the report is built (the arrays are the result's own). */
  readonly onLinked?: (linked: Pick<LinkResult, 'offsets' | 'links' | 'clusters' | 'clusterCount'>) => void;
  /** Each stage as it ends, with its time in ms (progress for a caller that shows it). */
  readonly onStage?: (stage: string, ms: number) => void;
  /**
   * The caller gives the sources up: once indexed, their tokens and pseudonyms (read by nothing
   * after the index) are dropped, emptied in place, so that the link stage's peak does not carry
   * them. Leave it unset when the same sources are linked again.
   */
  readonly releaseInputs?: boolean;
}
