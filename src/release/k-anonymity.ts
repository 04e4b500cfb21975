/**
 * k-anonymity of released microdata, losing as little as possible (sdc.md, "Microdata"):
 *  1. generalisation: each key variable with a declared hierarchy is released at one level of
 *     it, the node of the lattice chosen by least information loss among the nodes whose
 *     violators fit the suppression limit (lattice.ts, as ARX's search with a suppression
 *     limit);
 *  2. local suppression: the violators left at that node lose the fewest values, least
 *     important variables first (local-suppression.ts, as sdcMicro's localSuppression);
 *  3. optionally l-diversity: a group also needs l distinct values of a sensitive attribute.
 *
 * A suppressed value is null, and null is its own category: a null matches only null (it is
 * not a wildcard), so the check is exact: group the released tuples (null included) and
 * require every group to hold >= k persons. A variable at its top level `*` is all null.
 * Values only ever become their group at the chosen level or null, never another value.
 */
import { KoppelError } from '../errors.js';
import { compliantGroups, type Diversity } from './group-compliance.js';
import { groupByCodes } from './group-codes.js';
import type { Hierarchy } from './hierarchy.js';
import { valueCells, type LevelledVariable } from './information-loss.js';
import { searchLattice } from './lattice.js';

/**
 * One key variable as dictionary codes: `codes[person]` in [0, cardinality) or -1 (null),
 * and its hierarchy (levels above the value; none: it is only ever suppressed).
 */
export interface KeyVariableCodes {
  readonly name: string;
  readonly codes: Int32Array;
  readonly cardinality: number;
  readonly hierarchy?: Hierarchy;
}

export interface KAnonymityPolicy {
  readonly k: number;
  /** Share of records that may lose values to suppression (default 0.01). */
  readonly suppressionLimit?: number;
  readonly diversity?: Diversity;
  /** Population size; needed only when there are no key variables. */
  readonly records?: number;
}

export const DEFAULT_SUPPRESSION_LIMIT = 0.01;

/** The disclosure-control report recorded in the release manifest. */
export interface KAnonymityReport {
  readonly k: number;
  readonly records: number;
  /** Most important first: local suppression spares the earlier ones. */
  readonly key_variables: readonly string[];
  /** How a suppressed value counts in the k-check: null matches null only. */
  readonly null_semantics: 'own-category';
  /** Values turned into null by local suppression, per key variable (not the `*` level). */
  readonly suppressed_values: Readonly<Record<string, number>>;
  /** Per key variable, the level released: "value", a hierarchy level, or "*". */
  readonly generalisation_levels: Readonly<Record<string, string>>;
  /** Values released as a coarser group (level above the value, not suppressed), per variable. */
  readonly generalised_values: Readonly<Record<string, number>>;
  /** Records with at least one suppressed value. */
  readonly records_affected: number;
  /** Groups (distinct combinations) not compliant before generalisation and suppression. */
  readonly groups_before_violating: number;
  /** Suppressed values / values that were non-null before (0 when there were none). */
  readonly info_loss_share: number;
  /** Iyengar's loss (information-loss.ts): mean over the value cells, 0..1. */
  readonly information_loss: number;
  readonly suppression_limit: number;
  /**
   * More records lost values than the limit allows: no lattice node fitted it (the least
   * lossy node was suppressed past it), or the all-null group had to take records.
   */
  readonly suppression_limit_exceeded: boolean;
  readonly lattice: { readonly nodes: number; readonly evaluated: number };
  readonly l_diversity: { readonly attribute: string; readonly l: number } | null;
  /** The population itself is smaller than k (or not l-diverse): every key value was suppressed. */
  readonly population_below_k: boolean;
}

export interface KAnonymityResult {
  /** Per variable, the released codes at its level (group codes above 0; -1 = null). */
  readonly codes: Int32Array[];
  /** Per variable, the level released (0 = the value; hierarchy.length = `*`). */
  readonly levels: Int32Array;
  readonly report: KAnonymityReport;
}

