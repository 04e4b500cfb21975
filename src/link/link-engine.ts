/**
 * The heavy, data-parallel part of a run behind one interface: the join of equal national-id
 * pseudonyms, blocking, the comparison levels of every candidate pair and (optionally) the
 * histograms of comparison patterns. Everything that needs the whole picture (union-find over
 * the groups, EM on pattern counts, threshold, assignment, clusters) stays in link-records.ts,
 * whichever engine ran this part.
 *
 * Two engines implement it: this file's in-process one (typed arrays, the frame's dense token
 * ids) and a SQL plan (pipeline/sql-engine/, run by DuckDB here, by Spark or Trino past one
 * machine; docs/scale-out.md). Both must give the same groups, the same pairs in the same
 * order, the same levels and the same histograms: test/unit/pipeline/sql-engine/conformance.test.ts
 * checks it.
 */
import { blockCandidates, type Blocked, type RuleSet } from './blocking.js';
import { comparePairs, type Compared } from './comparison.js';
import type { DeterministicOutcome } from './deterministic.js';
import type { RuleHistograms } from './estimation.js';
import type { LinkFrame } from './link-frame.js';

export const LINK_ENGINE_NAMES = ['in-process', 'duckdb'] as const;
export type LinkEngineName = (typeof LINK_ENGINE_NAMES)[number];

/** Records grouped by equal national-id pseudonym. */
export interface PseudonymGroups {
  /** Group id per global record (-1: no value), groups numbered 0.. in order of first record. */
  readonly ids: Int32Array;
  /** Records per group. */
  readonly sizes: Int32Array;
}

export interface PairStageInput {
  readonly frame: LinkFrame;
  readonly ruleSet: RuleSet;
  /** The deterministic pass's links (their levels measure m), or null without a national id. */
  readonly det: DeterministicOutcome | null;
  readonly saturated: (s: number, t: number) => Uint8Array | null;
  readonly maxBlockPairs: number;
}

/**
 * Blocking's candidate pairs, the comparison levels of those pairs and of the deterministic
 * links, and per blocking rule the histogram of comparison patterns EM runs on (undefined: the
 * estimation stage counts them from the levels).
 */
export interface PairStage {
  readonly blocked: Blocked;
  readonly compared: Compared;
  readonly ruleHistograms?: RuleHistograms;
}

export interface LinkEngine {
  readonly name: LinkEngineName;
  /** The groups of equal pseudonyms of the national-id field `field` of the frame. */
  pseudonymGroups(frame: LinkFrame, field: number): Promise<PseudonymGroups>;
  pairs(input: PairStageInput): Promise<PairStage>;
  /** Frees what the engine holds (a database, a connection); the engine is unusable after. */
  close(): Promise<void>;
}

/** The in-process engine's groups: the frame's index grouped the pseudonyms already. */
export function inProcessGroups(frame: LinkFrame, field: number): PseudonymGroups {
  const fi = frame.index[field];
  let ids = fi.globalIds;
  if (ids === null) {
    ids = new Int32Array(frame.totalRecords);
    let at = 0;
    for (const column of fi.ids[0]) { ids.set(column, at); at += column.length; }
  }
  return { ids, sizes: fi.wholeCounts };
}

export function inProcessPairs(input: PairStageInput): PairStage {
  const { frame, ruleSet, det, saturated, maxBlockPairs } = input;
  const blocked = blockCandidates(ruleSet, frame.sourcePairs, { maxBlockPairs, saturated });
  const compared = comparePairs(blocked.lists, det?.lists ?? [], frame.specs, frame.index, frame.sources);
  return { blocked, compared };
}

export const IN_PROCESS_ENGINE: LinkEngine = Object.freeze({
  name: 'in-process',
  pseudonymGroups: async (frame: LinkFrame, field: number) => inProcessGroups(frame, field),
  pairs: async (input: PairStageInput) => inProcessPairs(input),
  close: async () => {},
});
