/**
 * Key variables between assembly and disclosure control: a person column is coded (leaf
 * codes, plus its hierarchy when the project declares one), and after k-anonymity the
 * released column is built at the chosen level: the values themselves (level 0, suppressed
 * cells gathered as null so their bytes are absent from the file), or one label per group of
 * the level (Utf8), or all null at `*`.
 */
import type { Data } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { HierarchySpec } from '../model.js';
import { buildHierarchy, canTakeHierarchy } from './hierarchy.js';
import type { KeyVariableCodes } from './k-anonymity.js';
import { takeRows } from './take.js';
import { utf8Column } from './utf8-column.js';
import { valueCodes } from './value-codes.js';

/** `values`: one cell per person (offset 0, as takeRows makes). */
export function codeKeyVariable(name: string, values: Data, spec: HierarchySpec | undefined): KeyVariableCodes {
  const leaf = valueCodes(values);
  if (spec === undefined) return { name, ...leaf };
  if (!canTakeHierarchy(values.type, spec)) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', `key variable ${name} is ${String(values.type)} and cannot take its hierarchy`, { variable: name });
  }
  return { name, ...leaf, hierarchy: buildHierarchy(values, leaf, spec) };
}

/** The released column of a key variable at `level`, from its released codes (-1 = null). */
export function releasedKeyColumn(values: Data, variable: KeyVariableCodes, codes: Int32Array, level: number): Data {
  if (level === 0) {
    const rows = new Int32Array(codes.length);
    for (let i = 0; i < codes.length; i++) rows[i] = codes[i] < 0 ? -1 : i;
    return takeRows([values], rows);
  }
  const labels = variable.hierarchy![level - 1].labels;
  return takeRows([utf8Column(labels)], codes);
}
