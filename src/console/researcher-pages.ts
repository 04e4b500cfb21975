/** The researcher's pages: my projects, and the approved releases I may download. */
import { api, download } from './api.js';
import { h, mount, table } from './dom.js';
import { day, num, t } from './i18n.js';
import { errorBox, facts, heading, notice, section, type Page } from './page.js';
import { fourEyes, linkageQuality, releaseStatus, type Release } from './release-view.js';

export interface Project {
  readonly id: string;
  readonly title: string;
  readonly purpose: string;
  readonly legal_basis: string;
  readonly valid_from: string;
  readonly valid_to: string;
  readonly researchers: readonly string[];
  readonly approved: Readonly<Record<string, readonly string[]>>;
  readonly key_variables: readonly string[];
  readonly k: number;
  readonly created_at: string;
  readonly created_by: string;
}

export function projectCard(p: Project): HTMLElement {
  return section(p.title, facts([
    [t('project.id'), h('code', null, p.id)],
    [t('project.purpose'), p.purpose], [t('project.legal_basis'), p.legal_basis],
    [t('project.validity'), t('project.validity_range', { from: day(p.valid_from), to: day(p.valid_to) })],
    [t('project.researchers'), p.researchers.join(', ')],
    [t('project.approved'), h('ul', null, Object.entries(p.approved).map(([ds, vars]) => h('li', null, h('strong', null, ds), ': ', vars.join(', '))))],
    [t('project.key_variables'), `${p.key_variables.join(', ')} (k = ${num(p.k)})`],
  ]));
}

const projectsPage: Page = {
  path: '/projects', title: 'nav.my_projects',
  async render(main) {
    const projects = await api<Project[]>('GET', '/v1/projects');
    mount(main, heading(t('nav.my_projects')), projects.length === 0 ? notice(t('projects.none')) : projects.map(projectCard));
  },
};

function downloadButton(release: Release, file: string, label: string, status: HTMLElement): HTMLButtonElement {
  return h('button', { type: 'button', class: 'secondary', on: { click: () => {
    mount(status, notice(t('release.downloading', { file })));
    download(`/v1/releases/${release.id}/files/${file}`, file).then(() => mount(status, notice(t('release.downloaded', { file }))), (err: unknown) => mount(status, errorBox(err)));
  } } }, label, h('span', { class: 'sr-only' }, ` ${file}`));
}

function releaseCard(release: Release, projects: readonly Project[]): HTMLElement {
  const project = projects.find((p) => p.id === release.project_id);
  const status = h('div', { 'aria-live': 'polite' });
  const files = release.manifest.files ?? [];
  const stem = (name: string) => name.replace(/\.arrow$/, '');
  const hasQuality = (release.manifest.documents ?? []).some((d) => d.file === 'quality.html');
  return section(t('release.title', { id: release.id }),
    facts([[t('release.project'), project?.title ?? release.project_id], [t('release.status'), releaseStatus(release)]]),
    fourEyes(release),
    table(t('release.files'), [t('release.file'), t('release.rows'), t('release.columns'), t('release.download')], files.map((f) => [
      h('code', null, stem(f.name)), num(f.rows), f.columns.join(', '),
      h('span', { class: 'buttons' }, ['arrow', 'parquet', 'csv'].map((ext) => downloadButton(release, `${stem(f.name)}.${ext}`, ext.toUpperCase(), status))),
    ])),
    hasQuality ? h('p', null, downloadButton(release, 'quality.html', t('release.quality_report'), status)) : null,
    status,
    linkageQuality(release.manifest.linkage_quality));
}

const releasesPage: Page = {
  path: '/releases', title: 'nav.my_releases',
  async render(main) {
    const [releases, projects] = await Promise.all([api<Release[]>('GET', '/v1/releases'), api<Project[]>('GET', '/v1/projects')]);
    mount(main, heading(t('nav.my_releases')), h('p', null, t('release.researcher_explain')),
      releases.length === 0 ? notice(t('release.none')) : releases.map((r) => releaseCard(r, projects)));
  },
};

export const RESEARCHER_PAGES: readonly Page[] = [projectsPage, releasesPage];
