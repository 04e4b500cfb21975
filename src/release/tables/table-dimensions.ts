/**
 * From released columns to a table's dimensions: per record a leaf code, and per dimension its
 * tree (dimension-tree.ts). A dimension is one released variable with
 *
 *  - a generalisation to its leaves: `band` (numbers: 1987 -> "1985-1989" with 5), `prefix`
 *    (codes: NIS 11002 -> "11" with 2, postcode 2000 -> "2" with 1) or `groups` (a code-list
 *    grouping: "BE" -> "EU"); none keeps the value;
 *  - a hierarchy above the leaves (the project's shapes: `bands`, `prefixes`, `groups`), each
 *    level a grouping of the one below (municipality < district < province), the root on top;
 *  - optionally the declared leaf `categories` (so that a category without records is a zero
 *    cell, and two quarters of one table have the same cells); other values are left out.
 *
 * Per record: one integer code, never a string; labels are made per distinct value. The row
 * loops give the event loop a turn between Arrow chunks (a job's payload comes in batches of
 * about 64k rows), so a server building a table of millions of records keeps answering.
 */
import { DataType, type Data } from 'apache-arrow';
import { KoppelError } from '../../errors.js';
import type { HierarchySpec } from '../../model.js';
import { isBitSet, validityBitmap } from '../../util/null-bitmap.js';
import { valueCodes } from '../value-codes.js';
import { dimensionTree, type DimensionLevel, type DimensionTree } from './dimension-tree.js';

export interface DimensionSpec {
  readonly variable: string;
  readonly band?: number;
  readonly prefix?: number;
  readonly groups?: Readonly<Record<string, string>>;
  readonly hierarchy?: HierarchySpec;
  readonly categories?: readonly string[];
}

/** Per record a code into `labels` (-1: null). */
export interface RawCodes {
  readonly codes: Int32Array;
  readonly labels: readonly string[];
}

/** A dimension as the ledger keeps it, to rebuild its tree for later builds. */
export interface DimensionDescription {
  readonly name: string;
  readonly leaves: readonly string[];
  readonly levels: readonly { readonly codeOf: readonly number[]; readonly labels: readonly string[] }[];
}

export interface BuiltDimension {
  readonly tree: DimensionTree;
  readonly description: DimensionDescription;
  /** Per record, its leaf (-1: null, or not among the declared categories). */
  readonly leaves: Int32Array;
}

function badTable(variable: string, message: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_RELEASE_BAD_TABLE', `dimension ${variable}: ${message}`, { dimension: variable });
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Rows handled between two turns of the event loop. */
const SLICE = 1 << 16;

/** Codes of a column given as chunks (Utf8, Dictionary<Utf8>, integers or floats); `band` groups numbers. */
export async function rawCodes(variable: string, chunks: readonly Data[], band?: number): Promise<RawCodes> {
  let n = 0;
  for (const c of chunks) n += c.length;
  const codes = new Int32Array(n);
  const labels: string[] = [];
  const byLabel = new Map<string, number>();
  const byNumber = new Map<number, number>();
  const codeOfLabel = (label: string): number => {
    let code = byLabel.get(label);
    if (code === undefined) { code = labels.length; byLabel.set(label, code); labels.push(label); }
    return code;
  };
  const decoder = new TextDecoder();
  let at = 0;
  for (const chunk of chunks) {
    if (at > 0) await yieldNow();
    const bitmap = validityBitmap(chunk);
    const type = chunk.type;
    if (DataType.isInt(type) || (DataType.isFloat(type) && type.precision !== 0)) {
      const values = chunk.values as ArrayLike<number | bigint>;
      for (let i = 0; i < chunk.length; i++, at++) {
        const v = Number(values[i]);
        if ((bitmap !== null && !isBitSet(bitmap, chunk.offset + i)) || !Number.isFinite(v)) { codes[at] = -1; continue; }
        const key = band === undefined ? v : Math.floor(v / band) * band;
        let code = byNumber.get(key);
        if (code === undefined) {
          code = codeOfLabel(band === undefined ? String(key) : `${key}-${key + band - 1}`);
          byNumber.set(key, code);
        }
        codes[at] = code;
      }
      continue;
    }
    if (band !== undefined) throw badTable(variable, `bands need a numeric column, not ${String(type)}`);
    if (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary)) {
      const dict = chunk.dictionary!;
      const map = Int32Array.from({ length: dict.length }, (_, k) => codeOfLabel(String(dict.get(k))));
      const indices = chunk.values as ArrayLike<number>;
      for (let i = 0; i < chunk.length; i++, at++) codes[at] = bitmap !== null && !isBitSet(bitmap, chunk.offset + i) ? -1 : map[Number(indices[i])];
      continue;
    }
    if (!DataType.isUtf8(type)) throw badTable(variable, `a ${String(type)} column cannot be a table dimension`);
    const offsets = chunk.valueOffsets as Int32Array;
    const bytes = chunk.values as Uint8Array;
    if (chunk.offset === 0) {
      // Interned bytes per row; one string per distinct value.
      const local = valueCodes(chunk);
      const map = new Int32Array(local.cardinality).fill(-2);
      for (let i = 0; i < chunk.length; i++, at++) {
        const c = local.codes[i];
        if (c < 0) { codes[at] = -1; continue; }
        if (map[c] === -2) map[c] = codeOfLabel(decoder.decode(bytes.subarray(offsets[i], offsets[i + 1])));
        codes[at] = map[c];
      }
    } else {
      for (let i = 0; i < chunk.length; i++, at++) {
        codes[at] = bitmap !== null && !isBitSet(bitmap, chunk.offset + i) ? -1 : codeOfLabel(decoder.decode(bytes.subarray(offsets[i], offsets[i + 1])));
      }
    }
  }
  return { codes, labels };
}

