/** Recurrent products for operators: per project, its products and each product's runs (period, attempt, job, release, error). */
import { api } from './api.js';
import { h, mount, table } from './dom.js';
import { moment, num, t } from './i18n.js';
import { badge, heading, link, notice, section, type Page } from './page.js';
import type { Project } from './researcher-pages.js';

interface Product {
  readonly id: string;
  readonly project_id: string;
  readonly name: string;
  readonly schedule: string;
  readonly from: string;
  readonly version: number;
  readonly updated_by: string;
}
interface Run {
  readonly id: string;
  readonly period: string;
  readonly attempt: number;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly job_id: string | null;
  readonly release_id: string | null;
  readonly error: { readonly code: string; readonly stage: string } | null;
  readonly started_at: string;
}

const RUN_STATUS = { running: 'job.status_running', succeeded: 'job.status_succeeded', failed: 'job.status_failed' } as const;

async function runsOf(product: Product): Promise<HTMLElement> {
  const runs = await api<Run[]>('GET', `/v1/products/${product.id}/runs`);
  return section(t('product.runs', { name: product.name }), runs.length === 0 ? notice(t('product.no_runs')) : table(t('product.run_list'),
    [t('product.period'), t('product.attempt'), t('product.run_status'), t('product.outcome'), t('product.started')],
    runs.map((r) => [r.period, num(r.attempt), badge(r.status, t(RUN_STATUS[r.status])), [
      r.job_id === null ? null : link(`#/jobs?id=${r.job_id}`, h('code', null, r.job_id)), ' ',
      r.release_id === null ? null : link(`#/releases?id=${r.release_id}`, h('code', null, r.release_id)),
      r.error === null ? null : h('span', { class: 'notice error' }, t('product.error', { stage: r.error.stage, code: r.error.code })),
    ], moment(r.started_at)])));
}

async function projectProducts(project: Project, selected: string | null): Promise<HTMLElement[]> {
  const products = await api<Product[]>('GET', `/v1/projects/${project.id}/products`);
  if (products.length === 0) return [];
  const name = `${project.title} (${project.id})`;
  const list = section(t('product.caption', { project: name }), table(t('product.list'),
    [t('product.name'), t('product.schedule'), t('product.from'), t('product.version'), t('product.changed_by')],
    products.map((p) => [link(`#/products?product=${p.id}`, p.name), p.schedule, p.from, num(p.version), p.updated_by])));
  const chosen = products.find((p) => p.id === selected);
  return chosen === undefined ? [list] : [list, await runsOf(chosen)];
}

const productsPage: Page = {
  path: '/products', title: 'nav.products',
  async render(main, ctx) {
    const projects = await api<Project[]>('GET', '/v1/projects');
    const selected = ctx.params.get('product');
    const parts = (await Promise.all(projects.map((p) => projectProducts(p, selected)))).flat();
    if (ctx.signal.aborted) return;
    mount(main, heading(t('nav.products')), parts.length === 0 ? notice(t('product.none')) : parts);
  },
};

export const PRODUCT_PAGES: readonly Page[] = [productsPage];
