/**
 * INSZ / NISS (national register number) and BIS number validation and normalisation.
 *
 * Layout of the normalised form, 11 ASCII digits:
 *
 *   Y Y M M D D S S S C C
 *   └birth┘ └─┘ └───┘ └─┘
 *    year  month/day serial check
 *
 * - CC = 97 - (YYMMDDSSS mod 97) for people born before 2000; for 2000 and later the check is
 *   computed on `2` followed by the 9 digits. Either passing is valid, and the one that passes
 *   tells the century (they can never both pass: 2e9 mod 97 = 68, not 0).
 * - Month 00-12; BIS numbers add 20 (sex unknown when issued) or 40 (sex known). Day 00-31;
 *   00 means unknown, so no calendar check is made.
 * - Serial odd = male, even = female.
 *
 * Because two check variants are accepted, the check cannot catch every single-digit change:
 * a few changes of a 19xx number turn it into a valid 20xx number (and back). The tests pin
 * that this is the only way an edit survives.
 *
 * The batch kernel works on UTF-8 bytes of an Arrow Utf8 column and writes into caller-owned
 * buffers: no string per row, and the cleartext never leaves the `digits` buffer.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

export const INSZ_VALID = 0;
export const INSZ_MISSING = 1;
export const INSZ_MALFORMED = 2;
export const INSZ_BAD_DATE = 3;
export const INSZ_BAD_CHECK = 4;

/** Report names, indexed by status code. */
export const INSZ_STATUS_NAMES = ['valid', 'missing', 'malformed', 'bad_date', 'bad_check'] as const;
export type InszStatusName = (typeof INSZ_STATUS_NAMES)[number];

export const INSZ_LENGTH = 11;

const ZERO = 0x30;
/** Fewest digits a number that lost its leading zeros can keep (`0001...` -> 8). */
const MIN_DIGITS = 8;
const NINE = 0x39;

/** `.`, `-`, space and `/`: the punctuation suppliers put in (`85.07.30-033.28`). */
function isSeparator(b: number): boolean {
  return b === 0x2e || b === 0x2d || b === 0x20 || b === 0x2f;
}

/**
 * Validate and normalise the bytes `src[start, end)` into `out[outOffset, outOffset + 11)`.
 * On any status but VALID the 11 output bytes are ASCII zeros ('0'), so a caller never keeps a
 * half-written number. Returns the status code.
 */
export function normaliseInszBytes(src: Uint8Array, start: number, end: number, out: Uint8Array, outOffset: number): number {
  let nd = 0;
  let malformed = false;
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (b >= ZERO && b <= NINE) {
      if (nd < INSZ_LENGTH) out[outOffset + nd] = b;
      nd++;
    } else if (!isSeparator(b)) {
      malformed = true;
      break;
    }
  }
  if (malformed || nd > INSZ_LENGTH || (nd > 0 && nd < MIN_DIGITS)) return fail(out, outOffset, INSZ_MALFORMED);
  // Nothing but punctuation ("-", "..") is how some exports write "no value".
  if (nd === 0) return fail(out, outOffset, INSZ_MISSING);
  if (nd < INSZ_LENGTH) {
    // A spreadsheet stored the number as a number and dropped the leading zeros of a 1900-1909
    // or 2000-2009 birth: up to three for January-September 2000 (`000101...`). Shift right and
    // pad; the check digits still have to pass.
    const pad = INSZ_LENGTH - nd;
    for (let k = nd - 1; k >= 0; k--) out[outOffset + k + pad] = out[outOffset + k];
    for (let k = 0; k < pad; k++) out[outOffset + k] = ZERO;
  }
  const status = checkNormalised(out, outOffset);
  return status === INSZ_VALID ? status : fail(out, outOffset, status);
}

function fail(out: Uint8Array, outOffset: number, status: number): number {
  out.fill(ZERO, outOffset, outOffset + INSZ_LENGTH);
  return status;
}

/** 0 when neither check variant passes, else 1900 or 2000. */
function century(d: Uint8Array, o: number): number {
  // The first 9 digits fit a double exactly (< 1e9), so plain arithmetic is exact.
  let n = 0;
  for (let k = 0; k < 9; k++) n = n * 10 + (d[o + k] - ZERO);
  const cc = (d[o + 9] - ZERO) * 10 + (d[o + 10] - ZERO);
  if (inszCheck(n, false) === cc) return 1900;
  if (inszCheck(n, true) === cc) return 2000;
  return 0;
}

