/**
 * Canonical forms of the short coded fields: sex, postcode, municipality, code and number.
 * Each returns the canonical string, '' for a blank value, or null for a value that does not
 * parse (the caller nulls it and counts it as invalid).
 */
import { joinWords, normaliseText } from './normalise-text.js';

const SEX: Readonly<Record<string, string>> = {
  m: '1', h: '1', '1': '1', male: '1', man: '1', homme: '1', mannelijk: '1', masculin: '1',
  f: '2', v: '2', '2': '2', female: '2', vrouw: '2', femme: '2', vrouwelijk: '2', feminin: '2', w: '2',
};

/** M/F, M/V, H/F, 1/2 in any case (and the words): `1` male, `2` female. */
export function normaliseSex(raw: string): string | null {
  const key = normaliseText(raw);
  if (key === '') return '';
  return SEX[key] ?? null;
}

/**
 * Postcodes: digits only for Belgian and similar numeric codes (`B-9000`, `9000`, `9 000` agree);
 * other codes keep letters and digits (`1012 AB` -> `1012ab`).
 */
export function normalisePostcode(raw: string): string {
  const text = joinWords(normaliseText(raw));
  const digits = text.replace(/^[a-z]{1,2}(?=[0-9])/, '');
  return /^[0-9]+$/.test(digits) ? digits : text;
}

/** The prefix of a postcode compared at the `prefix` level: all but the last character. */
export function postcodePrefix(code: string): string {
  return code.length >= 4 ? code.slice(0, 3) : code.slice(0, Math.max(1, code.length - 1));
}

/** Municipalities: NIS codes (5 digits) or names; a numeric code is padded to 5 digits. */
export function normaliseMunicipality(raw: string): string {
  const text = joinWords(normaliseText(raw));
  if (/^[0-9]{1,5}$/.test(text)) return text.padStart(5, '0');
  return text;
}

/** The arrondissement of a NIS code (first two digits); for a name, its first three letters. */
export function municipalityPrefix(code: string): string {
  return /^[0-9]{5}$/.test(code) ? code.slice(0, 2) : code.slice(0, 3);
}

/** Any other token compared exactly: normalised text without separators. */
export function normaliseCode(raw: string): string {
  return joinWords(normaliseText(raw));
}

/** Numbers: `1.50`, `1,5` and `01.5` agree; null when not a finite number. */
export function normaliseNumber(raw: string): string | null {
  const t = raw.trim();
  if (t === '') return '';
  const v = Number(t.replace(',', '.'));
  return Number.isFinite(v) ? String(v) : null;
}
