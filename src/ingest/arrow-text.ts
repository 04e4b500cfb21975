/**
 * Typed Arrow columns as the text the ingest stage reads from a CSV field, so Arrow IPC and
 * Parquet uploads (and `koppel link`'s Arrow and Parquet sources) go through the same parsing,
 * validation and encoding as CSV. One column chunk in, one `Data<Utf8>` out, built by hand
 * (text-builder.ts): offset 0, offsets from 0, its own validity bitmap, no string per row for
 * integers and dates. Utf8 input whose offsets already start at 0 keeps its bytes (no copy).
 * Numbers are in number-text.ts, dates and timestamps in date-text.ts.
 *
 *   Utf8, LargeUtf8, Utf8View   the bytes as they are (checked to be UTF-8)
 *   Int*, Uint*, Decimal        decimal text: `-12`, `1234.50` (the scale is kept)
 *   Float16/32/64               JavaScript's shortest round-trip text (`0.1`, `1e-7`); NaN is null
 *   Bool                        `true` / `false`
 *   Date (day, ms), Timestamp   the calendar day, written in the target column's date format
 *                               (YYYY-MM-DD by default); a timestamp with a time zone gives the
 *                               day in that zone, one without (or UTC) the UTC day
 *   Dictionary<any of these>    the dictionary converted once, then gathered per row
 *   Null                        all null
 *
 * As in CSV, an empty value is null: a CSV field cannot tell "" from missing, and every later
 * stage treats both as "no value", so the same extract gives the same quality report in every
 * format. Null rows never carry bytes. Other types (binary, lists, structs, times, durations,
 * intervals, unions, maps) have no text ingest could read: `unreadableType` names them so the
 * caller refuses the delivery before reading data.
 */
import { isUtf8 } from 'node:buffer';
import { Type, type Data, type DataType, type Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { makeUtf8 } from '../util/arrow-columns.js';
import type { DateFormat } from './date-format.js';
import { dateColumnText, timestampText } from './date-text.js';
import { boolText, decimalText, floatText, int64Text, intText } from './number-text.js';
import { TextBuilder, words64, type TextContext } from './text-builder.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';
import { firstInvalidUtf8 } from './utf8-guard.js';
import { zoneOffsets } from './time-zones.js';


/** Why a column of this type cannot be read as text, or null when it can. */
export function unreadableType(type: DataType): string | null {
  switch (type.typeId) {
    case Type.Null: case Type.Utf8: case Type.LargeUtf8: case Type.Utf8View: case Type.Int: case Type.Float:
    case Type.Bool: case Type.Decimal: case Type.Date:
      return null;
    case Type.Timestamp:
      return zoneOffsets((type as { timezone?: string | null }).timezone ?? null) === null ? 'a timestamp in a time zone this server does not know' : null;
    case Type.Dictionary: {
      const inner = unreadableType((type as unknown as { dictionary: DataType }).dictionary);
      return inner === null ? null : `a dictionary of ${inner}`;
    }
    default:
      return `type ${typeName(type)}`;
  }
}

/**
 * A type's name for a message. apache-arrow's own `toString` reads the child types, which a
 * damaged schema may lack (a list without its child): then the type id's name will do.
 */
function typeName(type: DataType): string {
  try {
    return String(type);
  } catch {
    return Type[type.typeId] ?? `id ${String(type.typeId)}`;
  }
}

/** The text of one column chunk. Throws KOPPEL_ERR_INGEST_ENCODING, _COLUMN_TYPE or _COLUMNAR. */
export function textOf(data: Data, ctx: TextContext): Data<Utf8> {
  const type = data.type as DataType & Record<string, unknown>;
  switch (type.typeId) {
    case Type.Utf8: return utf8Text(data.values as Uint8Array, (data.valueOffsets as Int32Array).subarray(0, data.length + 1), data, ctx);
    case Type.LargeUtf8: return utf8Text(data.values as Uint8Array, smallOffsets(data, ctx), data, ctx);
    case Type.Utf8View: return utf8ViewText(data, ctx);
    case Type.Int: return (type.bitWidth as number) === 64 ? int64Text(data, type.isSigned as boolean) : intText(data);
    case Type.Float: return floatText(data, type.precision as number);
    case Type.Bool: return boolText(data);
    case Type.Decimal: return decimalText(data, type.scale as number, (type.bitWidth as number) / 32);
    case Type.Date: return dateColumnText(data, type.unit as number, ctx);
    case Type.Timestamp: return timestampText(data, type.unit as number, (type.timezone as string | null | undefined) ?? null, ctx);
    case Type.Dictionary: return dictionaryText(data, ctx);
    case Type.Null: return makeUtf8(new Uint8Array(0), new Int32Array(data.length + 1), data.length, new Uint8Array((data.length + 7) >> 3), data.length);
    default:
      throw new KoppelError('KOPPEL_ERR_INGEST_COLUMN_TYPE', `Column ${ctx.column} has type ${String(type)}, which cannot be read as text.`, { column: ctx.column, type: String(type) });
  }
}


/** LargeUtf8's 64-bit offsets as Int32 (a chunk's text is far below 2 GiB under the upload limit). */
function smallOffsets(data: Data, ctx: TextContext): Int32Array {
  const n = data.length;
  const wide = data.valueOffsets as unknown as BigInt64Array;
  const w = new Int32Array(wide.buffer, wide.byteOffset, (n + 1) * 2);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) {
    if (w[2 * i + 1] !== 0 || w[2 * i] < 0) throw columnar(ctx, 'has a text chunk over 2 GiB');
    offsets[i] = w[2 * i];
  }
  return offsets;
}

