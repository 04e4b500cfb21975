/**
 * Dates of birth parsed per a job file's `format` into year, month and day.
 *
 * A format is built from `YYYY`, `MM`, `DD` and any separators (`YYYY-MM-DD`, `YYYYMMDD`,
 * `DD/MM/YYYY`, `DD.MM.YYYY`). With separators, components may be written without leading
 * zeros (`7/3/1985`) and any non-digit separates (suppliers mix `-`, `/` and `.`); without
 * separators, the widths are fixed. A value that does not parse or is not a real calendar date
 * is invalid: the caller nulls it and counts it.
 */

export type DatePart = 'Y' | 'M' | 'D';

export interface DateFormat {
  readonly source: string;
  /** Components in the order they appear. */
  readonly order: readonly DatePart[];
  /** True when the format has separators between components. */
  readonly separated: boolean;
  /** Fixed widths (unseparated formats), in `order`. */
  readonly widths: readonly number[];
}

export interface ParsedDate { y: number; m: number; d: number }

const TOKEN = /YYYY|MM|DD/g;

/** Compiles a format, or returns null when it is not made of YYYY, MM, DD and separators. */
export function compileDateFormat(format: string): DateFormat | null {
  const order: DatePart[] = [];
  const widths: number[] = [];
  const gaps: string[] = [];
  let last = 0;
  for (const match of format.matchAll(TOKEN)) {
    gaps.push(format.slice(last, match.index));
    order.push(match[0][0] as DatePart);
    widths.push(match[0].length);
    last = match.index + match[0].length;
  }
  gaps.push(format.slice(last));
  if (order.length !== 3 || new Set(order).size !== 3) return null;
  // Separators may be anything but letters and digits (a stray `Y` means a typo like `YYY`).
  if (gaps.some((g) => /[A-Za-z0-9]/.test(g))) return null;
  const inner = gaps.slice(1, 3);
  const separated = inner.every((g) => g.length > 0);
  if (!separated && inner.some((g) => g.length > 0)) return null; // half-separated formats are ambiguous
  return { source: format, order, separated, widths };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isValidDate(y: number, m: number, d: number): boolean {
  if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]);
}

/** Parses `raw` (already trimmed, non-empty) into `out`; false when invalid. */
export function parseDate(raw: string, format: DateFormat, out: ParsedDate): boolean {
  let y = -1; let m = -1; let d = -1;
  if (format.separated) {
    const groups = raw.split(/[^0-9]+/).filter((g) => g.length > 0);
    if (groups.length !== 3) return false;
    for (let i = 0; i < 3; i++) {
      const g = groups[i];
      if (g.length > format.widths[i]) return false;
      const v = Number(g);
      const part = format.order[i];
      if (part === 'Y') { if (g.length !== 4) return false; y = v; } else if (part === 'M') m = v; else d = v;
    }
  } else {
    // Spreadsheets drop the leading zero of `DDMMYYYY` dates: pad back to the full width.
    let digits = raw;
    if (!/^[0-9]+$/.test(digits)) return false;
    if (digits.length === 7 && format.order[0] !== 'Y') digits = '0' + digits;
    if (digits.length !== 8) return false;
    let at = 0;
    for (let i = 0; i < 3; i++) {
      const v = Number(digits.slice(at, at + format.widths[i]));
      at += format.widths[i];
      const part = format.order[i];
      if (part === 'Y') y = v; else if (part === 'M') m = v; else d = v;
    }
  }
  if (!isValidDate(y, m, d)) return false;
  out.y = y; out.m = m; out.d = d;
  return true;
}
