/**
 * Datasets and projects for operators: read them, and register new ones from forms that check
 * what the API checks (the same patterns and bounds) before sending; the API's own coded
 * answer is shown when it refuses.
 */
import { api } from './api.js';
import { field, h, mount, table } from './dom.js';
import { moment, t } from './i18n.js';
import { errorBox, heading, notice, type Page, type PageContext } from './page.js';
import { projectCard, type Project } from './researcher-pages.js';
import type { Dataset } from './supplier-pages.js';
import { datasetBody, projectBody, projectFields, datasetFields } from './registry-forms.js';

function registerForm(title: string, controls: HTMLElement[], build: () => unknown, path: string, ctx: PageContext): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card register', novalidate: true, on: { submit: (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    let body: unknown;
    try {
      body = build();
    } catch (err) {
      mount(status, h('p', { class: 'notice error', role: 'alert' }, (err as Error).message));
      return;
    }
    api('POST', path, body).then(() => ctx.refresh(), (err: unknown) => mount(status, errorBox(err)));
  } } }, h('h3', null, title), controls, h('button', { type: 'submit' }, t('form.register')), status);
  return form;
}

const datasetsPage: Page = {
  path: '/datasets', title: 'nav.datasets',
  async render(main, ctx) {
    const datasets = await api<Dataset[]>('GET', '/v1/datasets');
    const controls = datasetFields();
    mount(main, heading(t('nav.datasets')),
      datasets.length === 0 ? notice(t('datasets.none')) : table(t('datasets.caption'),
        [t('datasets.name'), t('datasets.supplier'), t('datasets.schedule'), t('datasets.columns'), t('datasets.registered')],
        datasets.map((d) => [h('code', null, d.name), d.supplier, t(`schedule.${d.schema.schedule}` as 'schedule.yearly'),
          d.schema.columns.map((c) => `${c.name} (${c.role}${c.type === undefined ? '' : `: ${c.type}`})`).join(', '), `${moment(d.created_at)} · ${d.created_by}`])),
      registerForm(t('datasets.register'), controls.elements, () => datasetBody(controls), '/v1/datasets', ctx));
  },
};

const projectsPage: Page = {
  path: '/projects', title: 'nav.projects',
  async render(main, ctx) {
    const [projects, datasets] = await Promise.all([api<Project[]>('GET', '/v1/projects'), api<Dataset[]>('GET', '/v1/datasets')]);
    const controls = projectFields(datasets.map((d) => d.name));
    mount(main, heading(t('nav.projects')),
      projects.length === 0 ? notice(t('projects.none')) : projects.map(projectCard),
      registerForm(t("projects.register"), controls.elements, () => projectBody(controls), "/v1/projects", ctx));
  },
};

export const REGISTRY_PAGES: readonly Page[] = [datasetsPage, projectsPage];
