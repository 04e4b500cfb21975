/**
 * `koppel link`'s source files read as the deliveries of a server job are: through ingest's
 * readers (batch-source.ts), with the same format sniffing (`PAR1`, `ARROW1` or the IPC stream
 * marker; anything else CSV, gzip recognised by its magic bytes), CSV streamed (delimiter
 * detected or given; UTF-8 or latin1), Arrow IPC streamed batch by batch, Parquet decoded in its
 * own worker, and the same header check (header-match.ts) with its headerless-file guard.
 *
 * What differs from an upload: a local file may carry columns the job does not use; they are
 * ignored (not even type-checked), and only the id column and the columns of the job's fields
 * are kept, batch by batch, as they are read.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError, isKoppelError } from '../errors.js';
import { openBatchSource, sniffUploadFormat, type Utf8BatchSource } from '../ingest/batch-source.js';
import { gunzipStream } from '../ingest/body-decoding.js';
import { compileDateFormat, type DateFormat } from '../ingest/date-format.js';
import { matchHeader } from '../ingest/header-match.js';
import { columnFor, type JobField, type JobSource } from './job-file.js';
import type { TextDictionary } from '../pseudonymise/encode-dictionary.js';
import { isValidAt } from '../util/null-bitmap.js';

/** The source's record ids, back to back (an Arrow Utf8 layout without nulls). */
export interface IdColumn {
  readonly values: Uint8Array;
  readonly offsets: Int32Array;
  readonly length: number;
}

export interface LoadedSource {
  readonly spec: JobSource;
  readonly size: number;
  readonly format: 'csv' | 'csv.gz' | 'arrow' | 'parquet';
  readonly ids: IdColumn;
  /** Field name -> column data. */
  readonly columns: Map<string, readonly Data<Utf8>[] | TextDictionary>;
}

const NO_LIMIT = Number.MAX_SAFE_INTEGER;
const FORMAT_NAMES: Record<LoadedSource['format'], string> = { csv: 'CSV', 'csv.gz': 'CSV', arrow: 'Arrow IPC', parquet: 'Parquet' };

function unreadable(spec: JobSource, what: string, cause?: unknown): KoppelError {
  return new KoppelError('KOPPEL_ERR_LINK_SOURCE_UNREADABLE', `Source ${spec.name}: file ${spec.pathAsWritten} ${what}.`, { source: spec.name, file: spec.pathAsWritten }, cause === undefined ? undefined : { cause });
}

/** The format the file's first bytes show (ingest's sniffing; gzip is taken for gzipped CSV). */
function sniff(spec: JobSource): LoadedSource['format'] {
  let fd: number;
  try {
    if (!statSync(spec.path).isFile()) throw unreadable(spec, 'is not a file');
    fd = openSync(spec.path, 'r');
  } catch (err) {
    if (err instanceof KoppelError) throw err;
    throw unreadable(spec, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const head = new Uint8Array(8);
  const n = readSync(fd, head, 0, 8, 0);
  closeSync(fd);
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'csv.gz';
  return sniffUploadFormat(head.subarray(0, n));
}

/** One column the job reads from a source: its id column (field null) or a field's column. */
interface Needed {
  readonly field: string | null;
  readonly column: string;
}

function neededColumns(spec: JobSource, fields: readonly JobField[]): Needed[] {
  return [{ field: null, column: spec.id.trim() }, ...fields.map((f) => ({ field: f.name, column: columnFor(spec, f.name).trim() }))];
}

/**
 * ingest's header refusal, told in the job's terms: the source, the file, and each field and
 * column it lacks. Header names appear only where header-match shows them (at least one name
 * is a wanted column); a file whose first row names none is probably without its header, and
 * that row's "names" would be values.
 */
function headerError(spec: JobSource, needed: readonly Needed[], err: KoppelError): KoppelError {
  const details = err.details as { missing?: string[]; unknown?: string[]; duplicate?: string[]; unknown_count?: number };
  const missing = new Set(details.missing ?? []);
  const lacking = needed.filter((n) => missing.has(n.column));
  const name = (n: Needed) => (n.field === null ? `id column ${n.column}` : `column ${n.column} for field ${n.field}`);
  const where = `Source ${spec.name}: file ${spec.pathAsWritten}`;
  let message: string;
  if (details.unknown_count !== undefined) {
    message = `${where}: its first row names none of the columns the job reads (${needed.map(name).join(', ')}); is the header row missing?`;
  } else {
    const parts = lacking.map((n) => `has no ${name(n)}`);
    for (const d of details.duplicate ?? []) parts.push(`has column ${d} twice`);
    const others = details.unknown ?? [];
    message = `${where} ${parts.join('; ')}${others.length === 0 ? '' : ` (other columns: ${others.join(', ')})`}.`;
  }
  const first = lacking[0] ?? needed.find((n) => details.duplicate?.includes(n.column));
  return new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', message, {
    source: spec.name, file: spec.pathAsWritten,
    ...(first?.field == null ? {} : { field: first.field }), ...(first === undefined ? {} : { column: first.column }),
  }, { cause: err });
}

