/**
 * Aggregate tables for operators: every table version, one version's suppression pattern (each
 * cell published, or suppressed as primary or secondary, from its table.csv), the attacker's
 * audit, building a new version, approval by a second operator (four-eyes shown, the builder
 * gets no approve button) and withdrawal with a reason.
 */
import { api, apiText } from './api.js';
import { h, field, mount, table } from './dom.js';
import { moment, num, t } from './i18n.js';
import type { MessageKey } from './messages.js';
import { badge, errorBox, facts, heading, link, notice, section, type Page, type PageContext } from './page.js';

const MAX_CELLS = 200;

interface TableVersion {
  readonly id: string;
  readonly table_id: string;
  readonly name: string;
  readonly project_id: string;
  readonly job_id: string;
  readonly status: 'draft' | 'approved' | 'superseded';
  readonly version: number | null;
  readonly manifest: { readonly summary?: Readonly<Record<string, number>>; readonly suppression_audit?: Readonly<Record<string, number>> };
  readonly created_at: string;
  readonly created_by: string;
  readonly approved_by: string | null;
  readonly withdrawn: { readonly by: string; readonly reason: string } | null;
}

const FLAGS: Readonly<Record<string, MessageKey>> = { published: 'table.flag_published', primary: 'table.flag_primary', secondary: 'table.flag_secondary' };
const STATUS: Readonly<Record<string, MessageKey>> = { draft: 'table.status_draft', approved: 'table.status_approved', superseded: 'table.status_superseded', withdrawn: 'table.status_withdrawn' };

function versionStatus(v: TableVersion): HTMLElement {
  const status = v.withdrawn === null ? v.status : 'withdrawn';
  return badge(status, t(STATUS[status]));
}

