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
 * All on dictionary codes in typed arrays: one contingency table per (column, key variable),
 * dense or by grouping (group-codes.ts), no object per row.
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

/** Distinct (row value, column value) cells of a contingency table, with their counts. */
interface Cells {
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly counts: Int32Array;
  readonly length: number;
}

/** Up to this many cells the contingency table is one dense array (16 MB), past it a grouping. */
const DENSE_CELLS = 1 << 22;

function contingency(a: Int32Array, aCard: number, b: Int32Array, bCard: number, n: number): Cells {
  if (aCard * bCard <= DENSE_CELLS) {
    const table = new Int32Array(aCard * bCard);
    for (let i = 0; i < n; i++) table[a[i] * bCard + b[i]]++;
    let length = 0;
    for (let x = 0; x < table.length; x++) if (table[x] > 0) length++;
    const rows = new Int32Array(length);
    const cols = new Int32Array(length);
    const counts = new Int32Array(length);
    for (let x = 0, j = 0; x < table.length; x++) {
      if (table[x] === 0) continue;
      rows[j] = Math.floor(x / bCard);
      cols[j] = x - rows[j] * bCard;
      counts[j++] = table[x];
    }
    return { rows, cols, counts, length };
  }
  const g = groupByCodes([a.subarray(0, n), b.subarray(0, n)], [aCard, bCard], n);
  const rows = new Int32Array(g.count);
  const cols = new Int32Array(g.count);
  for (let j = 0; j < g.count; j++) {
    const i = g.order[g.start[j]];
    rows[j] = a[i];
    cols[j] = b[i];
  }
  return { rows, cols, counts: g.size, length: g.count };
}

/**
 * Predictive gain of the cells' `by` side for their `target` side, counting the values of `by`
 * held by at least 2 pairs. Linear in cells plus cardinalities: no order of the cells assumed.
 */
function gainOver(by: Int32Array, byCard: number, target: Int32Array, targetCard: number, cells: Cells): { lambda: number; counted: number } {
  const total = new Int32Array(byCard);
  const best = new Int32Array(byCard);
  for (let j = 0; j < cells.length; j++) {
    total[by[j]] += cells.counts[j];
    if (cells.counts[j] > best[by[j]]) best[by[j]] = cells.counts[j];
  }
  const perTarget = new Int32Array(targetCard);
  let counted = 0;
  let correct = 0;
  for (let v = 0; v < byCard; v++) {
    if (total[v] < 2) continue;
    counted += total[v];
    correct += best[v];
  }
  for (let j = 0; j < cells.length; j++) if (total[by[j]] >= 2) perTarget[target[j]] += cells.counts[j];
  if (counted === 0) return { lambda: 0, counted };
  let mode = 0;
  for (let c = 0; c < targetCard; c++) if (perTarget[c] > mode) mode = perTarget[c];
  const baseline = mode / counted;
  if (baseline >= 1) return { lambda: 0, counted };
  return { lambda: (correct / counted - baseline) / (1 - baseline), counted };
}

/** Predictive gain of `by` for `target` over pairs, counting groups of `by` with >= 2 pairs. */
export function predictiveGain(
  by: Int32Array, byCard: number, target: Int32Array, targetCard: number, n: number,
): { lambda: number; counted: number } {
  const cells = contingency(by, byCard, target, targetCard, n);
  return gainOver(cells.rows, byCard, cells.cols, targetCard, cells);
}

/**
 * Distinct (column code, person) pairs of the rows where the column is non-null: rows put in
 * person order by one counting pass, then each person's few codes deduplicated with a stamp
 * per code (linear; a grouping by (code, person) cost a cache miss per row and pass).
 */
function distinctPairs(column: ReleasedColumnCodes, personCount: number): { c: Int32Array; p: Int32Array } {
  const rows = column.codes.length;
  const start = new Int32Array(personCount + 1);
  for (let r = 0; r < rows; r++) if (column.codes[r] >= 0) start[column.personOfRow[r] + 1]++;
  for (let p = 0; p < personCount; p++) start[p + 1] += start[p];
  const byPerson = new Int32Array(start[personCount]);
  const at = start.slice(0, personCount);
  for (let r = 0; r < rows; r++) if (column.codes[r] >= 0) byPerson[at[column.personOfRow[r]]++] = column.codes[r];
  const stamp = new Int32Array(column.cardinality).fill(-1);
  const c = new Int32Array(byPerson.length);
  const p = new Int32Array(byPerson.length);
  let n = 0;
  for (let person = 0; person < personCount; person++) {
    for (let i = start[person]; i < start[person + 1]; i++) {
      const code = byPerson[i];
      if (stamp[code] === person) continue;
      stamp[code] = person;
      c[n] = code;
      p[n++] = person;
    }
  }
  return { c: c.subarray(0, n), p: p.subarray(0, n) };
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
      // One contingency table of (column, key) serves both directions.
      const cells = contingency(c, column.cardinality, k, key.cardinality, n);
      const forward = gainOver(cells.rows, column.cardinality, cells.cols, key.cardinality, cells);
      const backward = gainOver(cells.cols, key.cardinality, cells.rows, column.cardinality, cells);
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
