/**
 * Dates in a supplier's own format, parsed from Utf8 bytes into `YYYY-MM-DD`.
 *
 * A format is built from the tokens `YYYY`, `MM` and `DD` (each exactly once) and literal
 * separators, e.g. `YYYY-MM-DD`, `YYYYMMDD`, `DD/MM/YYYY`. `MM` and `DD` take one or two digits
 * when separators (or the start or end) stand on both sides of them (spreadsheets write
 * `1/2/2024`), exactly two otherwise (`YYYYMMDD`). Surrounding spaces are ignored. The calendar is checked (no 31 April, 29 February
 * only in leap years); year 0000 is rejected.
 *
 * The kernel writes a packed `yyyymmdd` integer per row (0 = no date) that derivations reuse,
 * and the status per row: DATE_OK, DATE_EMPTY or DATE_INVALID.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { isValidAt, makeUtf8 } from './arrow-columns.js';

export const DATE_OK = 0;
export const DATE_EMPTY = 1;
export const DATE_INVALID = 2;

const YEAR = -1;
const MONTH = -2;
const DAY = -3;

/** Compiled format: tokens (YEAR, MONTH, DAY) or literal bytes (>= 0), and digit widths. */
export interface DateFormat {
  readonly source: string;
  readonly elements: Int32Array;
  /** For MONTH and DAY: 1 when one or two digits are accepted, else 0. */
  readonly flexible: Uint8Array;
}

export function compileDateFormat(format: string, where: string): DateFormat {
  const elements: number[] = [];
  const seen = { YYYY: 0, MM: 0, DD: 0 };
  const literal = new TextEncoder();
  let i = 0;
  while (i < format.length) {
    const rest = format.slice(i);
    const token = rest.startsWith('YYYY') ? 'YYYY' : rest.startsWith('MM') ? 'MM' : rest.startsWith('DD') ? 'DD' : null;
    if (token !== null) {
      seen[token]++;
      elements.push(token === 'YYYY' ? YEAR : token === 'MM' ? MONTH : DAY);
      i += token.length;
      continue;
    }
    const ch = String.fromCodePoint(format.codePointAt(i) as number);
    if (/[0-9A-Za-z]/.test(ch)) {
      throw new KoppelError('KOPPEL_ERR_SCHEMA_INVALID', `${where}: date format has an unknown token at position ${i + 1}; use YYYY, MM, DD and separators.`, {
        problems: [`${where}: unknown token in date format`],
      });
    }
    for (const b of literal.encode(ch)) elements.push(b);
    i += ch.length;
  }
  if (seen.YYYY !== 1 || seen.MM !== 1 || seen.DD !== 1) {
    throw new KoppelError('KOPPEL_ERR_SCHEMA_INVALID', `${where}: a date format needs YYYY, MM and DD exactly once each.`, {
      problems: [`${where}: date format needs YYYY, MM and DD exactly once`],
    });
  }
  const flexible = new Uint8Array(elements.length);
  for (let k = 0; k < elements.length; k++) {
    const e = elements[k];
    const delimited = (k === 0 || elements[k - 1] >= 0) && (k + 1 === elements.length || elements[k + 1] >= 0);
    if ((e === MONTH || e === DAY) && delimited) flexible[k] = 1;
  }
  return { source: format, elements: Int32Array.from(elements), flexible };
}

export const ISO_DATE = compileDateFormat('YYYY-MM-DD', 'ISO date');

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09;
}

/** Packed yyyymmdd of `src[start, end)`, 0 for an empty value, -1 for one that does not parse. */
export function parseDateBytes(src: Uint8Array, start: number, end: number, fmt: DateFormat): number {
  while (start < end && isSpace(src[start])) start++;
  while (end > start && isSpace(src[end - 1])) end--;
  if (start === end) return 0;
  const el = fmt.elements;
  let i = start;
  let y = 0;
  let m = 0;
  let d = 0;
  for (let k = 0; k < el.length; k++) {
    const e = el[k];
    if (e >= 0) {
      if (i >= end || src[i] !== e) return -1;
      i++;
      continue;
    }
    const maxWidth = e === YEAR ? 4 : 2;
    const minWidth = e === YEAR || fmt.flexible[k] === 0 ? maxWidth : 1;
    let v = 0;
    let w = 0;
    while (w < maxWidth && i < end) {
      const digit = src[i] - 0x30;
      if (digit < 0 || digit > 9) break;
      v = v * 10 + digit;
      i++;
      w++;
    }
    if (w < minWidth) return -1;
    if (e === YEAR) y = v;
    else if (e === MONTH) m = v;
    else d = v;
  }
  if (i !== end || y === 0 || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH[m]) return -1;
  if (m === 2 && d === 29 && !isLeapYear(y)) return -1;
  return y * 10000 + m * 100 + d;
}

