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

/** First-record bytes without a line end before the reader gives up on finding a header. */
export const MAX_HEADER_BYTES = 1 << 20;
const BOM = [0xef, 0xbb, 0xbf];

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

/** A complete header, and the bytes after it that were already received. */
export interface HeaderStart extends HeaderRecord {
  readonly rest: Uint8Array;
}

/**
 * Collects the first chunks of a body until its header record is complete, dropping a UTF-8 BOM
 * (even one split over chunks) and blank lines before the header.
 */
export class HeaderCollector {
  private buf = new Uint8Array(4096);
  private len = 0;

  constructor(private readonly delimiter?: number) {}

  /** Add bytes; returns the header once its record is complete, else null. */
  push(chunk: Uint8Array): HeaderStart | null {
    if (this.len + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    const head = this.read(false);
    if (head === null && this.len > MAX_HEADER_BYTES) {
      throw new KoppelError('KOPPEL_ERR_INGEST_HEADER', `No header row ends within the first ${MAX_HEADER_BYTES} bytes.`, {
        max_header_bytes: MAX_HEADER_BYTES,
      });
    }
    return head;
  }

  /** At the end of the body: the header, or null when the body has none. */
  finish(): HeaderStart | null {
    return this.read(true);
  }

  private read(atEof: boolean): HeaderStart | null {
    const buf = this.buf;
    const len = this.len;
    let start = 0;
    if (len < 3 && !atEof && isPrefixOfBom(buf, len)) return null;
    if (len >= 3 && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2]) start = 3;
    while (start < len && (buf[start] === LF || buf[start] === CR)) start++;
    if (start === len) return null;
    const rec = readHeaderRecord(buf, start, len, atEof, this.delimiter);
    return rec === null ? null : { ...rec, rest: buf.subarray(rec.next, len) };
  }
}

function isPrefixOfBom(buf: Uint8Array, len: number): boolean {
  for (let k = 0; k < len; k++) if (buf[k] !== BOM[k]) return false;
  return true;
}
