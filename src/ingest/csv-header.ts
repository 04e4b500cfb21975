/**
 * The header record of a CSV body: its column names and, unless given, the delimiter.
 *
 * Detection tries `,`, `;` and tab on the first record and keeps the one that splits it into the
 * most fields, preferring a split where every quote sits where RFC 4180 allows it (a quote in
 * the middle of an unquoted field means the candidate is cutting through a quoted name). Header
 * records are short, so this path favours clarity over speed.
 */
import { isUtf8 } from 'node:buffer';
import { KoppelError } from '../errors.js';

export const COMMA = 0x2c;
export const SEMICOLON = 0x3b;
export const TAB = 0x09;
export const QUOTE = 0x22;
export const LF = 0x0a;
export const CR = 0x0d;

export const DELIMITERS: Readonly<Record<string, number>> = { ',': COMMA, ';': SEMICOLON, '\t': TAB };

export interface HeaderRecord {
  readonly names: string[];
  readonly delimiter: number;
  /** Index just past the record's line end (or the end of the bytes at EOF). */
  readonly next: number;
  /** The record ended with CR, so an LF that follows belongs to it. */
  readonly endedWithCR: boolean;
}

interface ScannedRecord {
  readonly fields: Uint8Array[];
  readonly clean: boolean;
  readonly next: number;
  readonly endedWithCR: boolean;
}

/**
 * Split the first record of `buf[start, end)` with one delimiter. Returns null when the record
 * has not ended yet and more bytes may come. Quote rules are the data reader's: a quote opens a
 * quoted field only at the field's start; `""` inside it is one quote.
 */
function scanRecord(buf: Uint8Array, start: number, end: number, delim: number, atEof: boolean): ScannedRecord | null {
  const fields: Uint8Array[] = [];
  let field: number[] = [];
  let clean = true;
  let atFieldStart = true;
  let quoted = false;
  let i = start;
  for (; i < end; i++) {
    const b = buf[i];
    if (quoted) {
      if (b !== QUOTE) field.push(b);
      else if (i + 1 < end && buf[i + 1] === QUOTE) {
        field.push(QUOTE);
        i++;
      } else if (i + 1 === end && !atEof) return null; // cannot tell `"` from `""` yet
      else quoted = false;
      continue;
    }
    if (b === delim) {
      fields.push(Uint8Array.from(field));
      field = [];
      atFieldStart = true;
      continue;
    }
    if (b === LF || b === CR) {
      fields.push(Uint8Array.from(field));
      return { fields, clean, next: i + 1, endedWithCR: b === CR };
    }
    if (b === QUOTE) {
      if (atFieldStart) quoted = true;
      else {
        clean = false;
        field.push(b);
      }
    } else field.push(b);
    atFieldStart = false;
  }
  if (!atEof) return null;
  if (quoted) {
    throw new KoppelError('KOPPEL_ERR_INGEST_UNTERMINATED_QUOTE', `A quoted field in the header row (column ${fields.length + 1}) is never closed.`, {
      row: 0,
      column: fields.length + 1,
    });
  }
  fields.push(Uint8Array.from(field));
  return { fields, clean, next: end, endedWithCR: false };
}

/**
 * Read the header record from `buf[start, end)` (BOM and leading blank lines already skipped).
 * Returns null when more bytes are needed. Throws KOPPEL_ERR_INGEST_ENCODING (row 0) when a
 * name is not UTF-8.
 */
export function readHeaderRecord(buf: Uint8Array, start: number, end: number, atEof: boolean, delimiter?: number): HeaderRecord | null {
  const candidates = delimiter === undefined ? [COMMA, SEMICOLON, TAB] : [delimiter];
  let best: ScannedRecord | null = null;
  let bestDelim = candidates[0];
  let bestScore = -1;
  for (const delim of candidates) {
    const rec = scanRecord(buf, start, end, delim, atEof);
    if (rec === null) return null;
    const score = (rec.clean ? 1_000_000 : 0) + rec.fields.length;
    if (score > bestScore) {
      best = rec;
      bestDelim = delim;
      bestScore = score;
    }
  }
  const rec = best as ScannedRecord;
  const decoder = new TextDecoder();
  const names = rec.fields.map((bytes, k) => {
    if (!isUtf8(bytes)) {
      throw new KoppelError('KOPPEL_ERR_INGEST_ENCODING', `The header row is not valid UTF-8 in column ${k + 1}.`, { row: 0, column: k + 1 });
    }
    return decoder.decode(bytes);
  });
  return { names, delimiter: bestDelim, next: rec.next, endedWithCR: rec.endedWithCR };
}