function utf8Text(values: Uint8Array, offsets: Int32Array, data: Data, ctx: TextContext): Data<Utf8> {
  const n = data.length;
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  let nullWithBytes = false;
  for (let i = 0; i < n; i++) {
    const k = off + i;
    const present = bitmap === null || isBitSet(bitmap, k);
    if (offsets[i + 1] < offsets[i]) throw columnar(ctx, 'has text offsets that go backwards');
    if (present && offsets[i + 1] > offsets[i]) validity[i >> 3] |= 1 << (i & 7);
    else {
      nulls++;
      if (offsets[i + 1] > offsets[i]) nullWithBytes = true;
    }
  }
  if (offsets[n] > values.length) throw columnar(ctx, 'has text offsets past its data');
  checkUtf8(values, offsets, ctx);
  if (offsets[0] === 0 && !nullWithBytes) return makeUtf8(values.subarray(0, offsets[n]), offsets, n, validity, nulls);
  // Rebase to 0 and drop the bytes of null rows: one copy of the kept bytes.
  const out = new TextBuilder(n, offsets[n] - offsets[0]);
  const bytes = out.room(offsets[n] - offsets[0]);
  for (let i = 0; i < n; i++) {
    if (isBitSet(validity, i)) {
      bytes.set(values.subarray(offsets[i], offsets[i + 1]), out.pos);
      out.pos += offsets[i + 1] - offsets[i];
    }
    out.end(i);
  }
  return out.finish();
}

/** Arrow says Utf8 is UTF-8; a file may still lie, and later stages rely on it. */
function checkUtf8(values: Uint8Array, offsets: Int32Array, ctx: TextContext): void {
  const n = offsets.length - 1;
  let bad = -1;
  if (!isUtf8(values.subarray(offsets[0], offsets[n]))) bad = firstInvalidUtf8(values, offsets[0], offsets[n]);
  else {
    // Valid as a whole, but a character may still straddle two rows: no row may start inside one.
    for (let i = 1; i < n && bad < 0; i++) if (offsets[i] < offsets[n] && (values[offsets[i]] & 0xc0) === 0x80) bad = offsets[i];
    if (bad < 0) return;
  }
  // Find the row: the last one starting at or before the first bad byte.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= bad) lo = mid;
    else hi = mid - 1;
  }
  if (ctx.firstRow === 0) {
    throw new KoppelError('KOPPEL_ERR_INGEST_ENCODING', `A dictionary value of column ${ctx.column} is not valid UTF-8.`, { column_name: ctx.column });
  }
  const row = ctx.firstRow + lo;
  throw new KoppelError('KOPPEL_ERR_INGEST_ENCODING', `The text in row ${row}, column ${ctx.column} is not valid UTF-8.`, { row, column_name: ctx.column });
}

