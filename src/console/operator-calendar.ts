/** The operator's calendar: every dataset's expected deliveries per period, with timeliness status. */
import { api } from './api.js';
import { h, mount } from './dom.js';
import { day, num, pct, t } from './i18n.js';
import { heading, link, notice, type Page } from './page.js';
import { deliveryDetail, timelinessBadge, type Timeliness, type TimelinessEntry } from './quality-report.js';

interface Summary {
  readonly dataset: string;
  readonly supplier: string;
  readonly periods_due: number;
  readonly share_on_time: number | null;
  readonly median_days_late: number | null;
}

function cell(e: TimelinessEntry | undefined): HTMLElement {
  if (e === undefined) return h('td', { class: 'empty' }, '');
  const label = [timelinessBadge(e.status), e.days_late !== null && e.days_late > 0 ? h('span', { class: 'late-days' }, t('calendar.days', { n: e.days_late })) : null];
  return h('td', { title: t('timeliness.due', { date: day(e.due_date) }) }, e.delivery === null ? label : link(`#/calendar?id=${e.delivery}`, label));
}

function calendar(entries: readonly TimelinessEntry[]): HTMLElement {
  const periods = [...new Set(entries.map((e) => e.period))].sort();
  const datasets = [...new Set(entries.map((e) => e.dataset))].sort();
  return h('div', { class: 'table-wrap' }, h('table', { class: 'calendar' },
    h('caption', null, t('calendar.caption')),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('delivery.dataset')), periods.map((p) => h('th', { scope: 'col' }, p)))),
    h('tbody', null, datasets.map((ds) => h('tr', null, h('th', { scope: 'row' }, ds),
      periods.map((p) => cell(entries.find((e) => e.dataset === ds && e.period === p))))))));
}

const calendarPage: Page = {
  path: '/calendar', title: 'nav.calendar',
  async render(main, ctx) {
    const timeliness = await api<Timeliness & { datasets: Summary[] }>('GET', '/v1/timeliness');
    const id = ctx.params.get('id');
    mount(main, heading(t('nav.calendar')),
      h('p', null, t('calendar.explain', { today: day(timeliness.today) })),
      id === null ? null : await deliveryDetail(id, timeliness),
      timeliness.entries.length === 0 ? notice(t('calendar.none')) : calendar(timeliness.entries),
      timeliness.datasets.length === 0 ? null : h('ul', { class: 'summaries' }, timeliness.datasets.map((d) => h('li', null,
        h('strong', null, d.dataset), ` (${d.supplier}): `,
        t('calendar.summary', { due: d.periods_due, share: d.share_on_time === null ? '–' : pct(d.share_on_time), median: d.median_days_late === null ? '–' : num(d.median_days_late) })))));
  },
};

export const CALENDAR_PAGES: readonly Page[] = [calendarPage];
