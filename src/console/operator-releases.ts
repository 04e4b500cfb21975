/**
 * Releases for operators: every release, and one release's disclosure-control report before
 * approval. Four-eyes is shown, not only enforced: the builder sees that a second operator must
 * approve, and the approve button is offered only to another operator.
 */
import { api } from './api.js';
import { h, mount, table } from './dom.js';
import { moment, num, t } from './i18n.js';
import { errorBox, facts, heading, link, notice, section, type Page, type PageContext } from './page.js';
import { disclosureReport, fourEyes, linkageQuality, releaseStatus, type Release } from './release-view.js';

function approval(release: Release, ctx: PageContext): HTMLElement {
  if (release.withdrawn !== null) return notice(t('release.withdrawn_reason', { by: release.withdrawn.by, reason: release.withdrawn.reason }));
  if (release.status === 'approved') return h('p', { class: 'notice ok' }, t('release.approved_note', { by: release.approved_by ?? '', builder: release.created_by }));
  if (release.created_by === ctx.me.id) {
    return h('p', { class: 'notice four-eyes', role: 'note' }, t('release.four_eyes_builder'));
  }
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', on: { click: () => {
    button.disabled = true;
    api<Release>('POST', `/v1/releases/${release.id}/approve`).then(() => ctx.refresh(), (err: unknown) => {
      button.disabled = false;
      mount(status, errorBox(err));
    });
  } } }, t('release.approve'));
  return h('div', { class: 'card approve' }, h('p', null, t('release.four_eyes_second', { builder: release.created_by })), button, status);
}

async function releaseDetail(id: string, ctx: PageContext): Promise<HTMLElement> {
  const release = await api<Release>('GET', `/v1/releases/${id}`);
  const files = release.manifest.files ?? [];
  return h('div', { class: 'release-detail' },
    section(t('release.title', { id: release.id }),
      facts([[t('release.status'), releaseStatus(release)], [t('release.job'), link(`#/jobs?id=${release.job_id}`, h('code', null, release.job_id))]]),
      fourEyes(release),
      approval(release, ctx)),
    disclosureReport(release.manifest.disclosure_control),
    linkageQuality(release.manifest.linkage_quality),
    table(t('release.files'), [t('release.file'), t('release.rows'), t('release.columns')], files.map((f) => [h('code', null, f.name), num(f.rows), f.columns.join(', ')])));
}

const releasesPage: Page = {
  path: '/releases', title: 'nav.releases',
  async render(main, ctx) {
    const releases = await api<Release[]>('GET', '/v1/releases');
    const id = ctx.params.get('id');
    mount(main, heading(t('nav.releases')),
      id === null ? null : await releaseDetail(id, ctx),
      releases.length === 0 ? notice(t('release.none_operator')) : table(t('release.caption'),
        [t('release.id'), t('release.status'), t('release.built_by'), t('release.approved_by'), t('release.created')],
        [...releases].reverse().map((r) => [link(`#/releases?id=${r.id}`, h('code', null, r.id)), releaseStatus(r), r.created_by, r.approved_by ?? '–', moment(r.created_at)])));
  },
};

export const RELEASE_PAGES: readonly Page[] = [releasesPage];
