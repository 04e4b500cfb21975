/** Jobs for operators: start one over a project's current deliveries, watch its progress, read its report, build a release. */
import { api } from './api.js';
import { h, mount, table } from './dom.js';
import { moment, num, t } from './i18n.js';
import type { MessageKey } from './messages.js';
import { badge, errorBox, facts, heading, link, notice, pause, section, type Page, type PageContext } from './page.js';
import { jobReport, type JobReport } from './job-report.js';
import type { Delivery } from './quality-report.js';
import type { Project } from './researcher-pages.js';
import type { Release } from './release-view.js';

interface Job {
  readonly id: string;
  readonly project_id: string;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly progress: { stage?: string; records?: number; persons?: number; deliveries?: number } | null;
  readonly report?: JobReport | null;
  readonly error: { code?: string; message?: string } | null;
  readonly created_at: string;
  readonly created_by: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
}

const jobBadge = (j: Job) => badge(j.status, t(`job.status_${j.status}`));

function progressText(j: Job): string {
  const p = j.progress ?? {};
  const stage = p.stage === undefined ? t('job.stage_waiting') : t(`job.stage_${p.stage}` as MessageKey);
  if (p.records !== undefined) return t('job.progress_records', { stage, n: p.records });
  if (p.persons !== undefined) return t('job.progress_persons', { stage, n: p.persons });
  return stage;
}

function startForm(projects: readonly Project[], deliveries: readonly Delivery[]): HTMLElement {
  const select = h('select', { id: 'job-project', name: 'project', required: true }, projects.map((p) => h('option', { value: p.id }, p.title)));
  const boxes = h('fieldset', { class: 'choices' });
  const status = h('div', { 'aria-live': 'polite' });
  const fill = () => {
    const project = projects.find((p) => p.id === select.value);
    const usable = deliveries.filter((d) => project !== undefined && d.dataset in project.approved);
    mount(boxes, h('legend', null, t('job.deliveries')), usable.length === 0 ? h('p', null, t('job.no_deliveries')) : usable.map((d) => h('div', { class: 'check' },
      h('input', { type: 'checkbox', id: `pick-${d.id}`, value: d.id, checked: true }), h('label', { for: `pick-${d.id}` }, `${d.dataset} ${d.period} (v${d.version}, ${num(d.rows_kept)})`))));
  };
  select.addEventListener('change', fill);
  fill();
  const form = h('form', { class: 'card', on: { submit: (e) => {
    e.preventDefault();
    const chosen = [...boxes.querySelectorAll<HTMLInputElement>('input:checked')].map((b) => b.value);
    if (chosen.length === 0) {
      mount(status, h('p', { class: 'notice error', role: 'alert' }, t('job.choose_one')));
      return;
    }
    api<Job>('POST', `/v1/projects/${select.value}/jobs`, { deliveries: chosen }).then((job) => { location.hash = `#/jobs?id=${job.id}`; }, (err: unknown) => mount(status, errorBox(err)));
  } } }, h('h3', null, t('job.start')), h('div', { class: 'field' }, h('label', { for: 'job-project' }, t('job.project')), select), boxes,
  h('button', { type: 'submit' }, t('job.run')), status);
  return form;
}

async function jobDetail(id: string, ctx: PageContext): Promise<HTMLElement> {
  const box = h('div', { class: 'job-detail' });
  const live = h('div', { 'aria-live': 'polite', class: 'job-live' });
  const after = h('div');
  box.append(live, after);
  const show = (job: Job) => mount(live, section(t('job.title', { id: job.id }), facts([
    [t('job.status'), jobBadge(job)], [t('job.progress'), progressText(job)],
    [t('job.created'), `${moment(job.created_at)} · ${job.created_by}`], [t('job.finished'), moment(job.finished_at)],
  ]), job.status === 'running' || job.status === 'queued' ? h('progress', { 'aria-label': t('job.progress') }) : null,
  job.error?.code === undefined ? null : h('p', { class: 'notice error', role: 'alert' }, job.error.message ?? '', ' ', h('code', null, job.error.code ?? ''))));
  let job = await api<Job>('GET', `/v1/jobs/${id}`);
  show(job);
  const unfinished = (j: Job) => j.status === 'queued' || j.status === 'running';
  void (async () => {
    if (unfinished(job)) {
      while (unfinished(job) && !ctx.signal.aborted) {
        await pause(500, ctx.signal);
        if (ctx.signal.aborted) return;
        job = await api<Job>('GET', `/v1/jobs/${id}`);
        show(job);
      }
      // Finished while watched: render the page again, so the list below is current too.
      if (!ctx.signal.aborted) ctx.refresh();
      return;
    }
    if (job.status === 'succeeded' && !ctx.signal.aborted) {
      const review = await reviewLink(job.id);
      if (!ctx.signal.aborted) mount(after, review, buildButton(job), job.report === null || job.report === undefined ? null : jobReport(job.report));
    }
  })().catch((err: unknown) => { if (!ctx.signal.aborted) mount(after, errorBox(err)); });
  return box;
}

/** The link to the job's review queue with its open pairs counted; none for a job without a queue. */
async function reviewLink(id: string): Promise<HTMLElement | null> {
  try {
    const queue = await api<{ total: number }>('GET', `/v1/jobs/${id}/review?state=open&limit=1`);
    return h('p', { class: 'review-link' }, link(`#/review?job=${id}`, t('review.link', { count: num(queue.total) })));
  } catch {
    return null;
  }
}

function buildButton(job: Job): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', on: { click: () => {
    button.disabled = true;
    api<Release>('POST', `/v1/jobs/${job.id}/releases`).then((r) => { location.hash = `#/releases?id=${r.id}`; }, (err: unknown) => {
      button.disabled = false;
      mount(status, errorBox(err));
    });
  } } }, t('job.build_release'));
  return h('div', { class: 'card' }, h('p', null, t('job.build_explain')), button, status);
}

const jobsPage: Page = {
  path: '/jobs', title: 'nav.jobs',
  async render(main, ctx) {
    const [jobs, projects, deliveries] = await Promise.all([
      api<Job[]>('GET', '/v1/jobs'), api<Project[]>('GET', '/v1/projects'), api<Delivery[]>('GET', '/v1/deliveries?status=current'),
    ]);
    const id = ctx.params.get('id');
    const title = (pid: string) => projects.find((p) => p.id === pid)?.title ?? pid;
    mount(main, heading(t('nav.jobs')),
      id === null ? null : await jobDetail(id, ctx),
      projects.length === 0 ? notice(t('projects.none')) : startForm(projects, deliveries),
      jobs.length === 0 ? notice(t('job.none')) : table(t('job.caption'), [t('job.id'), t('job.project'), t('job.status'), t('job.progress'), t('job.created')],
        jobs.map((j) => [link(`#/jobs?id=${j.id}`, h('code', null, j.id)), title(j.project_id), jobBadge(j), progressText(j), `${moment(j.created_at)} · ${j.created_by}`])));
  },
};

export const JOB_PAGES: readonly Page[] = [jobsPage];
