/**
 * The clerical review queue of a job, for operators: the open pairs, paged, each with the
 * comparison level and weight per field, the total weight and probability, and the attributes
 * the project releases (never a name, number or birth date); a decision per pair, then the job
 * report's precision and recall estimated from the reviewed pairs beside the model's own.
 */
import { api } from './api.js';
import { h, mount, table, type Child } from './dom.js';
import { num, t } from './i18n.js';
import { errorBox, facts, heading, link, notice, section, type Page, type PageContext } from './page.js';

const PAGE_SIZE = 10;
const DECISIONS = [['match', 'review.match'], ['non-match', 'review.non_match'], ['unsure', 'review.unsure']] as const;
type Decision = typeof DECISIONS[number][0];

interface RecordRef { readonly delivery: string; readonly row: number }
interface RecordView extends RecordRef {
  readonly dataset?: string;
  readonly period?: string;
  readonly attributes?: Readonly<Record<string, string | number | boolean | null>>;
  readonly withheld?: readonly string[];
}
interface Pair {
  readonly pair: number;
  readonly state: string;
  readonly left: RecordRef;
  readonly right: RecordRef;
  readonly match_weight: number;
  readonly match_probability: number;
  readonly provisional: 'linked' | 'not linked';
  readonly fields: readonly { readonly name: string; readonly level: string; readonly weight: number }[];
  readonly records?: { readonly left: RecordView; readonly right: RecordView };
}
interface Queue { readonly total: number; readonly offset: number; readonly pairs: readonly Pair[] }
interface Sample { readonly pairs: number; readonly reviewed: number; readonly matches: number }
interface Estimate { readonly precision: number | null; readonly recall: number | null }
interface ReviewSummary {
  readonly pairs?: number;
  readonly decided?: Readonly<Record<string, number>>;
  readonly estimate_of_model?: Estimate | null;
  readonly estimate_from_review?: (Estimate & { readonly linked_pairs: Sample; readonly unlinked_pairs: Sample }) | null;
}
interface Decided { readonly pair: number; readonly state: string; readonly decided_by: string | null; readonly persons: { readonly merged: number; readonly split: number; readonly records_moved: number } }

const decisionWord = (state: string): string => { const d = DECISIONS.find(([k]) => k === state); return d === undefined ? state : t(d[1]); };
const share = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : num(x, { style: 'percent', maximumFractionDigits: 1 }));

function recordCard(label: string, r: RecordView): HTMLElement {
  const attrs = Object.entries(r.attributes ?? {});
  return h('div', { class: 'review-record' },
    h('h5', null, label),
    h('p', null, t('review.record_ref', { delivery: r.delivery, row: String(r.row) }), r.dataset === undefined ? null : ` · ${r.dataset} ${r.period ?? ''}`),
    attrs.length === 0 ? null : facts(attrs.map(([k, v]) => [k, v === null ? '–' : String(v)])),
    (r.withheld ?? []).length === 0 ? null : h('p', { class: 'hint' }, t('review.withheld', { names: (r.withheld ?? []).join(', ') })));
}

function pairCard(jobId: string, p: Pair, decide: (pair: number, d: Decision) => void): HTMLElement {
  const records = p.records ?? { left: p.left, right: p.right };
  const buttons = DECISIONS.map(([d, key]) => h('button', { type: 'button', class: d === 'match' ? null : 'secondary', 'data-decision': d, on: { click: () => decide(p.pair, d) } }, t(key)));
  return h('article', { class: 'card review-pair', 'data-pair': p.pair },
    h('h4', null, t('review.pair', { pair: String(p.pair) })),
    h('div', { class: 'review-grid' },
      facts([[t('review.total'), num(p.match_weight, { maximumFractionDigits: 2 })], [t('review.probability'), share(p.match_probability)], [t('review.provisional'), t(p.provisional === 'linked' ? 'review.linked' : 'review.not_linked')]]),
      table(t('review.fields'), [t('review.field'), t('review.level'), t('review.weight')],
        p.fields.map((f) => [f.name, f.level, num(f.weight, { maximumFractionDigits: 2 })]))),
    h('div', { class: 'review-records', 'aria-label': t('review.attributes'), role: 'group' }, recordCard(t('review.left'), records.left), recordCard(t('review.right'), records.right)),
    h('div', { role: 'group', 'aria-label': t('review.decide', { pair: String(p.pair) }), class: 'actions', 'data-job': jobId }, buttons));
}