function twoDigits(d: Uint8Array, o: number): number {
  return (d[o] - ZERO) * 10 + (d[o + 1] - ZERO);
}

/** Check digits first: a failing check means a typo; a passing check with an impossible date is a different fault. */
function checkNormalised(d: Uint8Array, o: number): number {
  if (century(d, o) === 0) return INSZ_BAD_CHECK;
  const month = twoDigits(d, o + 2);
  const day = twoDigits(d, o + 4);
  const monthOk = month <= 12 || (month >= 20 && month <= 32) || (month >= 40 && month <= 52);
  if (!monthOk || day > 31) return INSZ_BAD_DATE;
  return INSZ_VALID;
}

/** Sex from the serial of a VALID normalised number: 1 male, 2 female, 0 unknown (BIS month + 20). */
export function inszSex(digits: Uint8Array, offset: number): 0 | 1 | 2 {
  const month = twoDigits(digits, offset + 2);
  if (month >= 20 && month <= 32) return 0;
  return (digits[offset + 8] - ZERO) % 2 === 1 ? 1 : 2;
}

/** Birth year of a normalised number, from the check variant that passes; null when neither does. */
export function inszBirthYear(digits: Uint8Array, offset: number): number | null {
  const c = century(digits, offset);
  return c === 0 ? null : c + twoDigits(digits, offset);
}

export interface NormalisedInsz {
  readonly status: number;
  /** The 11 normalised digits, or null unless VALID. */
  readonly digits: string | null;
}

/** Single-value form for tests and the CLI; batches use `normaliseInszColumn`. */
export function normaliseInsz(raw: string | null | undefined): NormalisedInsz {
  if (raw === null || raw === undefined || raw.length === 0) return { status: INSZ_MISSING, digits: null };
  const src = new TextEncoder().encode(raw);
  const out = new Uint8Array(INSZ_LENGTH);
  const status = normaliseInszBytes(src, 0, src.length, out, 0);
  return { status, digits: status === INSZ_VALID ? String.fromCharCode(...out) : null };
}

export interface InszColumn {
  /** length * 11 ASCII digits; '0' bytes where the status is not VALID. */
  readonly digits: Uint8Array;
  /** One status code per row. */
  readonly status: Uint8Array;
}

/** Validate and normalise a whole Utf8 column. Null entries are MISSING. */
export function normaliseInszColumn(col: Data<Utf8>): InszColumn {
  const n = col.length;
  const digits = new Uint8Array(n * INSZ_LENGTH);
  const status = new Uint8Array(n);
  const values = col.values;
  const offsets = col.valueOffsets;
  const bitmap = validityBitmap(col);
  const base = col.offset;
  for (let i = 0; i < n; i++) {
    if (bitmap !== null && !isBitSet(bitmap, base + i)) {
      digits.fill(ZERO, i * INSZ_LENGTH, (i + 1) * INSZ_LENGTH);
      status[i] = INSZ_MISSING;
    } else {
      status[i] = normaliseInszBytes(values, offsets[i], offsets[i + 1], digits, i * INSZ_LENGTH);
    }
  }
  return { digits, status };
}

/** Counts per status, for the quality report. */
export function countInszStatus(status: Uint8Array, into: Record<InszStatusName, number>): void {
  const counts = new Float64Array(INSZ_STATUS_NAMES.length);
  for (let i = 0; i < status.length; i++) counts[status[i]]++;
  for (let s = 0; s < INSZ_STATUS_NAMES.length; s++) into[INSZ_STATUS_NAMES[s]] += counts[s];
}

/** The check number (1..97) of the first nine digits of an INSZ, read as a number. */
export function inszCheck(nine: number, bornFrom2000: boolean): number {
  return 97 - (((bornFrom2000 ? 2_000_000_000 : 0) + nine) % 97);
}

/** The two check digits of a 9-digit INSZ body (for generators and tests of synthetic data). */
export function inszCheckDigits(body9: string, bornFrom2000: boolean): string {
  return String(inszCheck(Number(body9), bornFrom2000)).padStart(2, '0');
}
