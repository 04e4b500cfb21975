/**
 * The calendar of reference periods (`2024`, `2024Q1`, `2024-03`; model.ts `isPeriod`) and of
 * due days. Dates are whole UTC days counted from 1970-01-01, so "late by n days" is a
 * subtraction and no time zone or daylight-saving change can move a day.
 */
import { PERIOD_PATTERN, type DatasetSchema, type Schedule } from '../model.js';

const DAY_MS = 86_400_000;

export type PeriodicSchedule = Exclude<Schedule, 'adhoc'>;

/**
 * Days after a period's end by which its delivery is due when the dataset names none: a month's
 * extract a month later, a quarter's within about six weeks, a year's within about three months.
 */
export const DEFAULT_DUE_DAYS: Readonly<Record<PeriodicSchedule, number>> = { monthly: 30, quarterly: 45, yearly: 90 };

interface PeriodParts { readonly year: number; readonly month0: number; readonly months: number }

function partsOf(period: string): PeriodParts | null {
  const m = PERIOD_PATTERN.exec(period);
  if (m === null) return null;
  const year = Number(m[1]);
  if (m[2] !== undefined) return { year, month0: (Number(m[2]) - 1) * 3, months: 3 };
  if (m[3] !== undefined) return { year, month0: Number(m[3]) - 1, months: 1 };
  return { year, month0: 0, months: 12 };
}

function mustParts(period: string): PeriodParts {
  const parts = partsOf(period);
  if (parts === null) throw new Error('not a period (check isPeriod first)');
  return parts;
}

/** The UTC day number of a moment. */
export function dayOf(moment: Date | string): number {
  return Math.floor(new Date(moment).getTime() / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The schedule whose periods are spelt like this one. */
export function scheduleOfPeriod(period: string): PeriodicSchedule {
  const { months } = mustParts(period);
  return months === 12 ? 'yearly' : months === 3 ? 'quarterly' : 'monthly';
}

export function periodStartDay(period: string): number {
  const { year, month0 } = mustParts(period);
  return Date.UTC(year, month0, 1) / DAY_MS;
}

/** The last day of the period. */
export function periodEndDay(period: string): number {
  const { year, month0, months } = mustParts(period);
  return Date.UTC(year, month0 + months, 1) / DAY_MS - 1;
}

/** The period of a schedule that contains the day. */
export function periodContaining(day: number, schedule: PeriodicSchedule): string {
  const date = new Date(day * DAY_MS);
  const year = String(date.getUTCFullYear()).padStart(4, '0');
  const month0 = date.getUTCMonth();
  if (schedule === 'yearly') return year;
  if (schedule === 'quarterly') return `${year}Q${Math.floor(month0 / 3) + 1}`;
  return `${year}-${String(month0 + 1).padStart(2, '0')}`;
}

/** The period that follows, spelt alike. */
export function nextPeriod(period: string): string {
  return periodContaining(periodEndDay(period) + 1, scheduleOfPeriod(period));
}

/** Days after a period's end by which the dataset's delivery is due; null for `adhoc`. */
export function dueDaysOf(schema: Pick<DatasetSchema, 'schedule' | 'due_days'>): number | null {
  if (schema.schedule === 'adhoc') return null;
  return schema.due_days ?? DEFAULT_DUE_DAYS[schema.schedule];
}

/** The last day on which the period's delivery is on time; null for `adhoc`. */
export function dueDay(schema: Pick<DatasetSchema, 'schedule' | 'due_days'>, period: string): number | null {
  const days = dueDaysOf(schema);
  return days === null ? null : periodEndDay(period) + days;
}
