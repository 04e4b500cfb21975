/**
 * The one date parser: dates in a supplier's or job file's declared format, from Utf8 bytes to
 * a packed `yyyymmdd`. Ingest types date attributes and derives birth_year and age_on with it,
 * and the pseudonymise stage encodes `date` linkage fields with it, so a value is a date for
 * both or for neither.
 *
 * A format is built from the tokens `YYYY`, `MM` and `DD` (each exactly once) and separators
 * (anything but letters and digits), e.g. `YYYY-MM-DD`, `YYYYMMDD`, `DD/MM/YYYY`. The format
 * decides the order of the parts. Between two parts a value may use the format's own separator
 * or any one of `-`, `/` and `.`, which suppliers mix (`30.07.1985` under `DD/MM/YYYY`); text
 * before the first part or after the last must be the format's. `MM` and `DD` take one or two
 * digits when separators (or the start or end) stand on both sides of them (spreadsheets write
 * `1/2/2024`), exactly two otherwise (`YYYYMMDD`); a format without separators whose first part
 * is not the year also takes 7 digits (a spreadsheet that stored `07031985` as a number dropped
 * the leading zero). Surrounding spaces are ignored. The calendar is checked (no 31 April,
 * 29 February only in leap years) and the year must lie in `YEARS`.
 *
 * The kernel writes a packed `yyyymmdd` integer per row (0 = no date) that derivations reuse,
 * and the status per row: DATE_OK, DATE_EMPTY or DATE_INVALID.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

export const DATE_OK = 0;
export const DATE_EMPTY = 1;
export const DATE_INVALID = 2;

/**
 * The years a date may have, attribute or linkage field alike: the dates of people in a
 * register lie within a few lifetimes of today, so a year outside is a typo (`0985`, `2985`,
 * `9185` for `1985`) or a system's "no date" (`0001-01-01`, SQL Server's `1753-01-01`,
 * `9999-12-31` for an open end). Read as a date, such a value would give a birth year of 2985,
 * or, as a linkage date, make unrelated records agree; it is a bad date instead, and a supplier
 * sends an empty value for "no date". It is the range the linkage encoder had before there was
 * one parser, so linkage on typo'd years is unchanged.
 */
const YEARS = { min: 1800, max: 2200 } as const;

const YEAR = -1;
const MONTH = -2;
const DAY = -3;
/** Separator between two parts: the format's own (`gaps[k]`) or one `isMixedSeparator` byte. */
const GAP = -4;

/** `-`, `/`, `.`: the separators suppliers mix within one column. */
function isMixedSeparator(b: number): boolean {
  return b === 0x2d || b === 0x2f || b === 0x2e;
}

/**
 * Compiled format: parts (YEAR, MONTH, DAY), GAP between two parts, literal bytes (>= 0) before
 * the first part or after the last.
 */
export interface DateFormat {
  readonly source: string;
  readonly elements: Int32Array;
  /** For MONTH and DAY: 1 when one or two digits are accepted, else 0. */
  readonly flexible: Uint8Array;
  /** For GAP elements: the format's own separator bytes (empty elsewhere). */
  readonly gaps: readonly Uint8Array[];
  /** No separators and the year not first (`DDMMYYYY`): 7 digits mean a dropped leading zero. */
  readonly padsSeven: boolean;
  /** Bytes of the format's separators and literals, for `maxDateBytes`. */
  readonly literalBytes: number;
}

function formatError(where: string, message: string, problem: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_SCHEMA_INVALID', `${where}: ${message}`, { problems: [`${where}: ${problem}`] });
}

/** Splits a format into its parts and the text between them (`texts[0]` before the first part). */
function tokenise(format: string, where: string): { parts: number[]; texts: string[] } {
  const parts: number[] = [];
  const texts: string[] = [''];
  let i = 0;
  while (i < format.length) {
    const rest = format.slice(i);
    const token = rest.startsWith('YYYY') ? 'YYYY' : rest.startsWith('MM') ? 'MM' : rest.startsWith('DD') ? 'DD' : null;
    if (token !== null) {
      parts.push(token === 'YYYY' ? YEAR : token === 'MM' ? MONTH : DAY);
      texts.push('');
      i += token.length;
      continue;
    }
    const ch = String.fromCodePoint(format.codePointAt(i) as number);
    if (/[0-9A-Za-z]/.test(ch)) {
      throw formatError(where, `date format has an unknown token at position ${i + 1}; use YYYY, MM, DD and separators.`, 'unknown token in date format');
    }
    texts[texts.length - 1] += ch;
    i += ch.length;
  }
  if (parts.length !== 3 || new Set(parts).size !== 3) {
    throw formatError(where, 'a date format needs YYYY, MM and DD exactly once each.', 'date format needs YYYY, MM and DD exactly once');
  }
  return { parts, texts };
}

