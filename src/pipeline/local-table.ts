/**
 * `koppel table --config table.json`: a table built from a local file through the same code
 * as a server build (table-prepare.ts, table-suppression.ts), for the statistician testing a
 * specification before registering it. The file is read by `koppel link`'s reader
 * (local-sources.ts: CSV, gzipped CSV, Arrow IPC, Parquet); only the columns the table uses are
 * kept. Outputs: table.csv, table.json (JSON-stat), manifest.json (summary and the attacker's
 * audit) and, for open data, datapackage.json.
 *
 * The config is the registration body without `source` and `dataset`, plus `file`, `person`
 * (the column naming each record's person) and optionally `period` (the column of periods).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Vector, type Data, type Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { SuppressedTable } from '../release/tables/suppress-table.js';
import { rawCodes } from '../release/tables/table-dimensions.js';
import { writeFileDurableSync } from '../store/durable-fs.js';
import { makeFloat64, makeUtf8 } from '../util/arrow-columns.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';
import type { JobSource } from './job-file.js';
import { earlierFromFiles } from './local-earlier.js';
import { loadSource } from './local-sources.js';
import { tableFileShapeProblems } from './table-schema.js';
import { PERIOD_VARIABLE, tableSpecProblems, type TableSpecBody } from './table-specs.js';
import { auditSummary, prepareTable, summarise, tableOutputFiles, type TableSummary } from './table-prepare.js';
import { runSuppression } from './table-suppression.js';

interface TableFile extends Omit<TableSpecBody, 'source' | 'dataset'> {
  readonly file: string;
  readonly person: string;
  readonly period?: string;
  readonly delimiter?: ',' | ';' | '\t';
  readonly encoding?: 'utf-8' | 'latin1';
  readonly earlier?: readonly string[];
}

function badConfig(file: string, problems: readonly string[]): KoppelError {
  return new KoppelError('KOPPEL_ERR_SCHEMA_TABLE_INVALID', `${file}: ${problems.join('; ')}`, { file, problems: [...problems] });
}

function readConfig(path: string): TableFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw badConfig(path, [`cannot be read as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).name})`]);
  }
  const problems = tableFileShapeProblems(json);
  if (problems.length > 0) throw badConfig(path, problems);
  return json as TableFile;
}

/** Decimal text to numbers, from the bytes (no string per row); anything else is null. */
function numericChunk(chunk: Data<Utf8>): Data {
  const n = chunk.length;
  const out = new Float64Array(n);
  const validity = new Uint8Array((n + 7) >>> 3);
  const bitmap = validityBitmap(chunk);
  const offsets = chunk.valueOffsets;
  const bytes = chunk.values;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = bitmap !== null && !isBitSet(bitmap, chunk.offset + i) ? Number.NaN : parseDecimal(bytes, offsets[i], offsets[i + 1]);
    if (Number.isNaN(v)) { nulls++; continue; }
    out[i] = v;
    validity[i >>> 3] |= 1 << (i & 7);
  }
  return makeFloat64(out, validity, nulls);
}

function parseDecimal(bytes: Uint8Array, from: number, to: number): number {
  let i = from;
  const negative = bytes[i] === 0x2d;
  if (negative || bytes[i] === 0x2b) i++;
  let value = 0;
  let digits = 0;
  let scale = 1;
  let point = false;
  for (; i < to; i++) {
    const b = bytes[i];
    if (b === 0x2e && !point) { point = true; continue; }
    if (b < 0x30 || b > 0x39) return Number.NaN;
    digits++;
    if (point) scale *= 10;
    value = value * 10 + (b - 0x30);
  }
  if (digits === 0) return Number.NaN;
  return (negative ? -value : value) / scale;
}

export interface LocalTableOutcome {
  readonly summary: TableSummary;
  readonly audit: Record<string, number>;
  readonly files: readonly string[];
  readonly earlier: SuppressedTable['earlier'];
}