/** A plain CSV line split (table.csv quotes only labels with commas or quotes). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

function pattern(csv: string): HTMLElement {
  const lines = csv.split(/\r?\n/).filter((l) => l !== '');
  const head = splitCsv(lines[0] ?? '');
  const flagAt = head.indexOf('flag');
  const valueAt = head.indexOf('value');
  const dims = head.filter((_, i) => i !== flagAt && i !== valueAt);
  const rows = lines.slice(1, MAX_CELLS + 1).map(splitCsv);
  const body = rows.map((r) => {
    const flag = r[flagAt] ?? '';
    const cells = r.filter((_, i) => i !== flagAt && i !== valueAt).map((x) => h('td', null, x));
    return h('tr', { class: `cell-${flag.replace(/[^a-z]/g, '')}`, 'data-flag': flag }, cells,
      h('td', { class: 'num' }, r[valueAt] === '' ? '–' : r[valueAt]),
      h('td', null, badge(flag === 'published' ? 'ok' : flag === 'primary' ? 'rejected' : 'late', FLAGS[flag] === undefined ? flag : t(FLAGS[flag]))));
  });
  return section(t('table.pattern'), h('p', { class: 'hint' }, t('table.legend')),
    h('p', null, t('table.cells_shown', { shown: num(rows.length), of: num(Math.max(0, lines.length - 1)) })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'suppression-pattern' }, h('caption', null, t('table.cells_caption')),
      h('thead', null, h('tr', null, dims.map((d) => h('th', { scope: 'col' }, d)), h('th', { scope: 'col', class: 'num' }, t('table.value')), h('th', { scope: 'col' }, t('table.flag')))),
      h('tbody', null, body))));
}

function auditSummary(v: TableVersion): HTMLElement {
  const s = v.manifest.summary ?? {};
  const a = v.manifest.suppression_audit ?? {};
  const n = (x: number | undefined) => (x === undefined ? '–' : num(x));
  return section(t('table.audit'), facts([
    [t('table.cells'), n(s.cells)], [t('table.primary'), n(s.primary)], [t('table.secondary'), n(s.secondary)],
    [t('table.certified'), n(a.certified)], [t('table.lps'), n(a.linearProgrammes)], [t('table.narrow'), n(a.narrow)],
  ]));
}

function actionButton(label: string, run: () => Promise<unknown>, status: HTMLElement, ctx: PageContext, extra?: HTMLElement): HTMLElement {
  const button = h('button', { type: extra === undefined ? 'button' : 'submit' }, label);
  const go = (e: Event) => {
    e.preventDefault();
    button.disabled = true;
    run().then(() => ctx.refresh(), (err: unknown) => { button.disabled = false; mount(status, errorBox(err)); });
  };
  if (extra === undefined) { button.addEventListener('click', go); return button; }
  return h('form', { class: 'withdraw', on: { submit: go } }, extra, button);
}

function decisions(v: TableVersion, ctx: PageContext): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  if (v.withdrawn !== null) return notice(t('table.withdrawn_note', { by: v.withdrawn.by, reason: v.withdrawn.reason }));
  if (v.status !== 'draft') {
    const reason = h('textarea', { name: 'reason', required: true, minlength: 10, maxlength: 2000, rows: 2 });
    return h('div', null, h('p', { class: 'notice ok' }, t('table.approved_note', { by: v.approved_by ?? '', builder: v.created_by })),
      actionButton(t('table.withdraw'), () => api('POST', `/v1/table-versions/${v.id}/withdraw`, { reason: reason.value }), status, ctx, field(t('table.reason'), reason, t('table.reason_hint'))), status);
  }
  if (v.created_by === ctx.me.id) return h('p', { class: 'notice four-eyes', role: 'note' }, t('table.four_eyes_builder'));
  return h('div', { class: 'card approve' }, h('p', null, t('table.four_eyes_second', { builder: v.created_by })),
    actionButton(t('table.approve'), () => api('POST', `/v1/table-versions/${v.id}/approve`), status, ctx), status);
}

async function versionDetail(id: string, ctx: PageContext): Promise<HTMLElement> {
  const v = await api<TableVersion>('GET', `/v1/table-versions/${id}`);
  const csv = v.withdrawn === null ? await apiText(`/v1/table-versions/${id}/files/table.csv`) : null;
  const status = h('div', { 'aria-live': 'polite' });
  const build = actionButton(t('table.build'), async () => {
    const built = await api<TableVersion>('POST', `/v1/tables/${v.table_id}/versions`, {});
    location.hash = `#/tables?id=${built.id}`;
  }, status, ctx);
  return h('div', { class: 'table-detail' },
    section(t('table.title', { id: v.id }),
      facts([[t('table.name'), v.name], [t('table.status'), versionStatus(v)], [t('release.job'), link(`#/jobs?id=${v.job_id}`, h('code', null, v.job_id))],
        [t('table.built_by'), `${v.created_by} · ${moment(v.created_at)}`], [t('table.approved_by'), v.approved_by ?? t('release.not_yet')]]),
      decisions(v, ctx), h('div', { class: 'actions' }, build), status),
    auditSummary(v),
    csv === null ? null : pattern(csv));
}

const tablesPage: Page = {
  path: '/tables', title: 'nav.tables',
  async render(main, ctx) {
    const versions = await api<TableVersion[]>('GET', '/v1/tables');
    const id = ctx.params.get('id');
    const detail = id === null ? null : await versionDetail(id, ctx);
    if (ctx.signal.aborted) return;
    mount(main, heading(t('nav.tables')), detail,
      versions.length === 0 ? notice(t('table.none')) : table(t('table.caption'),
        [t('table.name'), t('table.version'), t('table.status'), t('table.built_by'), t('table.approved_by')],
        [...versions].reverse().map((v) => [link(`#/tables?id=${v.id}`, h('code', null, v.name), ' ', v.id), v.version === null ? '–' : num(v.version), versionStatus(v), `${v.created_by} · ${moment(v.created_at)}`, v.approved_by ?? '–'])));
  },
};

export const TABLE_PAGES: readonly Page[] = [tablesPage];
