/**
 * The operator pages for clerical review, tables and products in a real browser: a pair decided
 * from the review queue leaves the open queue and the review-based precision is shown; a
 * table's suppressed cells are marked and a second operator approves it (the builder gets no
 * button); a project's products and their runs are listed. Every page is screenshotted,
 * checked by axe-core and searched for the marked identifiers, which must never appear.
 */
import t from 'tap';
import type { Page } from 'playwright-core';

import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, punctuated, testDatasetSchema } from '../fixtures/synthetic.js';
import { buildConsole, findChromium, launch, screenshot, seriousViolations } from '../fixtures/browser.js';

type Test = Pick<typeof t, 'same'>;
const chromiumPath = findChromium();
const NO_BROWSER = 'no Chromium at /usr/bin/chromium (or at KOPPEL_CHROMIUM): the browser tests need one; .ci/run installs it with apt-get';

const people = makePeople(120, 5).map((p, i) => ({ ...p, surname: `Qzsentinel${String.fromCharCode(97 + (i % 26))}y` }));
const MARKED = [...new Set(people.flatMap((p) => [p.insz, punctuated(p.insz), p.surname, p.birthDate]))];

async function check(t: Test, page: Page, name: string): Promise<void> {
  await page.locator('.page-heading').first().waitFor();
  const html = await page.content();
  const text = await page.locator('body').innerText();
  t.same(MARKED.filter((m) => html.includes(m) || text.includes(m)), [], `${name}: no marked identifier in the page`);
  t.same(await seriousViolations(page), [], `${name}: no serious or critical accessibility violation`);
  await screenshot(page, name);
}

t.test('review queue, tables and products through the console', { skip: chromiumPath === null ? NO_BROWSER : false }, async (t) => {
  if (chromiumPath === null) return;
  buildConsole();
  // Workers, as an operator's server runs: an inline job or build would hold the pages' requests.
  const server = await startTestServer(t, { jobWorkers: 1 });
  const browser = await launch(chromiumPath);
  t.teardown(() => browser.close());
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const put = (who: string, dataset: string, csv: string) => server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024Q1`, { body: csv, headers: { 'content-type': 'text/csv' } });
  const a = await put('vdab', 'vdab_set', csvFor(people));
  const b = await put('agodi', 'agodi_set', csvFor(people.slice(0, 80), { spell: (insz, i) => (i % 4 === 0 ? '' : insz) }));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'Operations', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['birth_year', 'loon_cent', 'sex', 'nis_code'], agodi_set: ['loon_cent'] }, key_variables: ['birth_year'], k: 2,
      generalise: { birth_year: { band: 10 } },
    },
  });
  const { body: queued } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id, b.body.id], review: { lower: -12, upper: 80 } } });
  t.equal((await waitForJob(op, queued.id)).status, 'succeeded', 'the job with a review band succeeds');
  const { body: spec } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/tables`, {
    json: { name: 'persons_by_district', title: 'Persons by district and sex', source: { job: queued.id }, dataset: 'vdab_set', measure: 'persons', dimensions: [{ variable: 'nis_code', hierarchy: { prefixes: [2] } }, { variable: 'sex' }] },
  });
  const { body: draft } = await op.request<{ id: string }>('POST', `/v1/tables/${spec.id}/versions`);
  // Both deliveries of 2024Q1 are in: registering the product runs it for that period.
  const { body: product } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/products`, { json: { name: 'Quarterly paths', schedule: 'quarterly', datasets: ['vdab_set', 'agodi_set'], from: '2024Q1' } });
  for (let i = 0; i < 240; i++) {
    const { body: runs } = await op.request<{ status: string }[]>('GET', `/v1/products/${product.id}/runs`);
    if (runs.length > 0 && runs.every((r) => r.status !== 'running')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  context.on('page', (p) => p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); }));
  const page = await context.newPage();
  await page.goto(`${server.base}/console/#/jobs?id=${queued.id}`);
  await page.getByLabel('Token').fill(server.runtime.store.createToken('operator:oscar', 'test').token);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await t.test('the job page links to its review queue; a decided pair leaves the open queue', async (t) => {
    const reviewLink = page.getByRole('link', { name: /Review queue \(\d+ open\)/ });
    await reviewLink.waitFor();
    const open = Number(/\((\d+) open\)/.exec(await reviewLink.innerText())?.[1]);
    t.ok(open > 0, `the job has open pairs (${open})`);
    await reviewLink.click();
    const first = page.locator('article.review-pair').first();
    await first.waitFor();
    t.match(await first.innerText(), /Total weight[\s\S]*Match probability[\s\S]*Level reached[\s\S]*Releasable|Left record/, 'a pair shows its weights, levels and records');
    const pairNo = await first.getAttribute('data-pair');
    await check(t, page, 'operator-review');
    await first.getByRole('button', { name: 'Match', exact: true }).click();
    await page.locator('.review-status .notice.ok').waitFor();
    t.match(await page.locator('.review-status').innerText(), new RegExp(`Pair ${pairNo} decided Match by operator:oscar`), 'the decision is shown');
    t.equal(await page.locator(`article.review-pair[data-pair="${pairNo}"]`).count(), 0, 'the decided pair is no longer in the open queue');
    t.match(await page.locator('main').innerText(), new RegExp(`of ${(open - 1).toLocaleString('en-GB')}`), 'the open count went down by one');
    t.match(await page.locator('main').innerText(), /from reviewed pairs/, 'the review-based precision and recall are shown');
    await check(t, page, 'operator-review-decided');
  });

  await t.test('a table version shows its suppression pattern; a second operator approves it', async (t) => {
    await page.getByRole('link', { name: 'Tables', exact: true }).click();
    await page.getByRole('link', { name: /persons_by_district/ }).first().click();
    await page.locator('table.suppression-pattern').waitFor();
    t.ok(await page.locator('table.suppression-pattern tr[data-flag="primary"]').count() > 0, 'primary suppressions are marked');
    t.match(await page.locator('table.suppression-pattern tr[data-flag="primary"]').first().innerText(), /–\s+primary/, 'a primary cell shows no value, only why');
    t.match(await page.locator('main').innerText(), /Four-eyes: operator:olivia built this version/, 'four-eyes is shown');
    await check(t, page, 'operator-table-draft');
    await page.getByRole('button', { name: 'Approve this version' }).click();
    await page.locator('.notice.ok').filter({ hasText: 'Approved by operator:oscar, built by operator:olivia' }).waitFor();
    t.pass('approved by the second operator');
    t.ok(page.url().includes(draft.id), 'the page stays on the version');
    await check(t, page, 'operator-table-approved');
  });

  await t.test('a project\'s products and their runs', async (t) => {
    await page.getByRole('link', { name: 'Products', exact: true }).click();
    await page.getByRole('link', { name: 'Quarterly paths' }).click();
    await page.locator('main').getByText('Runs per period and attempt').waitFor();
    const text = await page.locator('main').innerText();
    t.match(text, /Products of project Operations[\s\S]*Quarterly paths\s+quarterly\s+2024Q1/, 'the product is listed with its project and schedule');
    t.match(text, /2024Q1\s+1\s+(succeeded\s+job_|failed)/, 'its run for 2024Q1 is listed with its job');
    await check(t, page, 'operator-products');
  });
  t.same(errors.filter((e) => !/status of 4\d\d/.test(e)), [], 'no script error in the browser');
});
