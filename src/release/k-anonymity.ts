/**
 * k-anonymity of released microdata by local suppression.
 *
 * Every combination of the project's key-variable values must occur for at least k persons.
 * Suppressed values become null, and null is its own category: a null matches only null (it
 * is not a wildcard), so the check is exact and simple: group the persons by their tuple of
 * codes (null included) and require every group to hold >= k persons.
 *
 * Algorithm (deterministic; values only ever become null, never another value):
 *  1. Group. The records in groups smaller than k are the violators.
 *  2. Among the violators, pick the key variable with the most distinct non-null values
 *     (ties: more non-null values, then the earlier variable): it is the one that splits the
 *     violators most. Suppress it in every violator, and go back to 1.
 *     Records in compliant groups are never touched, and a compliant group only grows, so
 *     the violators shrink; after a variable is picked, no violator has it non-null, so each
 *     variable is picked at most once: at most (key variables + 1) groupings.
 *  3. If violators remain, all of them have every key variable null: the only violating group
 *     is the all-null group, with m < k records. Then
 *     - if the whole population is < k, every value is suppressed and the report says so;
 *     - else, if the compliant groups together hold at least k - m records above k (their
 *       surplus), move surplus records (the last ones in row order) into the all-null group,
 *       smallest groups first, until it holds k;
 *     - else take the smallest compliant group whole (it has >= k > k - m records; taking any
 *       record from a group of exactly k would break it, so a whole group is the cheapest).
 *     "Moving" a record means suppressing all its key variables.
 */
import { KoppelError } from '../errors.js';
import { groupByCodes } from './group-codes.js';

/**
 * One key variable as dictionary codes: `codes[person]` in [0, cardinality) or -1 (null).
 * The dictionary itself is not needed: suppression never looks at or changes values.
 */
export interface KeyVariableCodes {
  readonly name: string;
  readonly codes: Int32Array;
  readonly cardinality: number;
}

/** The disclosure-control report recorded in the release manifest. */
export interface KAnonymityReport {
  readonly k: number;
  readonly records: number;
  readonly key_variables: readonly string[];
  /** Values turned into null, per key variable (values that were null already are not counted). */
  readonly suppressed_values: Readonly<Record<string, number>>;
  /** Records with at least one suppressed value. */
  readonly records_affected: number;
  /** Groups (distinct combinations) smaller than k before suppression. */
  readonly groups_before_violating: number;
  /** Suppressed values / values that were non-null before (0 when there were none). */
  readonly info_loss_share: number;
  /** The population itself is smaller than k: every key value was suppressed. */
  readonly population_below_k: boolean;
}

export interface KAnonymityResult {
  /** New code arrays, one per variable, in input order (the inputs are not modified). */
  readonly codes: Int32Array[];
  readonly report: KAnonymityReport;
}

/**
 * `records` is needed only when there are no key variables (the population size then
 * cannot be read from a code array); otherwise it must equal the code arrays' length.
 */
