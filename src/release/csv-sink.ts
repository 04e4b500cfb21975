/**
 * The one CSV writer: fields are written as bytes (escaped text, digits, dates) into one growing
 * Uint8Array, handed out as Buffer chunks without copying (`take`) or drained into a file
 * (`drain`). Release downloads render through it (csv-render.ts, which describes the format and
 * the formula-injection rule implemented in `text`); `koppel link` writes links.csv and
 * clusters.csv through it too, with the guard off (`formulaGuard: false`): those files hold the
 * sources' record ids, which must come back exactly as they are (RFC 4180 quoting only), while
 * the guard is for researcher-facing text cells.
 */

import { civilFromDays, type CivilDate } from '../util/civil-date.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
const APOSTROPHE = 0x27;

/** First bytes that make a spreadsheet read a cell as a formula (OWASP): = + - @ TAB CR. */
const FORMULA_START = new Uint8Array(256);
for (const c of [0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]) FORMULA_START[c] = 1;

/** Bytes that force a field to be quoted (RFC 4180 section 2.6). */
const NEEDS_QUOTES = new Uint8Array(256);
for (const c of [QUOTE, COMMA, CR, LF]) NEEDS_QUOTES[c] = 1;

const NO_FORMULA_START = new Uint8Array(256);

const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');

export interface CsvSinkOptions {
  /** Prefix text cells that could start a formula with `'` (default true; see csv-render.ts). */
  readonly formulaGuard?: boolean;
}

export class CsvSink {
  private buffer: Uint8Array;
  private readonly civil: CivilDate = { y: 0, m: 0, d: 0 };
  private readonly formulaStart: Uint8Array;
  length = 0;

  constructor(private readonly chunkBytes: number, options: CsvSinkOptions = {}) {
    this.buffer = new Uint8Array(Math.min(chunkBytes, 1 << 20) + 256);
    this.formulaStart = options.formulaGuard === false ? NO_FORMULA_START : FORMULA_START;
  }

  full(): boolean {
    return this.length >= this.chunkBytes;
  }

  /** The bytes written so far, as a Buffer over this sink's memory; the sink starts afresh. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.buffer, this.buffer.byteOffset, this.length);
    this.buffer = new Uint8Array(this.buffer.length);
    this.length = 0;
    return out;
  }

  /** Hands the bytes written so far to `write` (which must be done with them when it returns); the sink starts afresh over the same memory. */
  drain(write: (bytes: Uint8Array) => void): void {
    if (this.length > 0) write(this.buffer.subarray(0, this.length));
    this.length = 0;
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  lineEnd(): void {
    this.reserve(2);
    this.buffer[this.length++] = CR;
    this.buffer[this.length++] = LF;
  }

  /** Raw bytes, already escaped. */
  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    const buf = this.buffer;
    let at = this.length;
    for (let i = start; i < end; i++) buf[at++] = src[i];
    this.length = at;
  }

  /** A text field: quoted when needed, prefixed with `'` when it could start a formula (unless the guard is off). */
  text(src: Uint8Array, start: number, end: number): void {
    if (start === end) {
      this.reserve(2);
      this.buffer[this.length++] = QUOTE; // "" = empty string, distinct from null
      this.buffer[this.length++] = QUOTE;
      return;
    }
    let quote = false;
    let quotes = 0;
    for (let i = start; i < end; i++) {
      const b = src[i];
      if (NEEDS_QUOTES[b] === 1) {
        quote = true;
        if (b === QUOTE) quotes++;
      }
    }
    const prefix = this.formulaStart[src[start]];
    this.reserve(end - start + quotes + prefix + 2);
    const buf = this.buffer;
    let at = this.length;
    if (quote) buf[at++] = QUOTE;
    if (prefix === 1) buf[at++] = APOSTROPHE;
    for (let i = start; i < end; i++) {
      const b = src[i];
      buf[at++] = b;
      if (b === QUOTE) buf[at++] = QUOTE;
    }
    if (quote) buf[at++] = QUOTE;
    this.length = at;
  }

  /** A number: integers digit by digit; other finite values as JS prints them; else empty. */
  number(value: number | bigint): void {
    if (typeof value === 'bigint') {
      this.ascii(value.toString());
      return;
    }
    if (!Number.isFinite(value)) return;
    if (!Number.isSafeInteger(value)) {
      this.ascii(String(value));
      return;
    }
    this.integer(value);
  }

  boolean(value: boolean): void {
    const word = value ? TRUE : FALSE;
    this.bytes(word, 0, word.length);
  }

  /** `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian). */
  date(days: number): void {
    const { y: year, m: month, d: day } = civilFromDays(days, this.civil);
    if (year >= 0 && year <= 9999) this.padded(year, 4);
    else this.integer(year);
    this.byte(0x2d);
    this.padded(month, 2);
    this.byte(0x2d);
    this.padded(day, 2);
  }

  /** ISO 8601 `YYYY-MM-DDTHH:MM:SS[.mmm][Z]` of milliseconds since the epoch. */
  timestamp(ms: number, utc: boolean): void {
    const days = Math.floor(ms / 86_400_000);
    let rest = ms - days * 86_400_000;
    this.date(days);
    this.byte(0x54); // T
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    this.padded(hours, 2);
    this.byte(0x3a);
    this.padded(minutes, 2);
    this.byte(0x3a);
    this.padded(seconds, 2);
    if (millis !== 0) {
      this.byte(0x2e);
      this.padded(millis, 3);
    }
    if (utc) this.byte(0x5a); // Z
  }

  private integer(value: number): void {
    if (value === 0) {
      this.byte(0x30); // also -0
      return;
    }
    this.reserve(17);
    let v = value;
    if (v < 0) {
      this.buffer[this.length++] = 0x2d;
      v = -v;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    const buf = this.buffer;
    const end = this.length + digits;
    for (let at = end - 1; at >= this.length; at--) {
      const q = Math.floor(v / 10);
      buf[at] = 0x30 + (v - q * 10);
      v = q;
    }
    this.length = end;
  }

  private padded(value: number, width: number): void {
    this.reserve(width);
    const buf = this.buffer;
    let v = value;
    for (let at = this.length + width - 1; at >= this.length; at--) {
      const q = Math.floor(v / 10);
      buf[at] = 0x30 + (v - q * 10);
      v = q;
    }
    this.length += width;
  }

  /** ASCII text that needs no quoting (digits, signs, fixed words). */
  ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.buffer[this.length++] = text.charCodeAt(i);
  }
}
