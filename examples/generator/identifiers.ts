/**
 * Synthetic Belgian identifiers with valid check digits, and the ways suppliers spell them.
 *
 * INSZ/NISS: `YYMMDD SSS CC`; SSS odd for men, even for women; CC from `inszCheckDigits`
 * (the product's own definition, src/ingest/insz.ts).
 * BIS numbers add 40 to the month when the sex is known.
 * KBO/BCE enterprise number: 10 digits starting with 0 (or 1 since 2023), check digits
 * 97 - (first 8 digits mod 97).
 */
import type { Rng } from './prng.js';
import { inszCheckDigits } from '../../src/ingest/insz.js';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** An 11-digit INSZ (or BIS number with `bis`) for a birth date and sex. */
export function makeInsz(year: number, month: number, day: number, male: boolean, serialSeed: number, bis = false): string {
  // Serials 001..997 for men (odd), 002..998 for women (even).
  const serial = male ? 1 + 2 * (serialSeed % 499) : 2 + 2 * (serialSeed % 499);
  const first9 = `${pad(year % 100, 2)}${pad(month + (bis ? 40 : 0), 2)}${pad(day, 2)}${pad(serial, 3)}`;
  return first9 + inszCheckDigits(first9, year >= 2000);
}

export function isValidInsz(digits: string, bornFrom2000: boolean): boolean {
  return /^\d{11}$/.test(digits) && inszCheckDigits(digits.slice(0, 9), bornFrom2000) === digits.slice(9);
}

export type InszSpelling = 'plain' | 'dotted' | 'spaced' | 'dashed' | 'number';

/** Write a valid INSZ the way a supplier's export might: `85.07.30-033.28`, `85073003328`, ... */
export function spellInsz(insz: string, spelling: InszSpelling): string {
  const [yy, mm, dd, sss, cc] = [insz.slice(0, 2), insz.slice(2, 4), insz.slice(4, 6), insz.slice(6, 9), insz.slice(9)];
  switch (spelling) {
    case 'plain': return insz;
    case 'dotted': return `${yy}.${mm}.${dd}-${sss}.${cc}`;
    case 'spaced': return `${yy}${mm}${dd} ${sss} ${cc}`;
    case 'dashed': return `${yy}${mm}${dd}-${sss}-${cc}`;
    // A spreadsheet turned it into a number: the leading zero of 2000-2009 births is lost.
    case 'number': return String(Number(insz));
  }
}

export type InszFault = 'missing' | 'malformed' | 'check_digit';

/** A broken INSZ cell: empty, malformed, or well-formed with a wrong check digit. */
export function faultyInsz(rng: Rng, insz: string, fault: InszFault, bornFrom2000: boolean): string {
  if (fault === 'missing') return '';
  if (fault === 'malformed') {
    // Truncated, split short, a letter for a digit, or one digit too many.
    return rng.pick([insz.slice(0, 9), `${insz.slice(0, 6)}-${insz.slice(6, 9)}`, `${insz.slice(0, 4)}O${insz.slice(5)}`, `${insz}7`]);
  }
  // Transpose two adjacent differing digits (the classic typing error); fall back to
  // changing the last digit when the transposition happens to keep a check valid (validators
  // accept either century's check, so it must fail both).
  for (let attempt = 0; attempt < 10; attempt++) {
    const i = rng.int(0, 9);
    if (insz[i] === insz[i + 1]) continue;
    const swapped = insz.slice(0, i) + insz[i + 1] + insz[i] + insz.slice(i + 2);
    if (!isValidInsz(swapped, bornFrom2000) && !isValidInsz(swapped, !bornFrom2000)) return swapped;
  }
  for (let bump = 1; bump < 10; bump++) {
    const wrong = insz.slice(0, 10) + String((Number(insz[10]) + bump) % 10);
    if (!isValidInsz(wrong, bornFrom2000) && !isValidInsz(wrong, !bornFrom2000)) return wrong;
  }
  return insz.slice(0, 9) + '00'; // 00 is never a valid check (97 - x mod 97 is 1..97)
}

/** A KBO enterprise number with valid check digits, written `0xxx.xxx.xxx`. */
export function makeKbo(rng: Rng): string {
  const first8 = `${rng.chance(0.9) ? '0' : '1'}${pad(rng.int(200_000_0, 999_999_9), 7)}`;
  const digits = first8 + pad(97 - (Number(first8) % 97), 2);
  return `${digits.slice(0, 4)}.${digits.slice(4, 7)}.${digits.slice(7)}`;
}