/** The label of a value at a hierarchy level above `below` (its label one level down). */
function levelLabel(spec: HierarchySpec, h: number, below: string): string {
  if ('bands' in spec) {
    const low = Number.parseFloat(below);
    if (!Number.isFinite(low)) return below;
    const start = Math.floor(low / spec.bands[h]) * spec.bands[h];
    return `${start}-${start + spec.bands[h] - 1}`;
  }
  if ('prefixes' in spec) return [...below].slice(0, spec.prefixes[h]).join('');
  return spec.groups[h][below] ?? below;
}

function levelsOf(spec: HierarchySpec | undefined, leaves: readonly string[]): DimensionLevel[] {
  if (spec === undefined) return [];
  const count = 'bands' in spec ? spec.bands.length : 'prefixes' in spec ? spec.prefixes.length : spec.groups.length;
  const out: DimensionLevel[] = [];
  let below = [...leaves];
  for (let h = 0; h < count; h++) {
    const labels: string[] = [];
    const index = new Map<string, number>();
    const up = below.map((label) => levelLabel(spec, h, label));
    const codeOf = Int32Array.from(up, (label) => {
      let g = index.get(label);
      if (g === undefined) { g = labels.length; index.set(label, g); labels.push(label); }
      return g;
    });
    out.push({ codeOf, labels });
    below = up;
  }
  return out;
}

const collator = new Intl.Collator('en', { numeric: true });
const byLabel = (a: string, b: string) => collator.compare(a, b);

/** A dimension from its records' raw codes. */
export async function buildDimension(spec: DimensionSpec, raw: RawCodes): Promise<BuiltDimension> {
  const leafOfRaw = raw.labels.map((label) => {
    if (spec.prefix !== undefined) return [...label].slice(0, spec.prefix).join('');
    if (spec.groups !== undefined) return spec.groups[label] ?? label;
    return label;
  });
  const leafLabels = spec.categories !== undefined ? [...spec.categories] : [...new Set(leafOfRaw)].sort(byLabel);
  const leafIndex = new Map(leafLabels.map((l, i) => [l, i]));
  const map = Int32Array.from(leafOfRaw, (l) => leafIndex.get(l) ?? -1);
  const leaves = new Int32Array(raw.codes.length);
  for (let from = 0; from < raw.codes.length; from += SLICE) {
    if (from > 0) await yieldNow();
    const to = Math.min(raw.codes.length, from + SLICE);
    for (let i = from; i < to; i++) leaves[i] = raw.codes[i] < 0 ? -1 : map[raw.codes[i]];
  }
  const levels = levelsOf(spec.hierarchy, leafLabels);
  return { tree: treeOf(spec.variable, leafLabels, levels), leaves, description: describe(spec.variable, leafLabels, levels) };
}

function describe(name: string, leaves: readonly string[], levels: readonly DimensionLevel[]): DimensionDescription {
  return { name, leaves, levels: levels.map((l) => ({ codeOf: [...l.codeOf], labels: l.labels })) };
}

function treeOf(name: string, leaves: readonly string[], levels: readonly DimensionLevel[]): DimensionTree {
  if (leaves.length === 0) throw badTable(name, 'no record has a value');
  try {
    return dimensionTree(name, leaves, levels);
  } catch (err) {
    if (err instanceof RangeError) throw badTable(name, err.message);
    throw err;
  }
}

/** The tree of a dimension the ledger kept. */
export function treeFromDescription(d: DimensionDescription): DimensionTree {
  return treeOf(d.name, d.leaves, d.levels.map((l) => ({ codeOf: Int32Array.from(l.codeOf), labels: l.labels })));
}