export function enforceKAnonymity(
  variables: readonly KeyVariableCodes[], k: number, records = variables.length > 0 ? variables[0].codes.length : 0,
): KAnonymityResult {
  if (!Number.isInteger(k) || k < 1) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', 'k must be an integer of at least 1', { k: Number.isFinite(k) ? k : String(k) });
  }
  const codes = variables.map((v) => checkedCopy(v, records));
  const cards = variables.map((v) => v.cardinality);
  const suppressed = new Array<number>(variables.length).fill(0);
  const affected = new Uint8Array(records);
  let nonNullBefore = 0;
  for (const c of codes) for (let i = 0; i < records; i++) if (c[i] >= 0) nonNullBefore++;

  const suppress = (v: number, row: number): void => {
    if (codes[v][row] >= 0) {
      codes[v][row] = -1;
      suppressed[v]++;
      affected[row] = 1;
    }
  };

  let grouping = groupByCodes(codes, cards, records);
  let groupsBeforeViolating = 0;
  for (let g = 0; g < grouping.count; g++) if (grouping.size[g] < k) groupsBeforeViolating++;
  let populationBelowK = false;

  const violators = new Int32Array(records);
  for (;;) {
    let nViolators = 0;
    for (let i = 0; i < records; i++) if (grouping.size[grouping.groupOf[i]] < k) violators[nViolators++] = i;
    if (nViolators === 0) break;
    const v = mostSplittingVariable(codes, cards, violators, nViolators);
    if (v >= 0) {
      for (let j = 0; j < nViolators; j++) suppress(v, violators[j]);
      grouping = groupByCodes(codes, cards, records);
      continue;
    }
    // Step 3: the violators are exactly the all-null group (group 0: null sorts first).
    if (records < k) {
      populationBelowK = true;
      for (let v2 = 0; v2 < codes.length; v2++) for (let i = 0; i < records; i++) suppress(v2, i);
      break;
    }
    moveIntoNullGroup(grouping, k, k - nViolators, (row) => {
      for (let v2 = 0; v2 < codes.length; v2++) suppress(v2, row);
    });
    grouping = groupByCodes(codes, cards, records);
  }

  let recordsAffected = 0;
  for (let i = 0; i < records; i++) recordsAffected += affected[i];
  let totalSuppressed = 0;
  const suppressedValues: Record<string, number> = {};
  variables.forEach((v, i) => {
    suppressedValues[v.name] = suppressed[i];
    totalSuppressed += suppressed[i];
  });
  return {
    codes,
    report: {
      k,
      records,
      key_variables: variables.map((v) => v.name),
      suppressed_values: suppressedValues,
      records_affected: recordsAffected,
      groups_before_violating: groupsBeforeViolating,
      info_loss_share: nonNullBefore === 0 ? 0 : totalSuppressed / nonNullBefore,
      population_below_k: populationBelowK,
    },
  };
}

function checkedCopy(variable: KeyVariableCodes, records: number): Int32Array {
  const { codes, cardinality, name } = variable;
  if (codes.length !== records) throw new RangeError(`key variable ${name} has ${codes.length} codes, expected ${records}`);
  for (let i = 0; i < records; i++) {
    const c = codes[i];
    if (c < -1 || c >= cardinality) throw new RangeError(`key variable ${name} has code ${c} at row ${i}, outside -1..${cardinality - 1}`);
  }
  return codes.slice();
}

/** The variable with the most distinct non-null values among the violators, or -1 if none. */
function mostSplittingVariable(codes: readonly Int32Array[], cards: readonly number[], violators: Int32Array, n: number): number {
  let best = -1;
  let bestDistinct = 0;
  let bestNonNull = 0;
  for (let v = 0; v < codes.length; v++) {
    const column = codes[v];
    const seen = new Uint8Array(cards[v]);
    let distinct = 0;
    let nonNull = 0;
    for (let j = 0; j < n; j++) {
      const c = column[violators[j]];
      if (c < 0) continue;
      nonNull++;
      if (seen[c] === 0) {
        seen[c] = 1;
        distinct++;
      }
    }
    if (distinct > bestDistinct || (distinct === bestDistinct && distinct > 0 && nonNull > bestNonNull)) {
      best = v;
      bestDistinct = distinct;
      bestNonNull = nonNull;
    }
  }
  return best;
}

/**
 * Step 3: pick records of compliant groups to join the all-null group (group 0, `need`
 * records short of k). Calls `move` once per picked record.
 */
function moveIntoNullGroup(
  grouping: ReturnType<typeof groupByCodes>, k: number, need: number, move: (row: number) => void,
): void {
  // Compliant groups, smallest first (ties: lower group id), as a sorted index list.
  const compliant: number[] = [];
  let surplus = 0;
  for (let g = 1; g < grouping.count; g++) {
    compliant.push(g);
    surplus += grouping.size[g] - k;
  }
  compliant.sort((a, b) => grouping.size[a] - grouping.size[b] || a - b);
  const { order, start, size } = grouping;
  if (surplus >= need) {
    let remaining = need;
    for (const g of compliant) {
      const take = Math.min(size[g] - k, remaining);
      const end = start[g] + size[g];
      for (let i = end - take; i < end; i++) move(order[i]);
      remaining -= take;
      if (remaining === 0) return;
    }
    return;
  }
  const g = compliant[0];
  for (let i = start[g]; i < start[g] + size[g]; i++) move(order[i]);
}
