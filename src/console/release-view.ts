/** A release as operators and researchers read it: files, linkage quality, disclosure control, approval. */
import { h, table } from './dom.js';
import { moment, num, pct, t } from './i18n.js';
import { badge, facts, section } from './page.js';

export interface DisclosureControl {
  readonly k: number;
  readonly records: number;
  readonly key_variables: readonly string[];
  readonly suppressed_values: Readonly<Record<string, number>>;
  readonly generalisation_levels?: Readonly<Record<string, string>>;
  readonly generalised_values?: Readonly<Record<string, number>>;
  readonly records_affected: number;
  readonly info_loss_share?: number;
  readonly information_loss?: number;
  readonly suppression_limit?: number;
  readonly suppression_limit_exceeded?: boolean;
}

export interface LinkageQuality {
  readonly persons: number;
  readonly threshold: number;
  readonly estimated_precision: number | null;
  readonly estimated_recall: number | null;
  readonly links: { readonly deterministic: number; readonly probabilistic: number; readonly total: number };
  readonly sources: readonly { dataset: string; period: string; records: number; linked_deterministic: number; linked_probabilistic: number; unlinked: number }[];
}

export interface Release {
  readonly id: string;
  readonly job_id: string;
  readonly project_id: string;
  readonly status: 'draft' | 'approved';
  readonly created_by: string;
  readonly approved_by: string | null;
  readonly created_at: string;
  readonly approved_at: string | null;
  readonly withdrawn: { at: string; by: string; reason: string } | null;
  readonly manifest: {
    readonly files?: readonly { name: string; rows: number; columns: readonly string[] }[];
    readonly documents?: readonly { file: string }[];
    readonly linkage_quality?: LinkageQuality;
    readonly disclosure_control?: DisclosureControl;
  };
}

export function releaseStatus(r: Release): HTMLElement {
  if (r.withdrawn !== null) return badge('withdrawn', t('release.withdrawn'));
  return badge(r.status, t(`release.status_${r.status}`));
}

/** Who built and who approved: the four-eyes rule made visible. */
export function fourEyes(r: Release): HTMLElement {
  return facts([
    [t('release.built_by'), [r.created_by, ' · ', moment(r.created_at)]],
    [t('release.approved_by'), r.approved_by === null ? t('release.not_yet') : [r.approved_by, ' · ', moment(r.approved_at)]],
  ]);
}

export function disclosureReport(dc: DisclosureControl | undefined): HTMLElement {
  if (dc === undefined) return h('p', null, '–');
  const rows = dc.key_variables.map((v) => [v, dc.generalisation_levels?.[v] ?? '–', num(dc.generalised_values?.[v] ?? 0), num(dc.suppressed_values[v] ?? 0)]);
  return section(t('sdc.title'),
    facts([
      [t('sdc.k'), num(dc.k)], [t('sdc.records'), num(dc.records)], [t('sdc.records_affected'), num(dc.records_affected)],
      [t('sdc.info_loss'), dc.information_loss === undefined ? '–' : pct(dc.information_loss)],
      [t('sdc.suppressed_share'), dc.info_loss_share === undefined ? '–' : pct(dc.info_loss_share)],
      [t('sdc.limit'), dc.suppression_limit === undefined ? '–' : [pct(dc.suppression_limit), dc.suppression_limit_exceeded === true ? [' ', badge('late', t('sdc.limit_exceeded'))] : null]],
    ]),
    table(t('sdc.per_variable'), [t('sdc.variable'), t('sdc.level'), t('sdc.generalised'), t('sdc.suppressed')], rows));
}

export function linkageQuality(q: LinkageQuality | undefined): HTMLElement | null {
  if (q === undefined) return null;
  const share = (x: number | null) => (x === null ? '–' : pct(x));
  return section(t('lq.title'),
    facts([
      [t('lq.persons'), num(q.persons)], [t('lq.threshold'), num(q.threshold)],
      [t('lq.precision'), share(q.estimated_precision)], [t('lq.recall'), share(q.estimated_recall)],
      [t('lq.links'), t('lq.links_split', { total: q.links.total, det: q.links.deterministic, prob: q.links.probabilistic })],
    ]),
    table(t('lq.per_source'), [t('delivery.dataset'), t('delivery.period'), t('lq.records'), t('lq.linked_det'), t('lq.linked_prob'), t('lq.unlinked')],
      q.sources.map((s) => [s.dataset, s.period, num(s.records), num(s.linked_deterministic), num(s.linked_probabilistic), num(s.unlinked)])));
}
