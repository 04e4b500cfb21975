/**
 * What reviewers decided, as the link stage takes it: pairs of records (source and record
 * number; the caller maps its own record references to those) with a verdict. A decided match
 * is a must-link, joined right after the deterministic pass within the one-to-one rules; a
 * decided non-match is a cannot-link that no union, direct or through other records, may break
 * (assignment.ts `applyDecisions`).
 */

export const DECISION_NON_MATCH = 0;
export const DECISION_MATCH = 1;

export interface ClericalDecisions {
  readonly leftSource: Int32Array;
  readonly leftRecord: Int32Array;
  readonly rightSource: Int32Array;
  readonly rightRecord: Int32Array;
  /** DECISION_MATCH or DECISION_NON_MATCH. */
  readonly verdict: Uint8Array;
}

/** The uncertain band in match weights (log2 odds, prior included), both ends included. */
export interface ReviewBand {
  readonly lower: number;
  readonly upper: number;
}
