/** A finished job's linkage report: the figures and four charts (weights, m and u, precision/recall, link rates per source). */
import { barChart, lineChart } from './charts.js';
import { h, table } from './dom.js';
import { num, pct, t } from './i18n.js';
import { facts, section } from './page.js';

export interface JobReport {
  readonly persons: number;
  readonly linked_across_sources: number;
  readonly links: number;
  readonly total_ms?: number;
  /** The job's sources in order: the linkage report names them by delivery id. */
  readonly deliveries?: readonly { dataset: string; period: string }[];
  readonly linkage?: {
    readonly sources: readonly { name: string; records: number; linked_deterministic: number; linked_probabilistic: number; unlinked: number }[];
    readonly settings: { threshold: number; threshold_chosen_by: string };
    readonly model: { fields: readonly { name: string; levels: readonly { label: string; m: number; u: number }[] }[] };
    readonly scoring: { weight_histogram: { edges: readonly number[]; counts: readonly number[] } };
    readonly estimate: { precision: number; recall: number; curve: readonly { threshold: number; precision: number; recall: number }[] };
    readonly links: { deterministic: number; probabilistic: number; total: number };
  };
}

const share = (v: number) => pct(v);

function charts(l: NonNullable<JobReport['linkage']>, names: readonly string[]): HTMLElement[] {
  const out: HTMLElement[] = [];
  const hist = l.scoring.weight_histogram;
  if (hist.counts.length > 0) {
    out.push(barChart(t('report.weights'), t('report.weights_desc'), hist.counts.map((_, i) => num(hist.edges[i], { maximumFractionDigits: 1 })),
      [{ name: t('report.pairs'), values: hist.counts }]));
  }
  for (const f of l.model.fields) {
    out.push(barChart(t('report.m_u', { field: f.name }), t('report.m_u_desc'), f.levels.map((lv) => lv.label),
      [{ name: 'm', values: f.levels.map((lv) => lv.m) }, { name: 'u', values: f.levels.map((lv) => lv.u) }], share, true));
  }
  const curve = [...l.estimate.curve].sort((a, b) => a.threshold - b.threshold);
  if (curve.length > 1) {
    out.push(lineChart(t('report.pr'), t('report.pr_desc'), curve.map((c) => c.threshold),
      [{ name: t('lq.precision'), values: curve.map((c) => c.precision) }, { name: t('lq.recall'), values: curve.map((c) => c.recall) }],
      share, (x) => num(x, { maximumFractionDigits: 2 })));
  }
  const rate = (n: number, of: number) => (of === 0 ? 0 : n / of);
  out.push(barChart(t('report.rates'), t('report.rates_desc'), names,
    [{ name: t('lq.linked_det'), values: l.sources.map((s) => rate(s.linked_deterministic, s.records)) },
      { name: t('lq.linked_prob'), values: l.sources.map((s) => rate(s.linked_probabilistic, s.records)) }], share, true));
  return out;
}

export function jobReport(report: JobReport): HTMLElement {
  const l = report.linkage;
  const names = (l?.sources ?? []).map((s, i) => {
    const d = report.deliveries?.[i];
    return d === undefined ? s.name : `${d.dataset} ${d.period}`;
  });
  return section(t('report.title'),
    facts([
      [t('lq.persons'), num(report.persons)], [t('report.across'), num(report.linked_across_sources)], [t('lq.links'), num(report.links)],
      [t('lq.threshold'), l === undefined ? '–' : num(l.settings.threshold)],
      [t('lq.precision'), l === undefined ? '–' : share(l.estimate.precision)], [t('lq.recall'), l === undefined ? '–' : share(l.estimate.recall)],
      [t('report.time'), report.total_ms === undefined ? '–' : t('report.seconds', { s: num(report.total_ms / 1000, { maximumFractionDigits: 1 }) })],
    ]),
    l === undefined ? null : table(t('lq.per_source'), [t('delivery.dataset'), t('lq.records'), t('lq.linked_det'), t('lq.linked_prob'), t('lq.unlinked')],
      l.sources.map((s, i) => [names[i], num(s.records), num(s.linked_deterministic), num(s.linked_probabilistic), num(s.unlinked)])),
    l === undefined ? null : h('div', { class: 'charts' }, charts(l, names)));
}
