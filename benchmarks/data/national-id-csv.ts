/**
 * Two synthetic supplier extracts `record_id,insz` for the national-id-only `koppel link`
 * benchmark (issue 4 "Done when", first bullet), streamed to disk in 1 MB pieces: no string
 * per row and never the whole file in memory, so 2M rows take well under a second.
 *
 * ```
 * persons   0 ........ shared ........ | a only | b only
 * a.csv     rows are persons 0 .. n-1 (shared first), in a shuffled order
 * b.csv     rows are persons 0 .. shared-1 and n .. n + bOnly - 1, shuffled
 * ```
 * - Every person has a distinct valid INSZ: person p maps through a bijection onto
 *   (birth date 1940-2008, serial 1-997), so no two persons collide.
 * - Spellings are mixed within each file (plain 11 digits, `85.07.30-033.28`, `850730 033 28`,
 *   and the 10-digit form a spreadsheet leaves for people born 2000-2009), but a person is
 *   spelled the same way in both files. That keeps the peer job honest: DuckDB hashes the raw
 *   text, so only with equal spellings does its join find exactly the pairs Koppel's
 *   normalised join finds.
 * - `INVALID_SHARE` of the rows are faulty, per row and per file: empty, wrong check digits
 *   (failing both century rules) or letters. A faulty row never links, in Koppel (null
 *   pseudonym) or DuckDB (NULL or a text no other row has).
 * - Record ids are `A<row+1>` and `B<row+1>`, so a link's ids give back its rows.
 *
 * `rightOfLeft[aRow]` is the b row the a row must link to, or -1: the ground truth.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { seeded } from './corruption.js';
import { inszCheck } from '../../src/ingest/insz.js';

export const NATIONAL_ID_HEADER = 'record_id,insz';
/** Share of a's persons who are in b too. */
export const DEFAULT_SHARED_SHARE = 0.8;
/** Share of rows (per file) whose insz is empty, fails its check digits, or is not a number. */
export const INVALID_SHARE = 0.02;

export interface NationalIdCsvOptions {
  /** Rows in each file. */
  readonly rows: number;
  readonly aPath: string;
  readonly bPath: string;
  readonly sharedShare?: number;
  readonly seed?: number;
}

export interface NationalIdCsv {
  readonly rows: number;
  /** b row per a row for a true link (both valid, same person), else -1. */
  readonly rightOfLeft: Int32Array;
  /** Number of true links. */
  readonly links: number;
  /** Faulty rows written, per file. */
  readonly invalid: { readonly a: number; readonly b: number };
}

/** Dates 1940-01-01 .. 2008-12-28 (28 days a month keeps every date valid) times 997 serials. */
const YEARS = 69;
const DATES = YEARS * 12 * 28;
const SERIALS = 997;
const SPACE = DATES * SERIALS; // 23,065,848 distinct numbers
/** Coprime with SPACE (= 2^4 * 3^2 * 7 * 23 * 997; checked at load). */
const STRIDE = 7_368_787;

const SPELL_PLAIN = 0;
const SPELL_DOTTED = 1;
const SPELL_SPACED = 2;

interface Person { yy: number; month: number; day: number; serial: number; check: number; from2000: boolean }

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
if (gcd(STRIDE, SPACE) !== 1) throw new Error('national-id-csv: STRIDE must be coprime with SPACE');

/** Person p's number: p -> p * STRIDE mod SPACE is a bijection, so numbers never collide. */
function personNumber(p: number, into: Person): void {
  const x = Number((BigInt(p) * BigInt(STRIDE)) % BigInt(SPACE));
  const serial = 1 + (x % SERIALS);
  // Year first: consecutive persons land in different years, months and days.
  let d = Math.floor(x / SERIALS);
  const year = 1940 + (d % YEARS); d = Math.floor(d / YEARS);
  const month = 1 + (d % 12); d = Math.floor(d / 12);
  const day = 1 + d;
  const yy = year % 100;
  const nine = yy * 10_000_000 + month * 100_000 + day * 1000 + serial;
  into.yy = yy; into.month = month; into.day = day; into.serial = serial;
  into.from2000 = year >= 2000;
  into.check = inszCheck(nine, into.from2000);
}

/** A Fisher-Yates permutation of 0..n-1. */
function shuffled(n: number, rnd: () => number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = a[i]; a[i] = a[j]; a[j] = t;
  }
  return a;
}

/** A buffered file writer of ASCII bytes. */
class FileBytes {
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private at = 0;
  private readonly fd: number;
  constructor(path: string) { this.fd = openSync(path, 'w'); }
  room(n: number): void { if (this.at + n > this.buf.length) this.flush(); }
  byte(b: number): void { this.buf[this.at++] = b; }
  digits(value: number, width: number): void {
    for (let k = width - 1; k >= 0; k--) { this.buf[this.at + k] = 0x30 + (value % 10); value = Math.floor(value / 10); }
    this.at += width;
  }
  /** A non-negative integer without leading zeros. */
  int(value: number): void {
    let w = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) w++;
    this.digits(value, w);
  }
  flush(): void { if (this.at > 0) writeSync(this.fd, this.buf, 0, this.at); this.at = 0; }
  close(): void { this.flush(); closeSync(this.fd); }
}

const FAULT_EMPTY = 1;
const FAULT_CHECK = 2;
const FAULT_LETTERS = 3;

