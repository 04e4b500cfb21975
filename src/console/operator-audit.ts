/** The audit trail for operators, paged, with the chain's verification status checked on opening. */
import { api } from './api.js';
import { h, mount, table } from './dom.js';
import { moment, num, t } from './i18n.js';
import { badge, facts, heading, section, type Page } from './page.js';

interface Verification {
  readonly ok: boolean;
  readonly entries: number;
  readonly firstBad?: number;
  readonly reason?: string;
  readonly files?: { checked: number; missing: number };
  readonly head: { seq: number; mac: string } | null;
  readonly checked_at: string;
}

interface Entry {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: string;
}

const PAGE = 25;

function verification(v: Verification): HTMLElement {
  return section(t('audit.chain'), facts([
    [t('audit.status'), v.ok ? badge('ok', t('audit.verified')) : badge('broken', t('audit.broken', { seq: v.firstBad ?? 0 }))],
    [t('audit.entries'), num(v.entries)],
    [t('audit.head'), v.head === null ? '–' : h('code', null, `${v.head.seq} · ${v.head.mac.slice(0, 16)}…`)],
    [t('audit.files'), v.files === undefined ? '–' : t('audit.files_checked', { checked: v.files.checked, missing: v.files.missing })],
    [t('audit.checked_at'), moment(v.checked_at)],
  ]), v.ok ? null : h('p', { class: 'notice error', role: 'alert' }, v.reason ?? ''));
}

const auditPage: Page = {
  path: '/audit', title: 'nav.audit',
  async render(main, ctx) {
    const v = await api<Verification>('GET', '/v1/audit/verification');
    const last = v.head?.seq ?? 0;
    const requested = Number(ctx.params.get('after') ?? Number.NaN);
    const after = Number.isInteger(requested) && requested >= 0 ? requested : Math.max(0, last - PAGE);
    const { entries } = await api<{ entries: Entry[] }>('GET', `/v1/audit?after=${after}&limit=${PAGE}`);
    const pager = h('nav', { class: 'pager', 'aria-label': t('audit.pages') },
      after > 0 ? h('a', { href: `#/audit?after=${Math.max(0, after - PAGE)}` }, t('audit.older')) : null,
      h('span', null, t('audit.showing', { from: after + 1, to: after + entries.length, of: last })),
      after + PAGE < last ? h('a', { href: `#/audit?after=${after + PAGE}` }, t('audit.newer')) : null);
    mount(main, heading(t('nav.audit')), verification(v), pager,
      table(t('audit.caption'), [t('audit.seq'), t('audit.time'), t('audit.actor'), t('audit.action'), t('audit.target'), t('audit.outcome')],
        entries.map((e) => [num(e.seq), moment(e.ts), e.actor, h('code', null, e.action), e.target ?? '–', badge(e.outcome, e.outcome)])));
  },
};

export const AUDIT_PAGES: readonly Page[] = [auditPage];
