/**
 * Generalisation hierarchies of key variables (ARX's "hierarchies"): level 0 is the value as
 * delivered, each declared level is coarser than the one below, and every hierarchy ends in
 * `*` (one group holding every value, released as null).
 *
 * Three kinds, each a chain of partitions (a group of level h lies inside one group of h + 1):
 *  - `bands`: numbers into bands aligned at 0, each width a multiple of the one before
 *    (`[5, 10]`: 1987 -> "1985-1989" -> "1980-1989" -> *);
 *  - `prefixes`: codes into their first characters, each length shorter than the one before.
 *    Belgian NIS municipality codes have 5 digits; the first 2 are the arrondissement and the
 *    first the province (Brabant's three parts, 21 Brussels, 23/24 Flemish and 25 Walloon
 *    Brabant, share the digit 2), so `[2, 1]` is municipality -> arrondissement -> province
 *    digit -> *. Belgian postcodes (4 digits) take `[2, 1]` the same way.
 *  - `groups`: code-list groupings, one map per level from the labels of the level below to a
 *    group label (nationality -> EU / non-EU); a label a level does not list stays its own group.
 *
 * Built once per release over the distinct values only: one JS value per distinct value, none
 * per row. Per level, `codeOf[leaf]` is the group code and `leaves[group]` how many distinct
 * values it covers (the m of the loss measure).
 */
import { DataType, type Data } from 'apache-arrow';
import type { HierarchySpec } from '../model.js';
import type { ValueCodes } from './value-codes.js';

export interface HierarchyLevel {
  /** "bands of 5", "first 2 characters", "groups 1", or "*". */
  readonly name: string;
  /** Per leaf code, the group code at this level (the top level maps every leaf to -1). */
  readonly codeOf: Int32Array;
  /** Number of groups (0 at the top: its only group is null). */
  readonly groups: number;
  /** Per group, its label in the release. */
  readonly labels: readonly string[];
  /** Per group, the number of distinct leaf values it covers. */
  readonly leaves: Int32Array;
}

/** Levels 1..top of one variable (level 0, the value itself, is implicit). */
export type Hierarchy = readonly HierarchyLevel[];

export const TOP_LEVEL_NAME = '*';

export function levelNames(spec: HierarchySpec): string[] {
  if ('bands' in spec) return [...spec.bands.map((b) => `bands of ${b}`), TOP_LEVEL_NAME];
  if ('prefixes' in spec) return [...spec.prefixes.map((p) => `first ${p} character${p === 1 ? '' : 's'}`), TOP_LEVEL_NAME];
  return [...spec.groups.map((_, i) => `groups ${i + 1}`), TOP_LEVEL_NAME];
}

/** Problems with a spec as such (the column type is checked at release build). */
export function hierarchyProblems(spec: HierarchySpec): string[] {
  if ('groups' in spec) return spec.groups.length === 0 ? ['needs at least one level'] : [];
  const steps = 'bands' in spec ? spec.bands : spec.prefixes;
  const problems: string[] = [];
  if (steps.length === 0) problems.push('needs at least one level');
  steps.forEach((s, i) => {
    if (i === 0) return;
    if ('bands' in spec && s % steps[i - 1] !== 0) problems.push(`band ${s} is not a multiple of band ${steps[i - 1]}`);
    if ('prefixes' in spec && s >= steps[i - 1]) problems.push(`prefix ${s} is not shorter than prefix ${steps[i - 1]}`);
  });
  return problems;
}

/** One JS value per distinct code: the first row holding it, read once. */
function distinctValues(data: Data, leaf: ValueCodes, numeric: boolean): (string | number)[] {
  const firstRow = new Int32Array(leaf.cardinality).fill(-1);
  for (let i = 0; i < leaf.codes.length; i++) {
    const c = leaf.codes[i];
    if (c >= 0 && firstRow[c] < 0) firstRow[c] = i;
  }
  const out: (string | number)[] = [];
  const decoder = new TextDecoder();
  for (let c = 0; c < leaf.cardinality; c++) {
    const row = firstRow[c];
    if (DataType.isUtf8(data.type)) {
      const offsets = data.valueOffsets as Int32Array;
      const text = decoder.decode((data.values as Uint8Array).subarray(offsets[row], offsets[row + 1]));
      out.push(numeric ? Number(text) : text);
    } else {
      const value = Number((data.values as ArrayLike<number | bigint>)[row]);
      out.push(numeric ? value : String(value));
    }
  }
  return out;
}

/** Whether a release column of this type (takeRows output) can take the hierarchy. */
export function canTakeHierarchy(type: DataType, spec: HierarchySpec): boolean {
  const number = DataType.isInt(type) || (DataType.isFloat(type) && type.precision !== 0);
  return 'bands' in spec ? number : number || DataType.isUtf8(type);
}

/**
 * The levels of one key variable, from its person column (offset 0, as takeRows makes) and
 * its leaf codes (valueCodes of the same column).
 */
export function buildHierarchy(data: Data, leaf: ValueCodes, spec: HierarchySpec): Hierarchy {
  if (!canTakeHierarchy(data.type, spec)) throw new TypeError(`a ${String(data.type)} column cannot take this hierarchy`);
  const values = distinctValues(data, leaf, 'bands' in spec);
  const names = levelNames(spec);
  const levels: HierarchyLevel[] = [];
  let labels = values.map(String);
  for (let h = 0; h < names.length - 1; h++) {
    labels = values.map((value, c) => levelLabel(spec, h, value, labels[c]));
    levels.push(levelOf(names[h], labels));
  }
  levels.push({
    name: TOP_LEVEL_NAME, codeOf: new Int32Array(leaf.cardinality).fill(-1), groups: 0, labels: [],
    leaves: new Int32Array(0),
  });
  return levels;
}

function levelLabel(spec: HierarchySpec, h: number, value: string | number, below: string): string {
  if ('bands' in spec) {
    const band = spec.bands[h];
    if (!Number.isFinite(value as number)) return below;
    const low = Math.floor((value as number) / band) * band;
    return `${low}-${low + band - 1}`;
  }
  if ('prefixes' in spec) return [...String(value)].slice(0, spec.prefixes[h]).join('');
  return spec.groups[h][below] ?? below;
}

/** Codes the labels in order of first appearance among the leaf codes (deterministic). */
function levelOf(name: string, leafLabels: readonly string[]): HierarchyLevel {
  const index = new Map<string, number>();
  const labels: string[] = [];
  const codeOf = new Int32Array(leafLabels.length);
  const counts: number[] = [];
  leafLabels.forEach((label, c) => {
    let g = index.get(label);
    if (g === undefined) {
      g = labels.length;
      index.set(label, g);
      labels.push(label);
      counts.push(0);
    }
    codeOf[c] = g;
    counts[g]++;
  });
  return { name, codeOf, groups: labels.length, labels, leaves: Int32Array.from(counts) };
}
