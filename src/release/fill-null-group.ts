/**
 * The last resort of local suppression: the only violating group is the all-null one (group
 * 0 of a grouping: null sorts first), which no suppression can enlarge from inside. Records
 * of compliant groups are moved into it (all their values suppressed) until it complies:
 *  - k only: if the compliant groups hold at least `need` records above k between them, the
 *    last surplus records of the smallest groups move (no group drops below k); otherwise the
 *    smallest compliant group moves whole (it has >= k > need records; taking part of a group
 *    of exactly k would break it, so a whole group is the cheapest);
 *  - with l-diversity: whole compliant groups move, smallest first, until the null group has
 *    k records and l distinct sensitive values (moving part of a group could break its
 *    diversity).
 * Returns false when even every record together does not comply.
 */
import type { Diversity } from './group-compliance.js';
import type { Grouping } from './group-codes.js';

export function fillNullGroup(
  grouping: Grouping, compliant: Uint8Array, k: number, diversity: Diversity | undefined, move: (row: number) => void,
): boolean {
  const { order, start, size, count } = grouping;
  const groups: number[] = [];
  for (let g = 1; g < count; g++) if (compliant[g] === 1) groups.push(g);
  groups.sort((a, b) => size[a] - size[b] || a - b);
  if (diversity === undefined) return fillBySurplus(grouping, groups, k, move);
  const seen = new Uint8Array(diversity.cardinality);
  let distinct = 0;
  let held = size[0];
  const count0 = (row: number): void => {
    const c = diversity.codes[row];
    if (c >= 0 && seen[c] === 0) {
      seen[c] = 1;
      distinct++;
    }
  };
  for (let i = 0; i < size[0]; i++) count0(order[i]);
  for (const g of groups) {
    if (held >= k && distinct >= diversity.l) return true;
    for (let i = start[g]; i < start[g] + size[g]; i++) {
      move(order[i]);
      count0(order[i]);
    }
    held += size[g];
  }
  return held >= k && distinct >= diversity.l;
}

function fillBySurplus(grouping: Grouping, groups: readonly number[], k: number, move: (row: number) => void): boolean {
  const { order, start, size } = grouping;
  const need = k - size[0];
  if (groups.length === 0) return need <= 0;
  let surplus = 0;
  for (const g of groups) surplus += size[g] - k;
  if (surplus < need) {
    const g = groups[0];
    for (let i = start[g]; i < start[g] + size[g]; i++) move(order[i]);
    return true;
  }
  let remaining = need;
  for (const g of groups) {
    const take = Math.min(size[g] - k, remaining);
    const end = start[g] + size[g];
    for (let i = end - take; i < end; i++) move(order[i]);
    remaining -= take;
    if (remaining === 0) break;
  }
  return true;
}
