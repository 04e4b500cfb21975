/**
 * One table build, shared by the server (records from a finished job) and `koppel table`
 * (records from local files): the specification and the records become the engine's input
 * (typed arrays, no object per record); the engine's result becomes the output files and the
 * manifest's summary.
 */
import type { Data, Vector } from 'apache-arrow';
import type { PeriodRun } from '../release/index.js';
import { chunksOf } from '../release/take.js';
import { PRIMARY, SECONDARY } from '../release/tables/primary-suppression.js';
import type { SuppressedTable, TableSpec } from '../release/tables/suppress-table.js';
import type { TableInput } from '../release/tables/table-cells.js';
import { buildDimension, rawCodes, type BuiltDimension, type DimensionDescription, type RawCodes } from '../release/tables/table-dimensions.js';
import { sdmxCsv } from '../release/tables/sdmx-csv.js';
import { dataPackage, jsonStat, tableCsv, type OpenDataMeta } from '../release/tables/table-outputs.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';
import type { TableRecordsInput } from './table-records.js';
import { enginePolicy, PERIOD_VARIABLE, type TableSpecBody } from './table-specs.js';

export interface PreparedTable {
  readonly spec: TableSpec;
  readonly input: TableInput;
  readonly dimensions: readonly BuiltDimension[];
}

async function periodCodes(periods: readonly PeriodRun[] | Vector | Data, rows: number): Promise<RawCodes> {
  if (!Array.isArray(periods)) return rawCodes(PERIOD_VARIABLE, chunksOf(periods as Vector | Data));
  const labels = [...new Set(periods.map((p) => p.period))];
  const codes = new Int32Array(rows);
  let at = 0;
  for (const run of periods) {
    codes.fill(labels.indexOf(run.period), at, at + run.rows);
    at += run.rows;
  }
  return { codes, labels };
}

function numbers(column: Vector | Data): Float64Array {
  const chunks = chunksOf(column);
  const out = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    const bitmap = validityBitmap(chunk);
    const values = chunk.values as ArrayLike<number | bigint>;
    for (let i = 0; i < chunk.length; i++, at++) out[at] = bitmap !== null && !isBitSet(bitmap, chunk.offset + i) ? Number.NaN : Number(values[i]);
  }
  return out;
}

export async function prepareTable(body: TableSpecBody, records: TableRecordsInput): Promise<PreparedTable> {
  const rows = records.personOfRow.length;
  const column = (name: string) => {
    const c = records.columns[name];
    if (c === undefined) throw new Error(`the records have no column ${name}`);
    return c;
  };
  const dimensions: BuiltDimension[] = [];
  for (const d of body.dimensions) {
    const raw = d.variable === PERIOD_VARIABLE ? await periodCodes(records.periods, rows) : await rawCodes(d.variable, chunksOf(column(d.variable)), d.band);
    dimensions.push(await buildDimension(d, raw));
  }
  const leaves = dimensions.map((d) => d.leaves);
  // A record without a value, or without a unit, is left out: its first leaf becomes -1.
  const leaveOut = (row: number) => { leaves[0][row] = -1; };
  let value: Float64Array | null = null;
  if (body.value !== undefined) {
    value = numbers(column(body.value));
    for (let r = 0; r < rows; r++) if (!Number.isFinite(value[r])) { leaveOut(r); value[r] = 0; }
  }
  let contributor = records.personOfRow;
  let contributors = records.persons;
  if (body.unit !== undefined) {
    const units = await rawCodes(body.unit, chunksOf(column(body.unit)));
    contributor = units.codes;
    contributors = Math.max(units.labels.length, 1);
    for (let r = 0; r < rows; r++) if (contributor[r] < 0) { leaveOut(r); contributor[r] = 0; }
  }
  const spec: TableSpec = {
    dimensions: dimensions.map((d) => d.tree), measure: body.measure, policy: enginePolicy(body.policy), ...(body.loss === undefined ? {} : { loss: body.loss }),
  };
  return { spec, input: { leaves, contributor, contributors, value }, dimensions };
}

export interface TableSummary {
  readonly cells: number;
  readonly primary: number;
  readonly secondary: number;
  readonly published: number;
  readonly records_left_out: number;
  /** Persons or records (or the value, for sums) in the suppressed cells, totals included. */
  readonly suppressed_value: number;
  /** The same in the complementary (secondary) cells: the information the protection cost. */
  readonly secondary_value: number;
  /** What the secondary suppression minimised: `value` (default) or `cells`. */
  readonly loss: 'cells' | 'value';
}

export function summarise(result: SuppressedTable): TableSummary {
  let primary = 0;
  let secondary = 0;
  let suppressedValue = 0;
  let secondaryValue = 0;
  for (let c = 0; c < result.status.length; c++) {
    if (result.status[c] === PRIMARY) primary++;
    else if (result.status[c] === SECONDARY) { secondary++; secondaryValue += result.values[c]; }
    if (result.status[c] !== 0) suppressedValue += result.values[c];
  }
  return {
    cells: result.status.length, primary, secondary, published: result.status.length - primary - secondary,
    records_left_out: result.stats.recordsLeftOut, suppressed_value: suppressedValue, secondary_value: secondaryValue, loss: result.loss,
  };
}

/** What the manifest says of the attacker's audit (its per-cell bounds stay out). */
export function auditSummary(result: SuppressedTable): Record<string, number> {
  const { min: _min, max: _max, ...counts } = result.audit;
  return { ...counts };
}

export function describeDimensions(prepared: PreparedTable): DimensionDescription[] {
  return prepared.dimensions.map((d) => d.description);
}

export function openDataMeta(body: TableSpecBody): OpenDataMeta | null {
  if (body.open_data !== true || body.dcat === undefined) return null;
  const { dcat } = body;
  return {
    name: body.name, measure: body.measure, title: dcat.title ?? body.title, description: dcat.description ?? body.description ?? body.title,
    licence: dcat.licence, publisher: dcat.publisher,
    ...(dcat.spatial === undefined ? {} : { spatial: dcat.spatial }),
    ...(dcat.temporal === undefined ? {} : { temporal: dcat.temporal }),
    ...(dcat.keywords === undefined ? {} : { keywords: dcat.keywords }),
  };
}

/** table.csv, table.json, table.sdmx.csv (SDMX-CSV 2.0) and, for open data, datapackage.json. */
export function tableOutputFiles(body: TableSpecBody, result: SuppressedTable, builtAt: string): { name: string; bytes: Uint8Array }[] {
  const meta = { name: body.name, title: body.title, description: body.description ?? body.title, measure: body.measure };
  const files = [
    { name: 'table.csv', bytes: tableCsv(result.shape, result.published, result.status) },
    { name: 'table.json', bytes: jsonStat(meta, result.shape, result.published, result.status, builtAt) },
    { name: 'table.sdmx.csv', bytes: sdmxCsv(body.name, result.shape, result.published, result.status, body.dimensions.some((d) => d.variable === PERIOD_VARIABLE) ? PERIOD_VARIABLE : null) },
  ];
  const open = openDataMeta(body);
  if (open !== null) files.push({ name: 'datapackage.json', bytes: dataPackage(open, result.shape, null) });
  return files;
}
