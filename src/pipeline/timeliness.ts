/**
 * Supplier timeliness: for every dataset with a periodic schedule, each expected delivery from
 * the dataset's first expected period up to today, and what became of it. Computed from the
 * store's records on demand (a pure function of them and "today"), so it never goes stale.
 *
 *   period ──ends──> end day ──due_days──> due day ──> today
 *   delivered on or before the due day: on_time; after: late by (arrival − due) days;
 *   nothing accepted and the due day passed: missing (rejected when uploads were refused).
 */
import type { DatasetRecord, DeliveryRecord, RefusedUpload } from '../store/index.js';
import {
  dayOf, dueDay, isoDay, nextPeriod, periodContaining, periodEndDay, periodStartDay, type PeriodicSchedule,
} from './periods.js';

export const TIMELINESS_STATUSES = ['on_time', 'late', 'missing', 'not_yet_due', 'superseded', 'rejected', 'declared_empty'] as const;
export type TimelinessStatus = (typeof TIMELINESS_STATUSES)[number];

export interface TimelinessEntry {
  readonly dataset: string;
  readonly supplier: string;
  readonly period: string;
  /** The last day on which the delivery is on time. */
  readonly due_date: string;
  readonly status: TimelinessStatus;
  /** The day the period's first accepted version arrived; null when none was accepted. */
  readonly delivered_on: string | null;
  /**
   * Days past the due day: of the first accepted version (0 when on time); with nothing accepted,
   * the days overdue so far; null while nothing is due.
   */
  readonly days_late: number | null;
  /** Accepted versions (more than one: superseded). */
  readonly versions: number;
  readonly rejected_uploads: number;
  /** The current delivery's id, or null. */
  readonly delivery: string | null;
}

export interface TimelinessInput {
  readonly datasets: readonly DatasetRecord[];
  readonly deliveries: readonly DeliveryRecord[];
  readonly refusals: readonly RefusedUpload[];
  /** Today's UTC day number (periods.ts `dayOf`). */
  readonly today: number;
}

/**
 * A delivery declared empty on purpose (`?empty=true`). The flag belongs to the deliveries
 * record; it is read defensively, on the record or in its report, so that this view does not
 * depend on where the upload route keeps it.
 */
export function isDeclaredEmpty(delivery: DeliveryRecord): boolean {
  return delivery.declared_empty;
}

/** Every tracked delivery of the given datasets, ordered by dataset, then period start. */
export function timelinessEntries(input: TimelinessInput): TimelinessEntry[] {
  const deliveries = groupBy(input.deliveries, (d) => d.dataset);
  const refusals = groupBy(input.refusals, (r) => r.dataset);
  const entries: TimelinessEntry[] = [];
  for (const dataset of input.datasets) {
    if (dataset.schema.schedule === 'adhoc') continue;
    entries.push(...datasetEntries(dataset, deliveries.get(dataset.name) ?? [], refusals.get(dataset.name) ?? [], input.today));
  }
  return entries;
}

function datasetEntries(dataset: DatasetRecord, deliveries: readonly DeliveryRecord[], refusals: readonly RefusedUpload[], today: number): TimelinessEntry[] {
  const byPeriod = groupBy(deliveries, (d) => d.period);
  const refusedByPeriod = groupBy(refusals, (r) => r.period);
  const periods = new Set<string>([...byPeriod.keys(), ...refusedByPeriod.keys()]);
  const schedule = dataset.schema.schedule as PeriodicSchedule;
  // Expected: every period from the first expected one whose end has passed.
  for (let p = dataset.schema.expected_from ?? periodContaining(dayOf(dataset.created_at), schedule); periodEndDay(p) < today; p = nextPeriod(p)) {
    periods.add(p);
  }
  return [...periods]
    .sort((a, b) => periodStartDay(a) - periodStartDay(b) || periodEndDay(a) - periodEndDay(b))
    .map((period) => entryOf(dataset, period, byPeriod.get(period) ?? [], refusedByPeriod.get(period)?.length ?? 0, today));
}

function entryOf(dataset: DatasetRecord, period: string, versions: readonly DeliveryRecord[], rejected: number, today: number): TimelinessEntry {
  const due = dueDay(dataset.schema, period) as number;
  const base = { dataset: dataset.name, supplier: dataset.supplier, period, due_date: isoDay(due), versions: versions.length, rejected_uploads: rejected };
  if (versions.length === 0) {
    const overdue = today > due;
    const status: TimelinessStatus = rejected > 0 ? 'rejected' : overdue ? 'missing' : 'not_yet_due';
    return { ...base, status, delivered_on: null, days_late: overdue ? today - due : null, delivery: null };
  }
  const first = versions.reduce((a, b) => (b.version < a.version ? b : a));
  const current = versions.find((d) => d.status === 'current') ?? null;
  const arrived = dayOf(first.created_at);
  const daysLate = Math.max(0, arrived - due);
  const status: TimelinessStatus = current !== null && isDeclaredEmpty(current) ? 'declared_empty'
    : versions.length > 1 ? 'superseded'
      : daysLate > 0 ? 'late' : 'on_time';
  return { ...base, status, delivered_on: isoDay(arrived), days_late: daysLate, delivery: current?.id ?? null };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