/** ingest's refusals of the file itself (not CSV, truncated, not UTF-8, a column type), in the job's terms. */
function readError(spec: JobSource, format: LoadedSource['format'], err: unknown): unknown {
  if (!isKoppelError(err) || !err.code.startsWith('KOPPEL_ERR_INGEST_')) return err;
  return unreadable(spec, `is not readable ${FORMAT_NAMES[format]}: ${err.message.replace(/\.$/, '')}`, err);
}

/**
 * Called with each batch's field columns (field name -> Utf8 chunk) as it is read, so a caller
 * can start encoding while the rest of the file is read.
 */
export type OnBatch = (columns: ReadonlyMap<string, Data<Utf8>>) => void;

async function open(spec: JobSource, fields: readonly JobField[], format: LoadedSource['format'], needed: readonly Needed[]): Promise<Utf8BatchSource> {
  const raw = createReadStream(spec.path);
  const bytes = format === 'csv.gz' ? gunzipStream(raw, NO_LIMIT) : raw;
  try {
    return await openBatchSource(bytes, {
      format: format === 'csv.gz' ? 'csv' : format,
      maxBytes: NO_LIMIT,
      encoding: spec.encoding,
      ...(spec.delimiter === null ? {} : { delimiter: spec.delimiter }),
      dateFormats: dateFormats(spec, fields),
      columns: new Set(needed.map((n) => n.column)),
    });
  } catch (err) {
    raw.destroy();
    throw readError(spec, format, err);
  }
}

export async function loadSource(spec: JobSource, fields: readonly JobField[], onBatch?: OnBatch): Promise<LoadedSource> {
  const format = sniff(spec);
  const needed = neededColumns(spec, fields);
  const source = await open(spec, fields, format, needed);
  let at: Map<string, number>;
  try {
    at = matchHeader(source.header, { fileColumns: needed.map((n) => n.column) }, { allowExtra: true });
  } catch (err) {
    await source.close();
    throw isKoppelError(err) && err.code === 'KOPPEL_ERR_INGEST_HEADER' ? headerError(spec, needed, err) : err;
  }
  const idAt = at.get(needed[0].column)!;
  const fieldAt = fields.map((f, i) => [f.name, at.get(needed[i + 1].column)!] as const);
  const idChunks: Data<Utf8>[] = [];
  const columns = new Map<string, Data<Utf8>[]>(fields.map((f) => [f.name, []]));
  let size = 0;
  try {
    for await (const batch of source.batches()) {
      idChunks.push(batch.columns[idAt]);
      for (const [name, k] of fieldAt) columns.get(name)!.push(batch.columns[k]);
      size += batch.length;
      if (onBatch !== undefined) onBatch(new Map(fieldAt.map(([name, k]) => [name, batch.columns[k]])));
    }
  } catch (err) {
    throw readError(spec, format, err);
  }
  return { spec, size, format, ids: idColumnOfUtf8(idChunks, size), columns };
}

/**
 * Dates and timestamps of an Arrow or Parquet file are written as text in their date field's
 * own format, so they parse back as the CSV text would.
 */
function dateFormats(spec: JobSource, fields: readonly JobField[]): Map<string, DateFormat> {
  const out = new Map<string, DateFormat>();
  for (const f of fields) {
    if (f.type !== 'date' || f.format === undefined) continue;
    try {
      out.set(columnFor(spec, f.name).trim(), compileDateFormat(f.format, `field ${f.name}`));
    } catch {
      // The job validation accepted the format; ingest's stricter grammar leaves it at YYYY-MM-DD.
    }
  }
  return out;
}


/** Concatenates Utf8 chunks into one id column (nulls become empty ids). */
function idColumnOfUtf8(chunks: readonly Data<Utf8>[], size: number): IdColumn {
  let bytes = 0;
  for (const c of chunks) bytes += c.valueOffsets[c.length] - c.valueOffsets[0];
  const values = new Uint8Array(bytes);
  const offsets = new Int32Array(size + 1);
  let row = 0; let at = 0;
  for (const c of chunks) {
    const o = c.valueOffsets;
    if (c.nullCount === 0) {
      // No nulls: the chunk's bytes in one copy, its offsets shifted.
      values.set(c.values.subarray(o[0], o[c.length]), at);
      const shift = at - o[0];
      for (let i = 0; i < c.length; i++, row++) offsets[row + 1] = o[i + 1] + shift;
      at += o[c.length] - o[0];
      continue;
    }
    for (let i = 0; i < c.length; i++, row++) {
      if (isValidAt(c, i)) {
        values.set(c.values.subarray(o[i], o[i + 1]), at);
        at += o[i + 1] - o[i];
      }
      offsets[row + 1] = at;
    }
  }
  return { values: values.subarray(0, at), offsets, length: size };
}