export interface ParsedDates {
  /** yyyymmdd per row, 0 where there is no valid date. */
  readonly ymd: Int32Array;
  /** DATE_OK, DATE_EMPTY or DATE_INVALID per row. */
  readonly status: Uint8Array;
}

export function parseDateColumn(col: Data<Utf8>, fmt: DateFormat): ParsedDates {
  const n = col.length;
  const ymd = new Int32Array(n);
  const status = new Uint8Array(n);
  const values = col.values;
  const offsets = col.valueOffsets;
  const hasNulls = col.nullCount > 0;
  for (let i = 0; i < n; i++) {
    if (hasNulls && !isValidAt(col, i)) {
      status[i] = DATE_EMPTY;
      continue;
    }
    const v = parseDateBytes(values, offsets[i], offsets[i + 1], fmt);
    if (v > 0) ymd[i] = v;
    else status[i] = v === 0 ? DATE_EMPTY : DATE_INVALID;
  }
  return { ymd, status };
}

/** Most bytes `writeDateBytes` writes for `fmt`: MM and DD take 2, a far-off year up to 16. */
export function maxDateBytes(fmt: DateFormat): number {
  return fmt.elements.length + 18;
}

/**
 * Write a calendar date in `fmt` into `out` at `pos`; returns the position after it. Years
 * 1..9999 take four digits; any other year is written as its signed decimal, which no format
 * parses back, so such a date is refused as `bad_date` rather than silently shifted.
 */
export function writeDateBytes(fmt: DateFormat, y: number, m: number, d: number, out: Uint8Array, pos: number): number {
  const el = fmt.elements;
  for (let k = 0; k < el.length; k++) {
    const e = el[k];
    if (e >= 0) out[pos++] = e;
    else if (e === YEAR) {
      if (y >= 1 && y <= 9999) {
        out[pos] = 0x30 + ((y / 1000) | 0);
        out[pos + 1] = 0x30 + (((y / 100) | 0) % 10);
        out[pos + 2] = 0x30 + (((y / 10) | 0) % 10);
        out[pos + 3] = 0x30 + (y % 10);
        pos += 4;
      } else {
        const text = String(y);
        for (let c = 0; c < text.length; c++) out[pos++] = text.charCodeAt(c);
      }
    } else {
      const v = e === MONTH ? m : d;
      out[pos] = 0x30 + ((v / 10) | 0);
      out[pos + 1] = 0x30 + (v % 10);
      pos += 2;
    }
  }
  return pos;
}

/** `YYYY-MM-DD` Utf8 column of packed dates; 0 is null. */
export function isoDateColumn(ymd: Int32Array): Data<Utf8> {
  const n = ymd.length;
  const values = new Uint8Array(n * 10);
  const offsets = new Int32Array(n + 1);
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const v = ymd[i];
    if (v === 0) nulls++;
    else {
      validity[i >> 3] |= 1 << (i & 7);
      const y = (v / 10000) | 0;
      const m = ((v / 100) | 0) % 100;
      const d = v % 100;
      values[pos] = 0x30 + ((y / 1000) | 0);
      values[pos + 1] = 0x30 + (((y / 100) | 0) % 10);
      values[pos + 2] = 0x30 + (((y / 10) | 0) % 10);
      values[pos + 3] = 0x30 + (y % 10);
      values[pos + 4] = 0x2d;
      values[pos + 5] = 0x30 + ((m / 10) | 0);
      values[pos + 6] = 0x30 + (m % 10);
      values[pos + 7] = 0x2d;
      values[pos + 8] = 0x30 + ((d / 10) | 0);
      values[pos + 9] = 0x30 + (d % 10);
      pos += 10;
    }
    offsets[i + 1] = pos;
  }
  return makeUtf8(values.subarray(0, pos), offsets, n, validity, nulls);
}

/** Packed yyyymmdd of an ISO `YYYY-MM-DD` string, or -1. For schema arguments, not rows. */
export function parseIsoDate(text: string): number {
  const bytes = new TextEncoder().encode(text);
  return parseDateBytes(bytes, 0, bytes.length, ISO_DATE);
}
