/**
 * Seeded synthetic test data for the ingest tests: INSZ numbers, byte sources, CSV text.
 * Nothing here is real: numbers are generated from a birth date and serial.
 */

export { seededRandom as seededRandom } from '../../../src/util/seeded-random.js';
import { inszCheckDigits } from '../../../src/ingest/insz.js';

/** A valid INSZ for the given birth year (1900-2099), month field (BIS: +20/+40), day and serial. */
export function makeInsz(year: number, monthField: number, day: number, serial: number): string {
  const nine = String((year % 100) * 1e7 + monthField * 1e5 + day * 1e3 + serial).padStart(9, '0');
  return nine + inszCheckDigits(nine, year >= 2000);
}

/** Same first nine digits with the check digits of the other century (or any wrong check). */
export function withCheck(insz: string, cc: number): string {
  return insz.slice(0, 9) + String(cc).padStart(2, '0');
}

const encoder = new TextEncoder();

/** The bytes of `text` (or the bytes given) as an async source, cut every `size` bytes or at the given cut points. */
export async function* chunked(input: string | Uint8Array, size: number | readonly number[] = 65536): AsyncGenerator<Uint8Array> {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  if (typeof size === 'number') {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    return;
  }
  let at = 0;
  for (const cut of size) {
    if (cut > at && cut < bytes.length) {
      yield bytes.subarray(at, cut);
      at = cut;
    }
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

/** Random cut points of `length` bytes. */
export function randomCuts(length: number, rnd: () => number, count: number): number[] {
  const cuts: number[] = [];
  for (let k = 0; k < count; k++) cuts.push(Math.floor(rnd() * length));
  return cuts.sort((a, b) => a - b);
}

export async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

/** Run `fn`, expecting a rejection; returns the error (fails the test if none). */
export async function caught(fn: () => Promise<unknown> | unknown): Promise<any> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}
