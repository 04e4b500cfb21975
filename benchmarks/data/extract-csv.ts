/**
 * A synthetic four-column supplier extract as CSV bytes, for ingest benchmarks:
 *
 *   insz,voornaam,geboortedatum,bedrag
 *   850730033.. ,Anaïs,1985-07-30,1234.56
 *
 * - `insz`: a valid INSZ (check digits per the 2000 rule) for most rows, with the faults
 *   suppliers send in the shares of `EXTRACT_SHARES`: punctuated (`85.07.30-033.28`), missing,
 *   a wrong check number, and the leading zero a spreadsheet strips from people born 2000-2009.
 * - `voornaam`: a given name, some with accents (multi-byte UTF-8).
 * - `geboortedatum`: the birth date the INSZ encodes, `YYYY-MM-DD`.
 * - `bedrag`: an amount in euros with two decimals, sometimes empty.
 *
 * Bytes are written straight into one buffer (no string per row), so generating a million
 * rows takes a fraction of a second. Everything is synthetic and seeded.
 */
import { seeded } from './corruption.js';
import { inszCheck } from '../../src/ingest/insz.js';

export const EXTRACT_HEADER = ['insz', 'voornaam', 'geboortedatum', 'bedrag'] as const;

/** Shares of rows whose `insz` (or `bedrag`) deviates from a plain valid 11-digit number. */
export const EXTRACT_SHARES = {
  punctuated: 0.1,
  missingId: 0.02,
  badCheck: 0.02,
  /** Of rows born 2000-2009 only: written as a 10-digit number. */
  unpadded: 0.5,
  missingAmount: 0.01,
} as const;

const GIVEN_NAMES = [
  'Jan', 'Marie', 'Lotte', 'Noah', 'Lucas', 'Emma', 'Louise', 'Anaïs', 'Chloé', 'Mohamed',
  'Fatima', 'Elif', 'Ayşe', 'Jef', 'Wout', 'Hélène', 'Zoë', 'Mattéo', 'Liam', 'Olivia',
  'Arthur', 'Nora', 'Bram', 'Ilse', 'Pieter', 'Sofie', 'Youssef', 'Kevin', 'Ine', 'Séverine',
].map((name) => new TextEncoder().encode(name));
const LONGEST_NAME = Math.max(...GIVEN_NAMES.map((n) => n.length));
/** insz (15, punctuated) + name + date (10) + amount (7) + 3 delimiters + LF. */
const MAX_ROW_BYTES = 15 + LONGEST_NAME + 10 + 7 + 3 + 1;

export interface ExtractCsv {
  /** Header and `rows` records, LF-terminated, UTF-8. */
  readonly bytes: Uint8Array;
  readonly rows: number;
  /** Rows per kind of `insz` value, so tests and benchmarks can check the quality report. */
  readonly counts: {
    readonly valid: number;
    readonly punctuated: number;
    readonly unpadded: number;
    readonly missingId: number;
    readonly badCheck: number;
    readonly missingAmount: number;
  };
}

const COMMA = 0x2c;
const LF = 0x0a;
const ZERO = 0x30;

export function extractCsv(rows: number, seed = 7): ExtractCsv {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError('rows must be a non-negative integer');
  const rnd = seeded(seed);
  const header = new TextEncoder().encode(`${EXTRACT_HEADER.join(',')}\n`);
  const out = new Uint8Array(header.length + rows * MAX_ROW_BYTES);
  out.set(header);
  let p = header.length;
  const counts = { valid: 0, punctuated: 0, unpadded: 0, missingId: 0, badCheck: 0, missingAmount: 0 };

  const digits = (value: number, width: number): void => {
    for (let k = width - 1; k >= 0; k--) {
      out[p + k] = ZERO + (value % 10);
      value = Math.floor(value / 10);
    }
    p += width;
  };

  for (let r = 0; r < rows; r++) {
    const year = 1940 + Math.floor(rnd() * 69); // 1940-2008
    const month = 1 + Math.floor(rnd() * 12);
    const day = 1 + Math.floor(rnd() * 28);
    const serial = 1 + Math.floor(rnd() * 997);
    const yy = year % 100;
    const nine = yy * 10_000_000 + month * 100_000 + day * 1000 + serial;
    const check = inszCheck(nine, year >= 2000);

    // insz
    const kind = rnd();
    if (kind < EXTRACT_SHARES.missingId) counts.missingId++;
    else if (kind < EXTRACT_SHARES.missingId + EXTRACT_SHARES.badCheck) {
      digits(nine, 9);
      digits(wrongCheck(nine), 2);
      counts.badCheck++;
    } else if (kind < EXTRACT_SHARES.missingId + EXTRACT_SHARES.badCheck + EXTRACT_SHARES.punctuated) {
      digits(yy, 2); out[p++] = 0x2e;
      digits(month, 2); out[p++] = 0x2e;
      digits(day, 2); out[p++] = 0x2d;
      digits(serial, 3); out[p++] = 0x2e;
      digits(check, 2);
      counts.punctuated++;
    } else if (year >= 2000 && rnd() < EXTRACT_SHARES.unpadded) {
      digits(nine, 8); // yy < 10: the 9-digit prefix starts with a zero, dropped here
      digits(check, 2);
      counts.unpadded++;
    } else {
      digits(nine, 9);
      digits(check, 2);
      counts.valid++;
    }
    out[p++] = COMMA;

    const name = GIVEN_NAMES[Math.floor(rnd() * GIVEN_NAMES.length)];
    out.set(name, p);
    p += name.length;
    out[p++] = COMMA;

    digits(year, 4); out[p++] = 0x2d;
    digits(month, 2); out[p++] = 0x2d;
    digits(day, 2);
    out[p++] = COMMA;

    if (rnd() < EXTRACT_SHARES.missingAmount) counts.missingAmount++;
    else {
      const cents = Math.floor(rnd() * 500_000);
      const euros = Math.floor(cents / 100);
      digits(euros, euros >= 1000 ? 4 : euros >= 100 ? 3 : euros >= 10 ? 2 : 1);
      out[p++] = 0x2e;
      digits(cents % 100, 2);
    }
    out[p++] = LF;
  }
  return { bytes: out.subarray(0, p), rows, counts };
}

/**
 * A check number in 1..97 that fails under both the 1900 and the 2000 rule, so the row is
 * certain to be counted as a bad check (a validator tries both when the century is unknown).
 */
function wrongCheck(nine: number): number {
  const c1900 = inszCheck(nine, false);
  const c2000 = inszCheck(nine, true);
  let c = (c1900 % 97) + 1;
  while (c === c1900 || c === c2000) c = (c % 97) + 1;
  return c;
}

/** The bytes as an async source of `size`-byte chunks (views, no copies), as an upload arrives. */
export async function* chunked(bytes: Uint8Array, size = 65_536): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
}
