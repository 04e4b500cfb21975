/**
 * `koppel table --earlier FILE`: tables published before, read back from the files Koppel
 * wrote for them (`table.json`, JSON-stat 2.0, or `table.csv` with its flag column), so that a
 * statistician's local build honours them as the server's builds honour the project's ledger
 * (table-suppression.ts, release/tables/earlier-tables.ts).
 *
 * A published file lacks what the engine takes of an earlier table: the values of its
 * suppressed cells, and (for CSV) its hierarchy. They are recovered thus:
 *  - hierarchy: JSON-stat's `category.child`; else the new table's dimension of the same name
 *    (a label's parent is its nearest ancestor there that the earlier table has); else flat
 *    under `Total`;
 *  - a suppressed leaf cell takes the new table's value at the same coordinates (the same
 *    people, which is what the engine asks of a shared cell): so the new file must hold the
 *    earlier period's records too (two quarters: the second build reads both);
 *  - every total and subtotal is then the sum of its leaves, and must equal what the earlier
 *    file published. Otherwise the earlier table counted other records, and it is refused
 *    (KOPPEL_ERR_SCHEMA_TABLE_INVALID, naming the file) rather than guessed.
 * The earlier table is taken to count what the new one counts (persons, records or a sum; a
 * mean is refused: its file holds no sums).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { KoppelError } from '../errors.js';
import { dimensionTree, TOTAL_LABEL, type DimensionLevel, type DimensionTree } from '../release/tables/dimension-tree.js';
import { PRIMARY, PUBLISHED, SECONDARY } from '../release/tables/primary-suppression.js';
import type { EarlierTable, TableSpec } from '../release/tables/suppress-table.js';
import { buildCells, type TableInput } from '../release/tables/table-cells.js';
import { tableShape, type TableShape } from '../release/tables/table-shape.js';

interface PublishedDim { readonly name: string; readonly labels: string[]; readonly parentOf: Map<string, string> | null }
interface PublishedCell { readonly labels: readonly string[]; readonly value: number | null; readonly status: number }
interface Published { readonly dims: readonly PublishedDim[]; readonly cells: readonly PublishedCell[] }

function bad(file: string, message: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_SCHEMA_TABLE_INVALID', `earlier table ${basename(file)}: ${message}`, { file: basename(file) });
}

type JsonStatCategory = { index?: Record<string, number> | string[]; label?: Record<string, string>; child?: Record<string, string[]> };

function fromJsonStat(doc: Record<string, unknown>, file: string): Published {
  const ids = doc.id as string[] | undefined;
  const size = doc.size as number[] | undefined;
  const values = doc.value as (number | null)[] | undefined;
  if (!Array.isArray(ids) || !Array.isArray(size) || !Array.isArray(values)) throw bad(file, 'not a JSON-stat dataset with id, size and a value array');
  const statuses = (doc.status ?? {}) as Record<string, string> | string[];
  const dims = ids.map((name): PublishedDim => {
    const category = ((doc.dimension as Record<string, { category?: JsonStatCategory }>)?.[name]?.category ?? {});
    const index = category.index ?? {};
    const keys = Array.isArray(index) ? [...index] : Object.keys(index).sort((a, b) => index[a] - index[b]);
    const labelOf = (key: string) => category.label?.[key] ?? key;
    let parentOf: Map<string, string> | null = null;
    if (category.child !== undefined) {
      parentOf = new Map();
      for (const [parent, children] of Object.entries(category.child)) for (const c of children) parentOf.set(labelOf(c), labelOf(parent));
    }
    return { name, labels: keys.map(labelOf), parentOf };
  });
  const cells: PublishedCell[] = values.map((value, c) => {
    let rest = c;
    const labels = new Array<string>(dims.length);
    for (let d = dims.length - 1; d >= 0; d--) { labels[d] = dims[d].labels[rest % size[d]]; rest = Math.floor(rest / size[d]); }
    const flag = (statuses as Record<string, string>)[`${c}`];
    return { labels, value, status: flag === 'p' ? PRIMARY : flag === 's' ? SECONDARY : PUBLISHED };
  });
  return { dims, cells };
}

/** RFC 4180 records (quoted fields, doubled quotes); Koppel's neutralised labels (`'=x`) lose their quote. */
function csvRecords(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); out.push(row); row = []; field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); out.push(row); }
  return out.map((r) => r.map((f) => (/^'[=+\-@\t\r]/.test(f) ? f.slice(1) : f)));
}

const FLAGS: Readonly<Record<string, number>> = { published: PUBLISHED, primary: PRIMARY, secondary: SECONDARY };

function fromCsv(text: string, file: string): Published {
  const [header, ...rows] = csvRecords(text);
  if (header === undefined || header.length < 3 || header[header.length - 2] !== 'value' || header[header.length - 1] !== 'flag') {
    throw bad(file, 'not a table.csv of Koppel (its header ends with value,flag)');
  }
  const dims: PublishedDim[] = header.slice(0, -2).map((name) => ({ name, labels: [], parentOf: null }));
  const seen = dims.map(() => new Set<string>());
  const cells = rows.map((r, i): PublishedCell => {
    const status = FLAGS[r[r.length - 1]];
    if (r.length !== header.length || status === undefined) throw bad(file, `row ${i + 2} has ${r.length} fields or an unknown flag`);
    const labels = r.slice(0, -2);
    labels.forEach((l, d) => { if (!seen[d].has(l)) { seen[d].add(l); dims[d].labels.push(l); } });
    const value = r[r.length - 2] === '' ? null : Number(r[r.length - 2]);
    if (value !== null && !Number.isFinite(value)) throw bad(file, `row ${i + 2} has a value that is not a number`);
    return { labels, value, status };
  });
  return { dims, cells };
}

/** The earlier dimension as a tree: leaves, uniform levels above them, `Total` on top. */
function treeOf(dim: PublishedDim, reference: DimensionTree | undefined, file: string): DimensionTree {
  const has = new Set(dim.labels);
  if (!has.has(TOTAL_LABEL)) throw bad(file, `dimension ${dim.name} has no ${TOTAL_LABEL}`);
  const parent = (label: string): string => {
    const explicit = dim.parentOf?.get(label);
    if (explicit !== undefined) return explicit;
    let node = reference === undefined ? -1 : reference.labels.indexOf(label);
    while (reference !== undefined && node >= 0 && reference.parent[node] >= 0) {
      node = reference.parent[node];
      if (has.has(reference.labels[node])) return reference.labels[node];
    }
    return TOTAL_LABEL;
  };
  const parents = new Set(dim.labels.filter((l) => l !== TOTAL_LABEL).map(parent));
  const leaves = dim.labels.filter((l) => l !== TOTAL_LABEL && !parents.has(l));
  const chains = leaves.map((leaf) => {
    const chain: string[] = [];
    for (let at = parent(leaf); at !== TOTAL_LABEL; at = parent(at)) {
      if (chain.length > 10 || !has.has(at)) throw bad(file, `dimension ${dim.name} has a hierarchy Koppel cannot read`);
      chain.push(at);
    }
    return chain;
  });
  const depth = chains[0]?.length ?? 0;
  if (chains.some((c) => c.length !== depth)) throw bad(file, `dimension ${dim.name}: its leaves are at different depths`);
  const levels: DimensionLevel[] = [];
  for (let h = 0; h < depth; h++) {
    const labels = [...new Set(chains.map((c) => c[h]))];
    levels.push({ codeOf: Int32Array.from(chains, (c) => labels.indexOf(c[h])), labels });
  }
  return dimensionTree(dim.name, leaves, levels);
}

/** Per earlier cell, the new table's cell at the same coordinates (a dimension one lacks at its total), or -1. */
function targetOf(nodes: readonly number[], trees: readonly DimensionTree[], now: TableShape): number {
  let cell = 0;
  for (const [e, tree] of now.dims.entries()) {
    const d = trees.findIndex((t) => t.name === tree.name);
    const node = d < 0 ? tree.root : tree.labels.indexOf(trees[d].labels[nodes[d]]);
    if (node < 0) return -1;
    cell += node * now.strides[e];
  }
  return trees.every((t, d) => nodes[d] === t.root || now.dims.some((n) => n.name === t.name)) ? cell : -1;
}

/** Every internal cell as the sum of its leaves, bottom-up along each dimension in turn. */
function sumUp(shape: TableShape, values: Float64Array): void {
  shape.dims.forEach((tree, d) => {
    const stride = shape.strides[d];
    for (let v = tree.leaves; v < tree.size; v++) {
      for (let c = 0; c < shape.cells; c++) {
        if (Math.floor(c / stride) % tree.size !== v) continue;
        let sum = 0;
        for (let k = tree.childStart[v]; k < tree.childStart[v + 1]; k++) sum += values[c + (tree.children[k] - v) * stride];
        values[c] = sum;
      }
    }
  });
}

function earlierTable(file: string, published: Published, spec: TableSpec, now: TableShape, nowValues: Float64Array): EarlierTable {
  const trees = published.dims.map((d) => treeOf(d, spec.dimensions.find((t) => t.name === d.name), file));
  const shape = tableShape(trees);
  const nodeOf = trees.map((t) => new Map(t.labels.map((l, v) => [l, v])));
  const known = new Float64Array(shape.cells).fill(Number.NaN);
  const status = new Uint8Array(shape.cells);
  const leaves = new Float64Array(shape.cells);
  for (const cell of published.cells) {
    const nodes = cell.labels.map((l, d) => nodeOf[d].get(l) ?? -1);
    if (nodes.some((v) => v < 0)) throw bad(file, 'a label is not in its dimension');
    const c = nodes.reduce((at, v, d) => at + v * shape.strides[d], 0);
    status[c] = cell.status;
    if (cell.value !== null) known[c] = cell.value;
    if (nodes.some((v, d) => v >= trees[d].leaves)) continue;
    const target = cell.value === null ? targetOf(nodes, trees, now) : -2;
    if (target === -1) throw bad(file, `a suppressed cell (${cell.labels.join(', ')}) is not in the new table, so its value is unknown`);
    leaves[c] = cell.value ?? nowValues[target];
  }
  sumUp(shape, leaves);
  for (let c = 0; c < shape.cells; c++) {
    if (!Number.isNaN(known[c]) && Math.abs(known[c] - leaves[c]) > 1e-6 * Math.max(1, Math.abs(known[c]))) {
      throw bad(file, 'its published totals do not match the records of this file at the same coordinates: build from a file holding the earlier table\'s records too');
    }
  }
  return { dimensions: trees, measure: spec.measure, values: leaves, status };
}

/** The earlier tables named, as the engine takes them, checked against this build's records. */
export function earlierFromFiles(files: readonly string[], spec: TableSpec, input: TableInput): EarlierTable[] {
  if (files.length === 0) return [];
  if (spec.measure === 'mean') throw bad(files[0], 'a mean table\'s file holds no sums; use earlier tables with sum tables');
  const now = tableShape(spec.dimensions);
  const stats = buildCells(now, input, 1);
  const nowValues = spec.measure === 'persons' ? Float64Array.from(stats.contributors) : stats.total;
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw bad(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).name})`);
    }
    let published: Published;
    if (/\.json$/i.test(file)) {
      let doc: unknown;
      try { doc = JSON.parse(text); } catch { throw bad(file, 'is not JSON'); }
      published = fromJsonStat(doc as Record<string, unknown>, file);
    } else published = fromCsv(text, file);
    return earlierTable(file, published, spec, now, nowValues);
  });
}
