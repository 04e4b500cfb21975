/**
 * Timeliness over time, per dataset and per supplier: counts per status, the median and worst
 * delay of what was delivered, and the share of due deliveries that came on time.
 */
import { TIMELINESS_STATUSES, type TimelinessEntry, type TimelinessStatus } from './timeliness.js';

export interface TimelinessSummary {
  readonly supplier: string;
  /** Absent in a supplier's summary, which covers all its datasets. */
  readonly dataset?: string;
  /** Periods whose delivery was due (or came anyway): the denominator of `share_on_time`. */
  readonly periods_due: number;
  readonly counts: Readonly<Record<TimelinessStatus, number>>;
  /** Over accepted deliveries (first versions), in days past the due day; null when none. */
  readonly median_days_late: number | null;
  readonly worst_days_late: number | null;
  /** Deliveries made by their due day, over periods due; null when none is due yet. */
  readonly share_on_time: number | null;
}

export function summarise(entries: readonly TimelinessEntry[], key: { supplier: string; dataset?: string }): TimelinessSummary {
  const counts = Object.fromEntries(TIMELINESS_STATUSES.map((s) => [s, 0])) as Record<TimelinessStatus, number>;
  const delays: number[] = [];
  let due = 0;
  let onTime = 0;
  for (const e of entries) {
    counts[e.status] += 1;
    if (e.days_late === null) continue;
    due += 1;
    if (e.delivered_on === null) continue;
    delays.push(e.days_late);
    if (e.days_late === 0) onTime += 1;
  }
  delays.sort((a, b) => a - b);
  const mid = delays.length >> 1;
  return {
    ...key,
    periods_due: due,
    counts,
    median_days_late: delays.length === 0 ? null : delays.length % 2 === 1 ? delays[mid] : (delays[mid - 1] + delays[mid]) / 2,
    worst_days_late: delays.length === 0 ? null : delays[delays.length - 1],
    share_on_time: due === 0 ? null : onTime / due,
  };
}

/** One summary per dataset and one per supplier, in name order. */
export function summariesOf(entries: readonly TimelinessEntry[]): { datasets: TimelinessSummary[]; suppliers: TimelinessSummary[] } {
  const byDataset = new Map<string, TimelinessEntry[]>();
  const bySupplier = new Map<string, TimelinessEntry[]>();
  for (const e of entries) {
    (byDataset.get(e.dataset) ?? byDataset.set(e.dataset, []).get(e.dataset)!).push(e);
    (bySupplier.get(e.supplier) ?? bySupplier.set(e.supplier, []).get(e.supplier)!).push(e);
  }
  return {
    datasets: [...byDataset].sort(([a], [b]) => a.localeCompare(b)).map(([dataset, list]) => summarise(list, { supplier: list[0].supplier, dataset })),
    suppliers: [...bySupplier].sort(([a], [b]) => a.localeCompare(b)).map(([supplier, list]) => summarise(list, { supplier })),
  };
}