/** `earlier`: files of tables published before (from --earlier, relative to the working directory). */
export async function runLocalTable(options: { config: string; outDir: string; earlier?: readonly string[] }): Promise<LocalTableOutcome> {
  const configPath = resolve(options.config);
  const config = readConfig(configPath);
  const earlierFiles = [...(config.earlier ?? []).map((f) => resolve(dirname(configPath), f)), ...(options.earlier ?? []).map((f) => resolve(f))];
  const body = { ...config, source: { job: 'local' }, dataset: 'local' } as TableSpecBody;
  const columns = [...new Set([...config.dimensions.map((d) => d.variable).filter((v) => v !== PERIOD_VARIABLE), config.value, config.unit, config.period])]
    .filter((c): c is string => c !== undefined);
  const numericColumns = new Set([config.value, ...config.dimensions.filter((d) => d.band !== undefined).map((d) => d.variable)]);
  if (config.dimensions.some((d) => d.variable === PERIOD_VARIABLE) && config.period === undefined) throw badConfig(configPath, ['a period dimension needs the "period" column']);
  const problem = tableSpecProblems(body, columns, (c) => numericColumns.has(c));
  if (problem !== null) throw badConfig(configPath, [problem.message]);

  const spec: JobSource = {
    name: 'table', path: resolve(dirname(configPath), config.file), pathAsWritten: config.file, id: config.person, unique: false, columns: {},
    delimiter: config.delimiter ?? null, encoding: config.encoding ?? 'utf-8',
  };
  const loaded = await loadSource(spec, columns.map((c) => ({ name: c, type: 'code' as const })));
  const chunksOf = (c: string) => loaded.columns.get(c) as readonly Data<Utf8>[];
  const persons = await rawCodes(config.person, [makeUtf8(loaded.ids.values, loaded.ids.offsets, loaded.ids.length, null, 0)]);
  const table: Record<string, Data[]> = {};
  for (const c of columns) table[c] = numericColumns.has(c) ? chunksOf(c).map(numericChunk) : [...chunksOf(c)];
  const prepared = await prepareTable(body, {
    personOfRow: persons.codes, persons: persons.labels.length, columns: Object.fromEntries(Object.entries(table).map(([k, v]) => [k, concatChunks(v)])),
    periods: config.period === undefined ? [{ period: 'all', rows: loaded.size }] : concatChunks(table[config.period]),
  });
  const earlier = earlierFromFiles(earlierFiles, prepared.spec, prepared.input);
  const result: SuppressedTable = await runSuppression({ spec: prepared.spec, input: prepared.input, earlier }, 'inline');
  return writeOutputs(options.outDir, body, result, earlierFiles);
}

/** Chunks as one column (prepareTable reads them chunk by chunk). */
function concatChunks(chunks: readonly Data[]): Vector {
  return new Vector([...chunks]);
}

function writeOutputs(outDir: string, body: TableSpecBody, result: SuppressedTable, earlier: readonly string[]): LocalTableOutcome {
  const builtAt = new Date().toISOString();
  const summary = summarise(result);
  const audit = auditSummary(result);
  const files = tableOutputFiles(body, result, builtAt);
  files.push({ name: 'manifest.json', bytes: Buffer.from(`${JSON.stringify({ table: body.name, measure: body.measure, dimensions: body.dimensions, policy: result.policy, summary, suppression_audit: audit,
    consistency: { earlier_files: earlier.map((f) => basename(f)), linked_tables: result.earlier.linked, shared_cells: result.earlier.sharedCells, published_before: result.earlier.publishedBefore, suppressed_before: result.earlier.suppressedBefore, differing_cells: result.earlier.differing },
    built_at: builtAt }, null, 2)}\n`) });
  mkdirSync(outDir, { recursive: true });
  for (const f of files) writeFileDurableSync(join(outDir, f.name), f.bytes);
  return { summary, audit, files: files.map((f) => f.name), earlier: result.earlier };
}