function reviewQuality(review: ReviewSummary): HTMLElement {
  const fromReview = review.estimate_from_review ?? null;
  const decided = Object.entries(review.decided ?? {}).map(([k, v]) => `${k}: ${num(v)}`).join(', ');
  return section(t('review.quality'),
    facts([[t('review.decisions'), decided === '' ? '0' : decided]]),
    table(t('review.quality'), [t('review.estimate'), t('review.precision'), t('review.recall')], [
      [t('review.from_model'), share(review.estimate_of_model?.precision), share(review.estimate_of_model?.recall)],
      [t('review.from_review'), share(fromReview?.precision), share(fromReview?.recall)],
    ]),
    fromReview === null ? null : h('p', { class: 'hint' }, t('review.sample', {
      linked: num(fromReview.linked_pairs.reviewed), linked_all: num(fromReview.linked_pairs.pairs),
      unlinked: num(fromReview.unlinked_pairs.reviewed), unlinked_all: num(fromReview.unlinked_pairs.pairs),
    })));
}

function pager(jobId: string, q: Queue): Child {
  if (q.total <= PAGE_SIZE) return null;
  const prev = q.offset > 0 ? link(`#/review?job=${jobId}&offset=${Math.max(0, q.offset - PAGE_SIZE)}`, t('review.previous')) : null;
  const next = q.offset + PAGE_SIZE < q.total ? link(`#/review?job=${jobId}&offset=${q.offset + PAGE_SIZE}`, t('review.next')) : null;
  return h('nav', { 'aria-label': t('review.pages'), class: 'pager' }, prev, ' ', next);
}

async function draw(main: HTMLElement, jobId: string, ctx: PageContext, result: Child): Promise<void> {
  const offset = Math.max(0, Number(ctx.params.get('offset') ?? '0') || 0);
  const q = await api<Queue>('GET', `/v1/jobs/${jobId}/review?state=open&offset=${offset}&limit=${PAGE_SIZE}`);
  const pairs = await Promise.all(q.pairs.map((p) => api<Pair>('GET', `/v1/jobs/${jobId}/review/${p.pair}`)));
  const job = await api<{ report?: { review?: ReviewSummary | null } | null }>('GET', `/v1/jobs/${jobId}`);
  if (ctx.signal.aborted) return;
  const status = h('div', { 'aria-live': 'polite', class: 'review-status' }, result);
  const decide = (pair: number, d: Decision): void => {
    main.querySelectorAll<HTMLButtonElement>('.review-pair button').forEach((b) => { b.disabled = true; });
    api<Decided>('POST', `/v1/jobs/${jobId}/review/${pair}`, { decision: d }).then(
      (r) => draw(main, jobId, ctx, h('p', { class: 'notice ok', role: 'status' }, t('review.decided', {
        pair: String(r.pair), decision: decisionWord(r.state), by: r.decided_by ?? '', merged: num(r.persons.merged), split: num(r.persons.split), moved: num(r.persons.records_moved),
      }))),
      (err: unknown) => draw(main, jobId, ctx, errorBox(err)),
    ).catch((err: unknown) => mount(status, errorBox(err)));
  };
  mount(main, heading(t('review.title', { id: jobId })),
    h('p', null, t('review.explain'), ' ', link(`#/jobs?id=${jobId}`, h('code', null, jobId))),
    status,
    job.report?.review === undefined || job.report.review === null ? null : reviewQuality(job.report.review),
    q.total === 0 ? notice(t('review.none')) : h('p', { class: 'review-count' }, t('review.showing', { from: num(q.offset + 1), to: num(q.offset + q.pairs.length), of: num(q.total) })),
    pairs.map((p) => pairCard(jobId, p, decide)),
    pager(jobId, q));
}

const reviewPage: Page = {
  path: '/review', title: 'nav.review', hidden: true,
  async render(main, ctx) {
    const jobId = ctx.params.get('job');
    if (jobId === null || !/^job_[A-Za-z0-9_-]+$/.test(jobId)) {
      mount(main, heading(t('nav.review')), notice(t('review.no_job')));
      return;
    }
    await draw(main, jobId, ctx, null);
  },
};

export const REVIEW_PAGES: readonly Page[] = [reviewPage];
