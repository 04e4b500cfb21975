/**
 * Iyengar's loss metric, as ARX computes it: a cell generalised to a group covering m of the
 * variable's M distinct values loses (m - 1) / (M - 1); a suppressed cell (and a cell at the
 * top level `*`) loses 1; a cell at its own value loses 0. The measure is the mean over the
 * key-variable cells that held a value before disclosure control (a cell that was null in the
 * data is missing, not lost). 0 = everything as delivered, 1 = nothing left.
 *
 * Levels of a variable: 0 is the value itself (codes = the leaf codes), 1..top its hierarchy.
 */
import type { Hierarchy } from './hierarchy.js';

/** One key variable with its hierarchy (empty: the variable is never generalised). */
export interface LevelledVariable {
  readonly name: string;
  /** Leaf codes per record, -1 = null. */
  readonly codes: Int32Array;
  readonly cardinality: number;
  readonly hierarchy: Hierarchy;
}

/** Codes at level h: group codes per record, -1 for null (every record at the top level). */
export function codesAtLevel(variable: LevelledVariable, h: number): Int32Array {
  if (h === 0) return variable.codes;
  const map = variable.hierarchy[h - 1].codeOf;
  const leaf = variable.codes;
  const out = new Int32Array(leaf.length);
  for (let i = 0; i < leaf.length; i++) out[i] = leaf[i] < 0 ? -1 : map[leaf[i]];
  return out;
}

export function cardinalityAtLevel(variable: LevelledVariable, h: number): number {
  return h === 0 ? variable.cardinality : variable.hierarchy[h - 1].groups;
}

/** Per group code at level h, the loss of a cell released as that group. */
export function groupLosses(variable: LevelledVariable, h: number): Float64Array {
  const card = cardinalityAtLevel(variable, h);
  const out = new Float64Array(card);
  const big = variable.cardinality;
  if (h === 0 || big <= 1) return out;
  const leaves = variable.hierarchy[h - 1].leaves;
  for (let g = 0; g < card; g++) out[g] = (leaves[g] - 1) / (big - 1);
  return out;
}

/** Sum of the cell losses of the variable released whole at level h (no suppression). */
export function levelLossSum(variable: LevelledVariable, h: number): number {
  const leaf = variable.codes;
  if (h === variable.hierarchy.length && h > 0) {
    let nonNull = 0;
    for (let i = 0; i < leaf.length; i++) if (leaf[i] >= 0) nonNull++;
    return nonNull;
  }
  const perLeaf = new Float64Array(variable.cardinality);
  if (h > 0) {
    const losses = groupLosses(variable, h);
    const map = variable.hierarchy[h - 1].codeOf;
    for (let c = 0; c < perLeaf.length; c++) perLeaf[c] = losses[map[c]];
  }
  let sum = 0;
  for (let i = 0; i < leaf.length; i++) if (leaf[i] >= 0) sum += perLeaf[leaf[i]];
  return sum;
}

/**
 * Loss of released codes (level h, after suppression) of one variable, as a sum over cells:
 * a cell with a value before and null now loses 1, else its group's loss.
 */
export function releasedLossSum(variable: LevelledVariable, h: number, released: Int32Array): number {
  const losses = groupLosses(variable, h);
  const leaf = variable.codes;
  let sum = 0;
  for (let i = 0; i < leaf.length; i++) {
    if (leaf[i] < 0) continue;
    const c = released[i];
    sum += c < 0 ? 1 : losses[c];
  }
  return sum;
}

/** The cells that held a value before disclosure control: the measure's denominator. */
export function valueCells(variables: readonly LevelledVariable[]): number {
  let n = 0;
  for (const v of variables) for (let i = 0; i < v.codes.length; i++) if (v.codes[i] >= 0) n++;
  return n;
}
