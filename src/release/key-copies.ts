/**
 * Copies and recodings of key variables among the released non-key columns (issue 10, "key
 * variables are closed"). A column of `<dataset>.arrow` that maps each of its values to one
 * value of a key variable (a copy, or a finer recoding: `gemeente` next to key `nis_code`)
 * gives back the key variable wherever `persons` suppressed it; a column that each value of
 * the key variable maps to one value of (a coarser recoding: a region next to `nis_code`)
 * tells part of it. Either way the column is a quasi-identifier outside the k-check.
 *
 * The rule, over the distinct (column value, person) pairs of the released rows where both the
 * column and the person's key variable (before suppression) are non-null:
 *  - group the pairs by the column's value and keep the groups of at least 2 persons (a value
 *    seen for one person teaches an intruder no mapping);
 *  - `accuracy` = the share of the kept pairs whose key value is their group's most common one
 *    (an intruder's best guess of the key variable from the column);
 *  - `baseline` = the share of the most common key value among the same pairs (the best guess
 *    without the column);
 *  - the predictive gain lambda = (accuracy - baseline) / (1 - baseline) (Goodman and
 *    Kruskal's lambda: 1 when the column determines the key variable, 0 when it does not help;
 *    0 when the key variable is constant).
 * The column is refused when lambda >= KEY_COPY_LAMBDA over at least KEY_COPY_MIN_PERSONS
 * kept pairs, in either direction (the column predicting the key variable, or the key
 * variable predicting the column). The minimum keeps a handful of coincidental ties (two
 * persons who happen to earn the same) from refusing a release.
 *
 * All on dictionary codes in typed arrays: one grouping (group-codes.ts) per pass, no object
 * per row.
 */
import { groupByCodes } from './group-codes.js';

export const KEY_COPY_LAMBDA = 0.9;
export const KEY_COPY_MIN_PERSONS = 20;

/** One released non-key column as codes per row, with each row's person. */
export interface ReleasedColumnCodes {
  readonly dataset: string;
  readonly column: string;
  readonly codes: Int32Array;
  readonly cardinality: number;
  /** Per row, the index of its person in the key variables' code arrays. */
  readonly personOfRow: Int32Array;
}

/** Per person codes of one key variable before suppression (-1 = null). */
export interface PersonKeyCodes {
  readonly name: string;
  readonly codes: Int32Array;
  readonly cardinality: number;
}

export interface KeyCopyFinding {
  readonly dataset: string;
  readonly column: string;
  readonly key_variable: string;
  /** `determines`: the column predicts the key variable; `recodes`: the key variable predicts the column. */
  readonly direction: 'determines' | 'recodes';
  readonly lambda: number;
  readonly persons: number;
}

/** Predictive gain of `by` for `target` over pairs, counting groups of `by` with >= 2 pairs. */
export function predictiveGain(
  by: Int32Array, byCard: number, target: Int32Array, targetCard: number, n: number,
): { lambda: number; counted: number } {
  const g = groupByCodes([by.subarray(0, n), target.subarray(0, n)], [byCard, targetCard], n);
  const perTarget = new Int32Array(targetCard);
  let counted = 0;
  let correct = 0;
  for (let first = 0; first < g.count;) {
    const value = by[g.order[g.start[first]]];
    let last = first;
    let size = 0;
    let best = 0;
    while (last < g.count && by[g.order[g.start[last]]] === value) {
      size += g.size[last];
      if (g.size[last] > best) best = g.size[last];
      last++;
    }
    if (size >= 2) {
      counted += size;
      correct += best;
      for (let j = first; j < last; j++) perTarget[target[g.order[g.start[j]]]] += g.size[j];
    }
    first = last;
  }
  if (counted === 0) return { lambda: 0, counted };
  let mode = 0;
  for (let c = 0; c < targetCard; c++) if (perTarget[c] > mode) mode = perTarget[c];
  const baseline = mode / counted;
  if (baseline >= 1) return { lambda: 0, counted };
  return { lambda: (correct / counted - baseline) / (1 - baseline), counted };
}

/** Distinct (column code, person) pairs of the rows where the column is non-null. */
function distinctPairs(column: ReleasedColumnCodes, personCount: number): { c: Int32Array; p: Int32Array } {
  const rows = column.codes.length;
  const cs = new Int32Array(rows);
  const ps = new Int32Array(rows);
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (column.codes[r] < 0) continue;
    cs[n] = column.codes[r];
    ps[n] = column.personOfRow[r];
    n++;
  }
  const g = groupByCodes([cs.subarray(0, n), ps.subarray(0, n)], [column.cardinality, personCount], n);
  const c = new Int32Array(g.count);
  const p = new Int32Array(g.count);
  for (let i = 0; i < g.count; i++) {
    const pair = g.order[g.start[i]];
    c[i] = cs[pair];
    p[i] = ps[pair];
  }
  return { c, p };
}

/** Every (column, key variable) pair that the rule above refuses. */
export function findKeyCopies(keys: readonly PersonKeyCodes[], columns: readonly ReleasedColumnCodes[], personCount: number): KeyCopyFinding[] {
  const findings: KeyCopyFinding[] = [];
  for (const column of columns) {
    const pairs = distinctPairs(column, personCount);
    const c = new Int32Array(pairs.c.length);
    const k = new Int32Array(pairs.c.length);
    for (const key of keys) {
      let n = 0;
      for (let i = 0; i < pairs.c.length; i++) {
        const value = key.codes[pairs.p[i]];
        if (value < 0) continue;
        c[n] = pairs.c[i];
        k[n] = value;
        n++;
      }
      const forward = predictiveGain(c, column.cardinality, k, key.cardinality, n);
      const backward = predictiveGain(k, key.cardinality, c, column.cardinality, n);
      const base = { dataset: column.dataset, column: column.column, key_variable: key.name };
      if (forward.counted >= KEY_COPY_MIN_PERSONS && forward.lambda >= KEY_COPY_LAMBDA) {
        findings.push({ ...base, direction: 'determines', lambda: forward.lambda, persons: forward.counted });
      } else if (backward.counted >= KEY_COPY_MIN_PERSONS && backward.lambda >= KEY_COPY_LAMBDA) {
        findings.push({ ...base, direction: 'recodes', lambda: backward.lambda, persons: backward.counted });
      }
    }
  }
  return findings;
}