export function compileDateFormat(format: string, where: string): DateFormat {
  const { parts, texts } = tokenise(format, where);
  const encoder = new TextEncoder();
  const elements: number[] = [];
  const gaps: Uint8Array[] = [];
  let literalBytes = 0;
  const literal = (text: string): void => {
    for (const b of encoder.encode(text)) { elements.push(b); gaps.push(new Uint8Array(0)); literalBytes++; }
  };
  literal(texts[0]);
  for (let p = 0; p < 3; p++) {
    if (p > 0 && texts[p] !== '') {
      const own = encoder.encode(texts[p]);
      elements.push(GAP);
      gaps.push(own);
      literalBytes += own.length;
    }
    elements.push(parts[p]);
    gaps.push(new Uint8Array(0));
  }
  literal(texts[3]);
  const flexible = new Uint8Array(elements.length);
  for (let k = 0; k < elements.length; k++) {
    const e = elements[k];
    const before = k === 0 || elements[k - 1] >= 0 || elements[k - 1] === GAP;
    const after = k + 1 === elements.length || elements[k + 1] >= 0 || elements[k + 1] === GAP;
    if ((e === MONTH || e === DAY) && before && after) flexible[k] = 1;
  }
  const padsSeven = literalBytes === 0 && parts[0] !== YEAR;
  return { source: format, elements: Int32Array.from(elements), flexible, gaps, padsSeven, literalBytes };
}

/** True when `format` compiles (for job files, which report their own problems). */
export function isDateFormat(format: string): boolean {
  try {
    compileDateFormat(format, 'date format');
    return true;
  } catch (err) {
    if (err instanceof KoppelError) return false;
    throw err;
  }
}

export const ISO_DATE = compileDateFormat('YYYY-MM-DD', 'ISO date');

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Packed yyyymmdd of a calendar date with its year in YEARS, else -1. */
function packedDate(y: number, m: number, d: number): number {
  if (y < YEARS.min || y > YEARS.max || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH[m]) return -1;
  if (m === 2 && d === 29 && !isLeapYear(y)) return -1;
  return y * 10000 + m * 100 + d;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09;
}

/** Position after the separator at `src[i]`: the format's own `gap`, or one mixed separator; -1 if none. */
function skipGap(src: Uint8Array, i: number, end: number, gap: Uint8Array): number {
  let j = 0;
  while (j < gap.length && i + j < end && src[i + j] === gap[j]) j++;
  if (j === gap.length) return i + j;
  return i < end && isMixedSeparator(src[i]) ? i + 1 : -1;
}

/** Packed yyyymmdd of `src[start, end)`, 0 for an empty value, -1 for one that does not parse. */
export function parseDateBytes(src: Uint8Array, start: number, end: number, fmt: DateFormat): number {
  while (start < end && isSpace(src[start])) start++;
  while (end > start && isSpace(src[end - 1])) end--;
  if (start === end) return 0;
  const el = fmt.elements;
  const dropped = fmt.padsSeven && end - start === 7;
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
    if (e === GAP) {
      i = skipGap(src, i, end, fmt.gaps[k]);
      if (i < 0) return -1;
      continue;
    }
    const maxWidth = e === YEAR ? 4 : k === 0 && dropped ? 1 : 2;
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
  return i === end ? packedDate(y, m, d) : -1;
}

/** Reused by `parseDateText`: one date's bytes, grown for a longer value. */
let scratch = new Uint8Array(64);
const textEncoder = new TextEncoder();

/**
 * `parseDateBytes` of a string: for values decoded once per distinct value (the linkage
 * encoder's dictionary) and schema arguments, never per row.
 */
export function parseDateText(text: string, fmt: DateFormat): number {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = textEncoder.encodeInto(text, scratch);
  return parseDateBytes(scratch, 0, written, fmt);
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
  const bitmap = validityBitmap(col);
  const base = col.offset;
  for (let i = 0; i < n; i++) {
    if (bitmap !== null && !isBitSet(bitmap, base + i)) {
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
  return fmt.literalBytes + 20;
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
    else if (e === GAP) {
      const gap = fmt.gaps[k];
      for (let c = 0; c < gap.length; c++) out[pos++] = gap[c];
    } else if (e === YEAR) {
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

/** Packed yyyymmdd of an ISO `YYYY-MM-DD` string, or -1. For schema arguments, not rows. */
export function parseIsoDate(text: string): number {
  return parseDateText(text, ISO_DATE);
}