/** `file` 0 or 1: a faulty value never reads the same in both files (then DuckDB, which joins raw text, would link it). */
function writeInsz(w: FileBytes, p: Person, spelling: number, fault: number, file: number): void {
  if (fault === FAULT_EMPTY) return;
  if (fault === FAULT_LETTERS) { w.digits(p.yy, 2); w.byte(0x58 + file); w.byte(0x58); w.digits(p.serial, 3); return; }
  const check = fault === FAULT_CHECK ? wrongCheck(p, file === 0 ? 1 : -1) : p.check;
  const yy = p.yy;
  if (spelling === SPELL_DOTTED) {
    w.digits(yy, 2); w.byte(0x2e); w.digits(p.month, 2); w.byte(0x2e); w.digits(p.day, 2); w.byte(0x2d);
    w.digits(p.serial, 3); w.byte(0x2e); w.digits(check, 2);
  } else if (spelling === SPELL_SPACED) {
    w.digits(yy, 2); w.digits(p.month, 2); w.digits(p.day, 2); w.byte(0x20); w.digits(p.serial, 3); w.byte(0x20); w.digits(check, 2);
  } else if (p.from2000 && yy < 10 && spelling === 3) {
    // The spreadsheet form: the leading zero of a 2000-2009 birth is gone (10 digits).
    w.digits(yy, 1); w.digits(p.month, 2); w.digits(p.day, 2); w.digits(p.serial, 3); w.digits(check, 2);
  } else {
    w.digits(yy, 2); w.digits(p.month, 2); w.digits(p.day, 2); w.digits(p.serial, 3); w.digits(check, 2);
  }
}

/**
 * A check number in 1..97 that fails under both the 1900 and the 2000 rule: the nearest one
 * above the right check (`step` 1) or below it (`step` -1), so the two files never agree.
 */
function wrongCheck(p: Person, step: 1 | -1): number {
  const nine = p.yy * 10_000_000 + p.month * 100_000 + p.day * 1000 + p.serial;
  const a = inszCheck(nine, false);
  const b = inszCheck(nine, true);
  const next = (c: number) => ((c - 1 + step + 97) % 97) + 1;
  let c = next(p.check);
  while (c === a || c === b) c = next(c);
  return c;
}

/** Spelling per person: a hash of the person, so both files agree without storing it. */
function spellingOf(person: number, seed: number): number {
  let h = Math.imul(person ^ seed, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  const x = (h >>> 0) % 100;
  // 70% plain (of which the 2000-2009 births lose their zero half the time), 20% dotted, 10% spaced.
  if (x < 20) return SPELL_DOTTED;
  if (x < 30) return SPELL_SPACED;
  return x < 65 ? 3 : SPELL_PLAIN;
}

/** Writes `a.csv` and `b.csv`; returns the ground truth. */
export function writeNationalIdCsvs(options: NationalIdCsvOptions): NationalIdCsv {
  const n = options.rows;
  if (!Number.isSafeInteger(n) || n < 0 || n * 2 > SPACE) throw new RangeError(`rows must be an integer in 0..${SPACE / 2}`);
  const seed = options.seed ?? 11;
  const shared = Math.round(n * (options.sharedShare ?? DEFAULT_SHARED_SHARE));
  const rnd = seeded(seed);
  // a row -> person, b row -> person.
  const aPerson = shuffled(n, rnd);
  const bOrder = shuffled(n, rnd);
  const bPerson = new Int32Array(n);
  for (let r = 0; r < n; r++) bPerson[r] = bOrder[r] < shared ? bOrder[r] : n + (bOrder[r] - shared);
  const person: Person = { yy: 0, month: 0, day: 0, serial: 0, check: 0, from2000: false };

  const write = (path: string, file: number, persons: Int32Array, valid: Uint8Array): number => {
    const w = new FileBytes(path);
    let invalid = 0;
    try {
      for (const c of `${NATIONAL_ID_HEADER}\n`) w.byte(c.charCodeAt(0));
      for (let r = 0; r < n; r++) {
        w.room(64);
        w.byte(0x41 + file); w.int(r + 1); w.byte(0x2c);
        const p = persons[r];
        personNumber(p, person);
        let fault = 0;
        const x = rnd();
        if (x < INVALID_SHARE) { fault = x < INVALID_SHARE / 3 ? FAULT_EMPTY : x < (2 * INVALID_SHARE) / 3 ? FAULT_CHECK : FAULT_LETTERS; invalid++; }
        valid[r] = fault === 0 ? 1 : 0;
        writeInsz(w, person, spellingOf(p, seed), fault, file);
        w.byte(0x0a);
      }
    } finally {
      w.close();
    }
    return invalid;
  };
  const aValid = new Uint8Array(n);
  const bValid = new Uint8Array(n);
  const invalidA = write(options.aPath, 0, aPerson, aValid);
  const invalidB = write(options.bPath, 1, bPerson, bValid);

  const bRowOfPerson = new Int32Array(shared).fill(-1);
  for (let r = 0; r < n; r++) if (bPerson[r] < shared) bRowOfPerson[bPerson[r]] = r;
  const rightOfLeft = new Int32Array(n).fill(-1);
  let links = 0;
  for (let r = 0; r < n; r++) {
    const p = aPerson[r];
    if (p >= shared || aValid[r] === 0) continue;
    const b = bRowOfPerson[p];
    if (bValid[b] === 0) continue;
    rightOfLeft[r] = b;
    links++;
  }
  return { rows: n, rightOfLeft, links, invalid: { a: invalidA, b: invalidB } };
}
