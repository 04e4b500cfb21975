/** The supplier's pages: my datasets with an upload form each, and my deliveries with quality and timeliness. */
import { api, uploadFile } from './api.js';
import { field, h, mount, table } from './dom.js';
import { day, moment, num, pct, t } from './i18n.js';
import type { MessageKey } from './messages.js';
import { badge, errorBox, heading, link, notice, section, type Page, type PageContext } from './page.js';
import { deliveryDetail, qualityReport, timelinessBadge, type Delivery, type Timeliness } from './quality-report.js';

export interface Dataset {
  readonly name: string;
  readonly supplier: string;
  readonly schema: { schedule: string; description?: string; due_days?: number; columns: readonly { name: string; role: string; type?: string }[] };
  readonly created_at: string;
  readonly created_by: string;
}

const PERIOD_PATTERN = '^\\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$';

function uploadForm(dataset: Dataset): HTMLElement {
  const period = h('input', { name: 'period', required: true, pattern: PERIOD_PATTERN, placeholder: '2024Q1', autocomplete: 'off' });
  const file = h('input', { name: 'file', type: 'file', required: true, accept: '.csv,.gz,.arrow,.arrows,.ipc,.parquet' });
  const supersede = h('input', { name: 'supersede', type: 'checkbox' });
  const progress = h('progress', { max: '100', value: '0', 'aria-label': t('upload.progress') });
  const status = h('div', { 'aria-live': 'polite', class: 'upload-status' });
  const button = h('button', { type: 'submit' }, t('upload.submit'));
  const form = h('form', { class: 'upload', on: { submit: (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (chosen === undefined || !form.reportValidity()) return;
    button.disabled = true;
    mount(status, notice(t('upload.sending', { name: chosen.name })));
    const query = supersede.checked ? '?supersede=true' : '';
    uploadFile<Delivery>(`/v1/datasets/${encodeURIComponent(dataset.name)}/deliveries/${encodeURIComponent(period.value)}${query}`, chosen, (loaded, total) => {
      progress.value = total === 0 ? 100 : Math.round((loaded / total) * 100);
      progress.textContent = pct(total === 0 ? 1 : loaded / total);
    }).then((delivery) => {
      progress.value = 100;
      mount(status, h('p', { class: 'notice ok', role: 'status' }, t('upload.done', { period: delivery.period, version: delivery.version, rows: delivery.rows_kept }), ' ',
        link(`#/deliveries?id=${delivery.id}`, t('upload.see_delivery'))), qualityReport(delivery.report));
    }, (err: unknown) => mount(status, errorBox(err))).finally(() => { button.disabled = false; });
  } } },
  h('div', { class: 'row' }, field(t('upload.period'), period, t('upload.period_hint')), field(t('upload.file'), file, t('upload.file_hint'))),
  h('div', { class: 'check' }, supersede, h('label', { for: supersede.id = `sup-${dataset.name}` }, t('upload.supersede'))),
  h('div', { class: 'row' }, button, progress), status);
  return form;
}

const datasetsPage: Page = {
  path: '/datasets', title: 'nav.my_datasets',
  async render(main) {
    const datasets = await api<Dataset[]>('GET', '/v1/datasets');
    mount(main, heading(t('nav.my_datasets')), datasets.length === 0 ? notice(t('datasets.none')) : null,
      datasets.map((d) => section(d.name,
        h('p', null, t('datasets.summary', { schedule: t(`schedule.${d.schema.schedule}` as MessageKey), columns: d.schema.columns.length })),
        d.schema.description === undefined ? null : h('p', null, d.schema.description),
        h('h4', null, t('upload.title')), uploadForm(d))));
  },
};

export function deliveriesTable(deliveries: readonly Delivery[], timeliness: Timeliness, base: string): HTMLElement {
  const statusOf = (d: Delivery) => timeliness.entries.find((e) => e.dataset === d.dataset && e.period === d.period && e.delivery === d.id)?.status;
  return table(t('deliveries.caption'), [t('delivery.dataset'), t('delivery.period'), t('delivery.version'), t('delivery.status'), t('quality.rows_kept'), t('delivery.received'), t('timeliness.label'), ''],
    [...deliveries].reverse().map((d) => {
      const s = statusOf(d);
      return [d.dataset, d.period, num(d.version), badge(d.status, t(`delivery.status_${d.status}`)), num(d.rows_kept), moment(d.created_at),
        s === undefined ? '–' : timelinessBadge(s), link(`#${base}?id=${d.id}`, t('deliveries.report'), h('span', { class: 'sr-only' }, ` ${d.dataset} ${d.period} v${d.version}`))];
    }));
}

export function expectedTable(timeliness: Timeliness): HTMLElement {
  return table(t('timeliness.caption'), [t('delivery.dataset'), t('delivery.period'), t('timeliness.due_date'), t('timeliness.label'), t('timeliness.days_late'), t('timeliness.rejected_uploads')],
    timeliness.entries.map((e) => [e.dataset, e.period, day(e.due_date), timelinessBadge(e.status), e.days_late === null ? '–' : num(e.days_late), num(e.rejected_uploads)]));
}

const deliveriesPage: Page = {
  path: '/deliveries', title: 'nav.my_deliveries',
  async render(main, ctx: PageContext) {
    const [deliveries, timeliness] = await Promise.all([api<Delivery[]>('GET', '/v1/deliveries'), api<Timeliness>('GET', '/v1/timeliness')]);
    const id = ctx.params.get('id');
    mount(main, heading(t('nav.my_deliveries')),
      id === null ? null : await deliveryDetail(id, timeliness),
      deliveries.length === 0 ? notice(t('deliveries.none')) : deliveriesTable(deliveries, timeliness, '/deliveries'),
      timeliness.entries.length === 0 ? null : expectedTable(timeliness));
  },
};

export const SUPPLIER_PAGES: readonly Page[] = [datasetsPage, deliveriesPage];
