/**
 * The peer of the anonymise benchmark: Koppel's k-anonymity before issue 10 (src/release/
 * k-anonymity.ts at 6729227), kept here only to be measured against. Among the violators it
 * picks the key variable with the most distinct values and suppresses it in every violator,
 * until no group is below k; an all-null group short of k takes surplus records.
 */
import { groupByCodes } from '../src/release/group-codes.js';

interface Codes {
  readonly codes: Int32Array;
  readonly cardinality: number;
}

export interface WholeVariableResult {
  readonly codes: Int32Array[];
  readonly suppressed: number[];
  readonly recordsAffected: number;
}

/** Koppel's method before issue 10, unchanged in what it suppresses (validation dropped). */
export function wholeVariableSuppression(variables: readonly Codes[], k: number, records: number): WholeVariableResult {
  const codes = variables.map((v) => v.codes.slice());
  const cards = variables.map((v) => v.cardinality);
  const suppressed = new Array<number>(variables.length).fill(0);
  const affected = new Uint8Array(records);
  const suppress = (v: number, row: number): void => {
    if (codes[v][row] >= 0) {
      codes[v][row] = -1;
      suppressed[v]++;
      affected[row] = 1;
    }
  };
  let grouping = groupByCodes(codes, cards, records);
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
    if (records < k) {
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
  return { codes, suppressed, recordsAffected };
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
