/**
 * Keyed encodings into DuckDB tables, column by column from the typed arrays that hold them (the
 * same buffers a delivery's Arrow file holds), in data chunks of DuckDB's vector size.
 *
 * Not through Arrow: `@duckdb/node-api` has no Arrow import, and DuckDB's Arrow IPC reader is an
 * extension fetched over the network, which a trusted zone does not do. Spark Connect and Trino
 * take Arrow batches directly (docs/scale-out.md).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EncodedSource } from '../../pseudonymise/encoded-source.js';
import { derivedColumns, rawColumns, type RecordShape } from './sql-columns.js';

export type DuckDBApi = typeof import('@duckdb/node-api');

/** Rows per appended chunk: DuckDB's standard vector size. */
const CHUNK_ROWS = 2048;

type Column = (r: number) => number;

/** Creates `rec` (sql-columns.ts) holding every record of the sources in global order. */
export async function loadRecords(
  api: DuckDBApi, connection: DuckDBConnection, sources: readonly EncodedSource[], offsets: Int32Array, shape: RecordShape,
): Promise<void> {
  const raw = rawColumns(shape);
  await connection.run(`CREATE OR REPLACE TEMP TABLE raw (${raw.map((c) => `${c.name} ${c.type}`).join(', ')})`);
  const appender = await connection.createAppender('raw');
  const types = raw.map((c) => api[c.type]);
  for (let s = 0; s < sources.length; s++) {
    const columns = sourceColumns(sources[s], s, offsets[s], shape);
    for (let from = 0; from < sources[s].size; from += CHUNK_ROWS) {
      appender.appendDataChunk(chunkOf(api, types, columns, from, Math.min(CHUNK_ROWS, sources[s].size - from)));
    }
  }
  appender.closeSync();
  await connection.run(`CREATE OR REPLACE TEMP TABLE rec AS SELECT ${derivedColumns(shape).join(', ')} FROM raw`);
  await connection.run('DROP TABLE raw');
}

/** Creates table `name` of INTEGER columns from equally long Int32Arrays. */
export async function loadTable(
  api: DuckDBApi, connection: DuckDBConnection, name: string, names: readonly string[], columns: readonly Int32Array[],
): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${name} (${names.map((c) => `${c} INTEGER`).join(', ')})`);
  const appender = await connection.createAppender(name);
  const types = names.map(() => api.INTEGER);
  const getters = columns.map((c): Column => (r) => c[r]);
  const rows = columns[0]?.length ?? 0;
  for (let from = 0; from < rows; from += CHUNK_ROWS) appender.appendDataChunk(chunkOf(api, types, getters, from, Math.min(CHUNK_ROWS, rows - from)));
  appender.closeSync();
}

function chunkOf(api: DuckDBApi, types: Parameters<DuckDBApi['DuckDBDataChunk']['create']>[0], columns: readonly Column[], from: number, rows: number) {
  const chunk = api.DuckDBDataChunk.create(types, rows);
  columns.forEach((get, c) => {
    const vector = chunk.getColumnVector(c);
    for (let i = 0; i < rows; i++) vector.setItem(i, get(from + i));
    vector.flush();
  });
  return chunk;
}

/** Readers of `raw`'s columns (rawColumns' order) over one source's arrays. */
function sourceColumns(src: EncodedSource, s: number, offset: number, shape: RecordShape): Column[] {
  const out: Column[] = [(r) => offset + r, () => s, (r) => r];
  src.fields.forEach((field, f) => {
    const { present, tokens, slots } = field;
    out.push((r) => present[r]);
    for (let t = 0; t < slots; t++) out.push((r) => tokens[(r * slots + t) * 2], (r) => tokens[(r * slots + t) * 2 + 1]);
    const words = shape.fields[f].bloomWords;
    if (words > 0) {
      const bloom = field.bloom!; const pop = field.bloomPop!;
      for (let w = 0; w < words; w++) out.push((r) => bloom[r * words + w]);
      out.push((r) => pop[r]);
    }
  });
  if (shape.pseudonyms) {
    const p = src.pseudonyms!;
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    for (let w = 0; w < 8; w++) out.push((r) => view.getUint32(r * 32 + w * 4, true));
  }
  return out;
}
