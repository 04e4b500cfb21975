/**
 * Which groups of a grouping may be released: at least k records and, when the project
 * declares a sensitive attribute, at least l distinct non-null values of it (l-diversity,
 * sdc.md). Both only ever become true as groups merge or grow, which is what makes the
 * generalisation lattice monotone and lets local suppression move records into a compliant
 * group without breaking it.
 */
import type { Grouping } from './group-codes.js';

/** The sensitive attribute as dictionary codes per record (-1 = null), and the l required. */
export interface Diversity {
  readonly name: string;
  readonly codes: Int32Array;
  readonly cardinality: number;
  readonly l: number;
}

/** Per group, 1 when it is compliant. */
export function compliantGroups(grouping: Grouping, k: number, diversity?: Diversity): Uint8Array {
  const { count, size, start, order } = grouping;
  const out = new Uint8Array(count);
  if (diversity === undefined) {
    for (let g = 0; g < count; g++) out[g] = size[g] >= k ? 1 : 0;
    return out;
  }
  const { codes, cardinality, l } = diversity;
  // lastGroup[value] = the last group (+1) that counted the value: no clearing per group.
  const lastGroup = new Int32Array(cardinality);
  for (let g = 0; g < count; g++) {
    if (size[g] < k) continue;
    let distinct = 0;
    const end = start[g] + size[g];
    for (let i = start[g]; i < end && distinct < l; i++) {
      const c = codes[order[i]];
      if (c >= 0 && lastGroup[c] !== g + 1) {
        lastGroup[c] = g + 1;
        distinct++;
      }
    }
    out[g] = distinct >= l ? 1 : 0;
  }
  return out;
}

/** The records of non-compliant groups, in row order, and how many there are. */
export function violatorsOf(grouping: Grouping, compliant: Uint8Array, out: Int32Array): number {
  let n = 0;
  const { groupOf } = grouping;
  for (let i = 0; i < groupOf.length; i++) if (compliant[groupOf[i]] === 0) out[n++] = i;
  return n;
}
