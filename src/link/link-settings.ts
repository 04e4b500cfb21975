/**
 * Settings of one linkage run, shared by `koppel link` and the server's jobs. Field names refer
 * to the encoded sources' fields; blocking rules name fields, optionally with a token slot
 * (`surname.phonetic`, `postcode.prefix`, `date_of_birth.ym`).
 */
import type { ClericalDecisions, ReviewBand } from './clerical-decisions.js';

export interface LinkSettings {
  /** Blocking rules as lists of field names (`[["surname"], ["date_of_birth"]]`); null = chosen by the engine. */
  readonly blocking: readonly (readonly string[])[] | null;
  /** Match probability from which a pair links; null = chosen by the engine and reported. */
  readonly threshold: number | null;
  /** Among unique sources, a record links to at most one record of each other source. */
  readonly oneToOne: boolean;
  /** Link each source with itself too. */
  readonly deduplicate: boolean;
  /** Blocks producing more pairs than this are skipped and reported (guard against placeholders). */
  readonly maxBlockPairs: number;
  /** Pair budget per automatically chosen rule: `max(minRulePairs, rulePairsPerRecord * records)`. */
  readonly rulePairsPerRecord: number;
  readonly minRulePairs: number;
  /** Random pairs drawn to estimate u. */
  readonly uSamplePairs: number;
  /** Deterministic groups larger than this are skipped (placeholder national numbers). */
  readonly maxDeterministicGroup: number;
  /** Pairs below this probability are never links, whatever the threshold. */
  readonly probabilityFloor: number;
  /**
   * m per field and level to start EM from where the deterministic links are too few to measure
   * it (an incremental run carries its previous run's model); null: the generic start.
   */
  readonly startM: readonly (readonly number[])[] | null;
  /** The review band in match weights; null = match probability 0.2 to 0.9, widened to the threshold (clerical.ts). */
  readonly review: ReviewBand | null;
  /** Earlier clerical decisions: must-links and cannot-links. */
  readonly decisions: ClericalDecisions | null;
  /** At most this many pairs go to the review queue; the rest are counted. */
  readonly maxReviewPairs: number;
}

export const DEFAULT_LINK_SETTINGS: LinkSettings = Object.freeze({
  blocking: null,
  threshold: null,
  oneToOne: true,
  deduplicate: false,
  maxBlockPairs: 2_000_000,
  rulePairsPerRecord: 20,
  minRulePairs: 200_000,
  uSamplePairs: 400_000,
  maxDeterministicGroup: 1000,
  probabilityFloor: 0.01,
  startM: null,
  review: null,
  decisions: null,
  maxReviewPairs: 100_000,
});

export function linkSettings(overrides: Partial<LinkSettings> = {}): LinkSettings {
  return Object.freeze({ ...DEFAULT_LINK_SETTINGS, ...overrides });
}