export function enforceKAnonymity(variables: readonly KeyVariableCodes[], policy: KAnonymityPolicy): KAnonymityResult {
  const { k, diversity } = policy;
  const limit = policy.suppressionLimit ?? DEFAULT_SUPPRESSION_LIMIT;
  const records = variables.length > 0 ? variables[0].codes.length : policy.records ?? 0;
  checkPolicy(k, limit, diversity, records);
  const levelled: LevelledVariable[] = variables.map((v) => {
    checkCodes(v, records);
    return { name: v.name, codes: v.codes, cardinality: v.cardinality, hierarchy: v.hierarchy ?? [] };
  });
  const choice = searchLattice(levelled, k, records, Math.floor(limit * records), diversity);
  const cells = valueCells(levelled);
  const suppressed: Record<string, number> = {};
  const levels: Record<string, string> = {};
  const generalised: Record<string, number> = {};
  let totalSuppressed = 0;
  levelled.forEach((v, i) => {
    const h = choice.levels[i];
    suppressed[v.name] = choice.outcome.suppressed[i];
    totalSuppressed += choice.outcome.suppressed[i];
    levels[v.name] = h === 0 ? 'value' : v.hierarchy[h - 1].name;
    let count = 0;
    if (h > 0) for (let r = 0; r < records; r++) if (choice.codes[i][r] >= 0) count++;
    generalised[v.name] = count;
  });
  let recordsAffected = 0;
  for (let r = 0; r < records; r++) recordsAffected += choice.outcome.affected[r];
  return {
    codes: choice.codes,
    levels: choice.levels,
    report: {
      k, records, key_variables: variables.map((v) => v.name), null_semantics: 'own-category',
      suppressed_values: suppressed, generalisation_levels: levels, generalised_values: generalised,
      records_affected: recordsAffected,
      groups_before_violating: violatingGroups(variables, k, records, diversity),
      info_loss_share: cells === 0 ? 0 : totalSuppressed / cells,
      information_loss: cells === 0 ? 0 : choice.lossSum / cells,
      suppression_limit: limit,
      suppression_limit_exceeded: !choice.withinLimit || recordsAffected > Math.floor(limit * records),
      lattice: { nodes: choice.nodes, evaluated: choice.evaluated },
      l_diversity: diversity === undefined ? null : { attribute: diversity.name, l: diversity.l },
      population_below_k: choice.outcome.unattainable,
    },
  };
}

function checkPolicy(k: number, limit: number, diversity: Diversity | undefined, records: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', 'k must be an integer of at least 1', { k: Number.isFinite(k) ? k : String(k) });
  }
  if (!(limit >= 0 && limit <= 1)) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', 'the suppression limit must be a share from 0 to 1', { suppression_limit: String(limit) });
  }
  if (diversity === undefined) return;
  if (!Number.isInteger(diversity.l) || diversity.l < 1) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', 'l must be an integer of at least 1', { l: String(diversity.l) });
  }
  checkCodes(diversity, records);
}

function checkCodes(variable: { name: string; codes: Int32Array; cardinality: number }, records: number): void {
  const { codes, cardinality, name } = variable;
  if (codes.length !== records) throw new RangeError(`variable ${name} has ${codes.length} codes, expected ${records}`);
  for (let i = 0; i < records; i++) {
    const c = codes[i];
    if (c < -1 || c >= cardinality) throw new RangeError(`variable ${name} has code ${c} at row ${i}, outside -1..${cardinality - 1}`);
  }
}

function violatingGroups(variables: readonly KeyVariableCodes[], k: number, records: number, diversity?: Diversity): number {
  const grouping = groupByCodes(variables.map((v) => v.codes), variables.map((v) => v.cardinality), records);
  const compliant = compliantGroups(grouping, k, diversity);
  let n = 0;
  for (let g = 0; g < grouping.count; g++) if (compliant[g] === 0) n++;
  return n;
}