/** Utf8View: 16-byte views, inline up to 12 bytes, else (prefix, buffer index, offset). */
function utf8ViewText(data: Data, ctx: TextContext): Data<Utf8> {
  const n = data.length;
  const views = data.values as Uint8Array;
  const dv = new DataView(views.buffer, views.byteOffset, views.byteLength);
  const buffers = ((data as unknown as { variadicBuffers?: Uint8Array[] }).variadicBuffers ?? []) as Uint8Array[];
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const out = new TextBuilder(n, n * 12);
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) {
      const at = i * 16;
      const len = dv.getInt32(at, true);
      let src: Uint8Array;
      let from: number;
      if (len <= 12) {
        src = views;
        from = at + 4;
      } else {
        src = buffers[dv.getInt32(at + 8, true)];
        from = dv.getInt32(at + 12, true);
        if (src === undefined || from < 0 || from + len > src.length) throw columnar(ctx, 'has a text view past its data');
      }
      if (len < 0) throw columnar(ctx, 'has a text view of negative length');
      const bytes = out.room(len);
      bytes.set(src.subarray(from, from + len), out.pos);
      out.pos += len;
    }
    out.end(i);
  }
  const text = out.finish();
  checkUtf8(text.values, text.valueOffsets, ctx);
  return text;
}

/** Each dictionary converted once per date format, however many batches share it. */
const dictionaryTexts = new WeakMap<object, Map<string, Data<Utf8>>>();

function dictionaryText(data: Data, ctx: TextContext): Data<Utf8> {
  const dictionary = data.dictionary;
  if (dictionary === undefined || dictionary === null) throw columnar(ctx, 'has dictionary indices without a dictionary');
  let byFormat = dictionaryTexts.get(dictionary);
  if (byFormat === undefined) dictionaryTexts.set(dictionary, (byFormat = new Map()));
  const formatKey = ctx.dateFormat?.source ?? '';
  let words = byFormat.get(formatKey);
  if (words === undefined) {
    // Dictionary entries have no data row: errors in them say so (firstRow 0).
    const parts = (dictionary.data as Data[]).map((chunk) => textOf(chunk, { ...ctx, firstRow: 0 }));
    words = parts.length === 1 ? parts[0] : concatText(parts);
    byFormat.set(formatKey, words);
  }
  const n = data.length;
  const wide = (data.type as unknown as { indices: { bitWidth: number } }).indices.bitWidth === 64;
  const keys = wide ? words64(data) : (data.values as ArrayLike<number>);
  const step = wide ? 2 : 1;
  const size = words.length;
  const wordOffsets = words.valueOffsets;
  const wordBytes = words.values;
  const bitmap = validityBitmap(data);
  const off = data.offset;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap !== null && !isBitSet(bitmap, k)) continue;
    const key = keys[i * step];
    if (key < 0 || key >= size || (wide && keys[i * step + 1] !== 0)) throw columnar(ctx, 'has a dictionary index out of range');
    total += wordOffsets[key + 1] - wordOffsets[key];
  }
  const out = new TextBuilder(n, total);
  const bytes = out.room(total);
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) {
      const key = keys[i * step];
      const a = wordOffsets[key];
      const len = wordOffsets[key + 1] - a;
      // Null entries of the dictionary have no bytes, so they stay null here.
      if (len > 0) {
        bytes.set(wordBytes.subarray(a, a + len), out.pos);
        out.pos += len;
      }
    }
    out.end(i);
  }
  return out.finish();
}

/** Utf8 chunks (offsets from 0, null rows empty) back to back. */
export function concatText(parts: readonly Data<Utf8>[]): Data<Utf8> {
  let n = 0;
  let total = 0;
  for (const p of parts) {
    n += p.length;
    total += p.valueOffsets[p.length] - p.valueOffsets[0];
  }
  const out = new TextBuilder(n, total);
  const bytes = out.room(total);
  let row = 0;
  for (const p of parts) {
    const o = p.valueOffsets;
    for (let i = 0; i < p.length; i++, row++) {
      const len = o[i + 1] - o[i];
      if (len > 0) {
        bytes.set(p.values.subarray(o[i], o[i + 1]), out.pos);
        out.pos += len;
      }
      out.end(row);
    }
  }
  return out.finish();
}

function columnar(ctx: TextContext, what: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_INGEST_COLUMNAR', `Column ${ctx.column} ${what}; the file is damaged.`, { column: ctx.column });
}
