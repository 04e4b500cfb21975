/**
 * A protected table as an SDMX-CSV 2.0 data message (github.com/sdmx-twg/sdmx-csv, "Data
 * Message Field Guide"), for statistical tools and SDMX registries (.Stat Suite, Eurostat's
 * converters):
 *
 *   STRUCTURE,STRUCTURE_ID,ACTION,<DIM>...,OBS_VALUE,OBS_STATUS,CONF_STATUS
 *   dataflow,KOPPEL:PERSONS_BY_MUNICIPALITY(1.0.0),I,11002,F,15,A,F
 *   dataflow,KOPPEL:PERSONS_BY_MUNICIPALITY(1.0.0),I,44021,F,,O,C
 *
 * One row per cell, totals and subtotals included; ACTION `I` (information). Dimension ids are
 * the variable names in capitals, the `period` dimension is SDMX's `TIME_PERIOD` (2024Q1 ->
 * 2024-Q1), and a total is the SDMX cross-domain code `_T`. Suppressed cells have an empty
 * OBS_VALUE. The status codes are SDMX's cross-domain code lists:
 *   OBS_STATUS (CL_OBS_STATUS): `A` normal value; `O` missing value (suppressed here);
 *   CONF_STATUS (CL_CONF_STATUS): `F` free for publication; `C` confidential (primary
 *   suppression: a disclosure rule); `D` secondary confidentiality set by the sender (it
 *   protects a primary cell).
 */
import { PRIMARY, PUBLISHED } from './primary-suppression.js';
import type { DimensionTree } from './dimension-tree.js';
import type { TableShape } from './table-shape.js';

export const SDMX_CSV_MEDIA_TYPE = 'application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8';

/** An SDMX id (`[A-Za-z0-9_@$-]+`) from a Koppel name. */
function sdmxId(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_@$-]/g, '_');
}

/** A CSV field (RFC 4180): quoted when needed; a leading = + - @ is neutralised (formula injection). */
function field(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
}

/** A dimension's codes: the total as `_T`, a quarter of the period as SDMX writes it. */
function codesOf(tree: DimensionTree, period: boolean): string[] {
  return tree.labels.map((l, node) => {
    if (node === tree.root) return '_T';
    if (period && /^\d{4}Q[1-4]$/.test(l)) return `${l.slice(0, 4)}-${l.slice(4)}`;
    return field(l);
  });
}

export function sdmxCsv(name: string, shape: TableShape, published: Float64Array, status: Uint8Array, periodDimension: string | null): Uint8Array {
  const dims = shape.dims.map((d) => ({ id: d.name === periodDimension ? 'TIME_PERIOD' : sdmxId(d.name), codes: codesOf(d, d.name === periodDimension), size: d.size }));
  const prefix = `dataflow,KOPPEL:${sdmxId(name)}(1.0.0),I`;
  const lines = [['STRUCTURE', 'STRUCTURE_ID', 'ACTION', ...dims.map((d) => d.id), 'OBS_VALUE', 'OBS_STATUS', 'CONF_STATUS'].join(',')];
  for (let c = 0; c < shape.cells; c++) {
    let key = '';
    for (let d = 0; d < dims.length; d++) key += `,${dims[d].codes[Math.floor(c / shape.strides[d]) % dims[d].size]}`;
    const s = status[c];
    const observation = s === PUBLISHED ? `${number(published[c])},A,F` : `,O,${s === PRIMARY ? 'C' : 'D'}`;
    lines.push(`${prefix}${key},${observation}`);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}
