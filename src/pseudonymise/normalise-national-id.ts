/**
 * Belgian national register (INSZ/NISS) and BIS numbers: validate and normalise to 11 digits.
 *
 * `YYMMDD SSS CC` with `CC = 97 - (first 9 digits mod 97)`, or, for people born in 2000 or later,
 * computed over `2` followed by the 9 digits. Suppliers send it with dots, dashes and spaces, and
 * spreadsheets turn it into a number that loses the leading zero of people born 2000-2009, so
 * 9- and 10-digit values are left-padded before the check. BIS numbers add 20 or 40 to the month;
 * month and day may be 00 when unknown.
 */

export type NationalIdProblem = 'length' | 'checksum' | 'date';

/** The 11-digit canonical form, or a problem. `raw` must be non-blank. */
export function normaliseNationalId(raw: string): string | NationalIdProblem {
  let digits = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += raw[i];
    else if (c !== 46 && c !== 45 && c !== 32 && c !== 47 && c !== 9) return 'length';
  }
  if (digits.length >= 9 && digits.length < 11) digits = digits.padStart(11, '0');
  if (digits.length !== 11) return 'length';
  const body = Number(digits.slice(0, 9));
  const check = Number(digits.slice(9));
  const before2000 = 97 - (body % 97);
  const after2000 = 97 - ((2_000_000_000 + body) % 97);
  if (check !== before2000 && check !== after2000) return 'checksum';
  const month = Number(digits.slice(2, 4)) % 20; // BIS: +20 or +40
  const day = Number(digits.slice(4, 6));
  const monthBase = Number(digits.slice(2, 4));
  if (monthBase > 52 || month > 12 || day > 31) return 'date';
  return digits;
}

/** Computes the check digits for a 9-digit body (generators and tests). */
export function nationalIdCheck(body9: string, bornFrom2000: boolean): string {
  const body = Number(body9);
  const check = 97 - (((bornFrom2000 ? 2_000_000_000 : 0) + body) % 97);
  return String(check).padStart(2, '0');
}
