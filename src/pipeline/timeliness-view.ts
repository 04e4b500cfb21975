/**
 * `GET /v1/timeliness`: the timeliness of the datasets a principal may see (operators all, a
 * supplier its own, as for deliveries), optionally one dataset and the periods overlapping
 * `from`..`to`, with summaries over what is shown.
 */
import { KoppelError } from '../errors.js';
import { isPeriod, type Principal } from '../model.js';
import { nowOf, type PipelineContext } from './context.js';
import { dayOf, isoDay, periodEndDay, periodStartDay } from './periods.js';
import { listDatasetsFor } from './registry.js';
import { timelinessEntries, type TimelinessEntry } from './timeliness.js';
import { summariesOf, type TimelinessSummary } from './timeliness-summary.js';

export interface TimelinessQuery {
  readonly dataset?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface TimelinessView {
  readonly today: string;
  readonly entries: readonly TimelinessEntry[];
  readonly datasets: readonly TimelinessSummary[];
  readonly suppliers: readonly TimelinessSummary[];
}

/** Every tracked delivery of every dataset, as of the context's clock (for the periodic check). */
export function allTimeliness(ctx: PipelineContext): TimelinessEntry[] {
  return timelinessEntries({
    datasets: ctx.store.listDatasets(), deliveries: ctx.store.listDeliveries(), refusals: ctx.store.listRefusedUploads(), today: dayOf(nowOf(ctx)),
  });
}

export function timelinessFor(ctx: PipelineContext, principal: Principal, query: TimelinessQuery): TimelinessView {
  const window = periodWindow(query);
  let datasets = listDatasetsFor(ctx, principal);
  if (query.dataset !== undefined) {
    datasets = datasets.filter((d) => d.name === query.dataset);
    // Another supplier's dataset answers as one that does not exist: no existence oracle.
    if (datasets.length === 0) throw new KoppelError('KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET', `no dataset named ${query.dataset} for ${principal.id}`, { dataset: query.dataset });
  }
  const names = new Set(datasets.map((d) => d.name));
  const today = dayOf(nowOf(ctx));
  const entries = timelinessEntries({
    datasets,
    deliveries: ctx.store.listDeliveries(query.dataset === undefined ? {} : { dataset: query.dataset }).filter((d) => names.has(d.dataset)),
    refusals: ctx.store.listRefusedUploads().filter((r) => names.has(r.dataset)),
    today,
  }).filter((e) => periodEndDay(e.period) >= window.first && periodStartDay(e.period) <= window.last);
  return { today: isoDay(today), entries, ...summariesOf(entries) };
}

/** The days `from`..`to` cover; the period text is never echoed (it may hold anything). */
function periodWindow(query: TimelinessQuery): { first: number; last: number } {
  for (const bound of [query.from, query.to]) {
    if (bound !== undefined && !isPeriod(bound)) {
      throw new KoppelError('KOPPEL_ERR_SCHEMA_BAD_PERIOD', 'from and to must be periods: YYYY, YYYYQn or YYYY-MM', { length: bound.length });
    }
  }
  const first = query.from === undefined ? -Infinity : periodStartDay(query.from);
  const last = query.to === undefined ? Infinity : periodEndDay(query.to);
  if (first > last) throw new KoppelError('KOPPEL_ERR_SCHEMA_BAD_PERIOD', 'from must not be after to');
  return { first, last };
}
