/** A delivery's quality report and timeliness, as suppliers and operators read them. Counts and row numbers only, never a value. */
import { api } from './api.js';
import { h, table, type Child } from './dom.js';
import { day, moment, num, t } from './i18n.js';
import type { MessageKey } from './messages.js';
import { badge, facts, section } from './page.js';

export interface QualityReport {
  readonly rows_read: number;
  readonly rows_kept: number;
  readonly rows_rejected: number;
  readonly national_id?: Readonly<Record<string, number>>;
  readonly linkage_fields?: Readonly<Record<string, { nulls: number; invalid: number }>>;
  readonly faults?: readonly { reason: string; column?: string; count: number; first_rows?: number[] }[];
}

export interface Delivery {
  readonly id: string;
  readonly dataset: string;
  readonly period: string;
  readonly version: number;
  readonly status: 'current' | 'superseded';
  readonly rows_kept: number;
  readonly declared_empty: boolean;
  readonly created_at: string;
  readonly created_by: string;
  readonly superseded_by: string | null;
  readonly report: QualityReport;
}

export interface TimelinessEntry {
  readonly dataset: string;
  readonly supplier: string;
  readonly period: string;
  readonly due_date: string;
  readonly status: string;
  readonly delivered_on: string | null;
  readonly days_late: number | null;
  readonly versions: number;
  readonly rejected_uploads: number;
  readonly delivery: string | null;
}

export interface Timeliness {
  readonly today: string;
  readonly entries: readonly TimelinessEntry[];
}

export function timelinessBadge(status: string): HTMLElement {
  return badge(status, t(`timeliness.${status}` as MessageKey));
}

export function qualityReport(report: QualityReport): HTMLElement {
  const nid = Object.entries(report.national_id ?? {});
  const fields = Object.entries(report.linkage_fields ?? {});
  const faults = report.faults ?? [];
  return h('div', { class: 'quality' },
    facts([
      [t('quality.rows_read'), num(report.rows_read)],
      [t('quality.rows_kept'), num(report.rows_kept)],
      [t('quality.rows_rejected'), num(report.rows_rejected)],
    ]),
    nid.length === 0 ? null : table(t('quality.national_id'), [t('quality.outcome'), t('quality.count')], nid.map(([k, v]) => [k, num(v)])),
    fields.length === 0 ? null : table(t('quality.linkage_fields'), [t('quality.column'), t('quality.nulls'), t('quality.invalid')],
      fields.map(([k, v]) => [k, num(v.nulls), num(v.invalid)])),
    faults.length === 0 ? h('p', null, t('quality.no_faults')) : table(t('quality.faults'), [t('quality.reason'), t('quality.column'), t('quality.count'), t('quality.first_rows')],
      faults.map((f) => [f.reason, f.column ?? '–', num(f.count), (f.first_rows ?? []).map((r) => num(r)).join(', ')])));
}

/** One delivery: its facts, timeliness and quality report. */
export async function deliveryDetail(id: string, timeliness?: Timeliness): Promise<HTMLElement> {
  const d = await api<Delivery>('GET', `/v1/deliveries/${encodeURIComponent(id)}`);
  const due = timeliness?.entries.find((e) => e.dataset === d.dataset && e.period === d.period);
  const rows: [string, Child][] = [
    [t('delivery.dataset'), d.dataset], [t('delivery.period'), d.period], [t('delivery.version'), num(d.version)],
    [t('delivery.status'), badge(d.status, t(`delivery.status_${d.status}`))],
    [t('delivery.received'), moment(d.created_at)], [t('delivery.by'), d.created_by],
  ];
  if (due !== undefined) rows.push([t('timeliness.label'), [timelinessBadge(due.status), ' ', t('timeliness.due', { date: day(due.due_date) })]]);
  return section(t('delivery.detail', { id: d.id }), facts(rows), h('h4', null, t('quality.title')), qualityReport(d.report));
}
