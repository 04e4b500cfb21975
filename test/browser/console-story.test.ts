/**
 * The console in a real browser (issue 15): the demo's story as its three roles. A supplier
 * uploads through the page, an operator runs the job and watches it, builds a release, a second
 * operator approves it, the researcher downloads it. Every page is screenshotted, checked by
 * axe-core (no serious or critical violation) and searched for the marked identifiers of the
 * upload, which must never appear.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, punctuated, testDatasetSchema } from '../fixtures/synthetic.js';
import { buildConsole, findChromium, launch, screenshot, seriousViolations } from '../fixtures/browser.js';

const chromiumPath = findChromium();
const NO_BROWSER = 'no Chromium at /usr/bin/chromium (or at KOPPEL_CHROMIUM): the browser tests need one; .ci/run installs it with apt-get';

// Marked identifiers: surnames no page could hold by chance, and the national numbers and birth dates.
const people = makePeople(60, 11).map((p, i) => ({ ...p, surname: `Qzsentinel${String.fromCharCode(97 + (i % 26))}x` }));
const MARKED = [...new Set(people.flatMap((p) => [p.insz, punctuated(p.insz), p.surname, p.birthDate]))];

interface Visit { page: Page; name: string }
type Test = Pick<typeof t, 'same'>;

async function check(t: Test, { page, name }: Visit): Promise<void> {
  await page.locator('.page-heading, .signin h2').first().waitFor();
  const html = await page.content();
  const text = await page.locator('body').innerText();
  t.same(MARKED.filter((m) => html.includes(m) || text.includes(m)), [], `${name}: no marked identifier in the page`);
  const violations = await seriousViolations(page);
  t.same(violations, [], `${name}: no serious or critical accessibility violation`);
  await screenshot(page, name);
}

async function signIn(context: BrowserContext, base: string, token: string, hash = ''): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/console/${hash}`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.page-heading').waitFor();
  return page;
}

t.test('the demo story through the console, as supplier, two operators and researcher', { skip: chromiumPath === null ? NO_BROWSER : false }, async (t) => {
  if (chromiumPath === null) return;
  buildConsole();
  // Workers, as an operator's server runs: an inline job or build would hold the pages' requests.
  const server: TestServer = await startTestServer(t, { jobWorkers: 1 });
  const browser = await launch(chromiumPath);
  t.teardown(() => browser.close());
  const token = (principal: string) => server.runtime.store.createToken(principal, 'test').token;
  const olivia = server.client('operator:olivia');
  const errors: string[] = [];
  const context = async (locale = 'en-GB', viewport = { width: 1280, height: 800 }) => {
    const c = await browser.newContext({ locale, viewport, acceptDownloads: true });
    c.on('page', (p) => p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); }));
    return c;
  };

  // The static assets: no token needed, a strict CSP on every answer.
  const res = await fetch(`${server.base}/console/`);
  t.equal(res.status, 200, '/console/ answers without a token');
  t.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self';.*object-src 'none'; base-uri 'none';.*frame-ancestors 'none'/, 'with a strict CSP');
  t.notMatch(await res.text(), /<script>|style=|unsafe-inline/, 'and no inline script or style');

  await olivia.request('POST', '/v1/datasets', { json: testDatasetSchema('rsz_set', 'rsz') });
  await server.client('supplier:rsz').request('PUT', '/v1/datasets/rsz_set/deliveries/2024Q1', { body: csvFor(people.slice(0, 45)), headers: { 'content-type': 'text/csv' } });

  await t.test('an operator registers a dataset from the form, which shows the API\'s refusal first', async (t) => {
    const page = await signIn(await context(), server.base, token('operator:olivia'), '#/datasets');
    const form = page.locator('form.register');
    await form.getByLabel('Name', { exact: true }).fill('vdab_set');
    await form.getByLabel('Supplier').fill('vdab');
    const columns = testDatasetSchema('vdab_set', 'vdab').columns;
    await form.getByLabel('Columns').fill(JSON.stringify([...columns, { name: 'extra', role: 'no_such_role' }]));
    await form.getByRole('button', { name: 'Register' }).click();
    await t.resolves(form.getByRole('alert').filter({ hasText: 'KOPPEL_ERR_' }).waitFor(), 'a refused schema shows the coded error');
    await form.getByLabel('Columns').fill(JSON.stringify(columns));
    await form.getByRole('button', { name: 'Register' }).click();
    await page.locator('table').filter({ hasText: 'vdab_set' }).waitFor();
    t.match(await page.locator('table').innerText(), /vdab_set\s+vdab\s+quarterly/, 'the new dataset is listed');
    await check(t, { page, name: 'operator-datasets' });
  });

  let deliveryId = '';
  await t.test('a supplier uploads a delivery through the page and reads its quality report', async (t) => {
    const page = await signIn(await context(), server.base, token('supplier:vdab'));
    t.equal(await page.locator('.page-heading').innerText(), 'My datasets', 'the supplier lands on its datasets');
    await check(t, { page, name: 'supplier-datasets' });
    // Keyboard only: focus lands on the page heading; the navigation is a Shift+Tab away.
    const focused = () => page.evaluate('document.activeElement.textContent') as Promise<string>;
    t.equal(await focused(), 'My datasets', 'after sign-in, focus is on the page heading');
    await page.keyboard.press('Shift+Tab');
    t.equal(await focused(), 'My deliveries', 'Shift+Tab reaches the navigation');
    await page.keyboard.press('Enter');
    await page.locator('.page-heading').filter({ hasText: 'My deliveries' }).waitFor();
    t.equal(await focused(), 'My deliveries', 'Enter opens that page and focuses its heading');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator('.page-heading').filter({ hasText: 'My datasets' }).waitFor();
    await page.getByLabel('Period', { exact: true }).fill('2024Q1');
    const wrong = people.slice(0, 3).map((p) => `${p.insz},${p.surname}`).join('\n');
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'wrong.csv', mimeType: 'text/csv', buffer: Buffer.from(`insz,familienaam\n${wrong}\n`) });
    await page.getByRole('button', { name: 'Upload' }).click();
    const refusal = page.locator('.upload-status [role=alert]');
    await refusal.waitFor();
    t.match(await refusal.innerText(), /KOPPEL_ERR_INGEST_HEADER/, 'a refused upload shows the coded reason');
    await check(t, { page, name: 'supplier-upload-refused' });
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'vdab-2024Q1.csv', mimeType: 'text/csv', buffer: Buffer.from(csvFor(people)) });
    await page.getByRole('button', { name: 'Upload' }).click();
    const done = page.locator('.notice.ok');
    await done.waitFor();
    t.match(await done.innerText(), /period 2024Q1, version 1, 60 rows kept/, 'the upload reports the delivery');
    t.equal(await page.locator('progress').getAttribute('value'), '100', 'the progress bar reached the end');
    await check(t, { page, name: 'supplier-upload-done' });
    await done.getByRole('link').click();
    await page.locator('.card h3').filter({ hasText: 'Delivery dlv_' }).waitFor();
    deliveryId = (await page.locator('.card h3').first().innerText()).replace('Delivery ', '');
    t.match(await page.locator('dl.facts').first().innerText(), /vdab_set[\s\S]*2024Q1[\s\S]*current/, 'the delivery page names dataset, period and status');
    t.match(await page.locator('.quality').innerText(), /Rows read\s+60/, 'with its quality report');
    t.match(await page.locator('table').last().innerText(), /vdab_set\s+2024Q1/, 'and the expected deliveries with timeliness');
    await check(t, { page, name: 'supplier-deliveries' });
  });
  t.match(deliveryId, /^dlv_/, 'the upload made a delivery');

  let releaseId = '';
  await t.test('an operator runs the job, watches it, reads the report and builds a release', async (t) => {
    const page = await signIn(await context(), server.base, token('operator:olivia'));
    t.equal(await page.locator('.page-heading').innerText(), 'Deliveries', 'the operator lands on the delivery calendar');
    t.match(await page.locator('table.calendar').innerText(), /rsz_set[\s\S]*vdab_set/, 'the calendar lists both datasets');
    await check(t, { page, name: 'operator-calendar' });
    await page.getByRole('link', { name: 'Projects' }).click();
    const form = page.locator('form.register');
    await form.getByLabel('Title').fill('Werk na opleiding');
    await form.getByLabel('Purpose').fill('Labour-market outcomes after training');
    await form.getByLabel('Legal basis').fill('IVC 22/123');
    await form.getByLabel('Valid from').fill('2020-01-01');
    await form.getByLabel('Valid to').fill('2099-12-31');
    await form.getByLabel('Researchers').fill('an');
    await form.getByLabel('Approved variables').fill(JSON.stringify({ vdab_set: ['birth_year', 'sex'], rsz_set: ['loon_cent'] }));
    await form.getByLabel('Key variables').fill('birth_year, sex');
    await form.getByLabel('k', { exact: true }).fill('3');
    await form.getByRole('button', { name: 'Register' }).click();
    t.match(await form.getByRole('alert').innerText(), /researcher:<name>/, 'the form refuses a researcher the API would refuse, before sending');
    await form.getByLabel('Researchers').fill('researcher:an');
    await form.getByRole('button', { name: 'Register' }).click();
    await page.locator('.card h3').filter({ hasText: 'Werk na opleiding' }).waitFor();
    t.match(await page.locator('.card').first().innerText(), /researcher:an[\s\S]*vdab_set: birth_year, sex/, 'the registered project is shown');
    await check(t, { page, name: 'operator-projects' });
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('button', { name: 'Run the job' }).click();
    await page.locator('.job-live').waitFor();
    t.match(await page.locator('.job-live').innerText(), /Status\s+(queued|running|succeeded)/, 'the job page shows the job\'s status at once');
    await page.locator('.job-live .badge').filter({ hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    t.match(await page.locator('.job-live').innerText(), /Progress\s+done/, 'progress reaches done');
    await page.locator('svg.chart').first().waitFor();
    t.ok(await page.locator('svg.chart').count() >= 3, 'the linkage report draws its charts');
    t.match(await page.locator('.job-detail').innerText(), /Persons\s+\d+/, 'and gives its figures');
    await check(t, { page, name: 'operator-job' });
    await page.getByRole('button', { name: 'Build a release' }).click();
    await page.locator('.release-detail').waitFor();
    releaseId = new URL(page.url()).hash.replace('#/releases?id=', '');
    t.match(await page.locator('.four-eyes').innerText(), /another operator must approve/, 'the builder is told a second operator must approve');
    t.equal(await page.getByRole('button', { name: 'Approve this release' }).count(), 0, 'and is offered no approve button');
    t.match(await page.locator('.release-detail').innerText(), /Disclosure control[\s\S]*k \(minimum group size\)\s+3/, 'the disclosure-control report is shown before approval');
    await check(t, { page, name: 'operator-release-draft' });
  });
  t.match(releaseId, /^rel_/, 'a release was built');

  await t.test('a second operator approves it, four-eyes shown', async (t) => {
    const page = await signIn(await context(), server.base, token('operator:omar'), `#/releases?id=${releaseId}`);
    t.match(await page.locator('.approve').innerText(), /operator:olivia built this release/, 'the approver sees who built it');
    await check(t, { page, name: 'operator-release-review' });
    await page.getByRole('button', { name: 'Approve this release' }).click();
    await page.locator('.notice.ok').filter({ hasText: 'Four-eyes' }).waitFor();
    t.match(await page.locator('.notice.ok').innerText(), /built by operator:olivia, approved by operator:omar/, 'builder and approver are both shown');
    await check(t, { page, name: 'operator-release-approved' });
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.locator('.badge').filter({ hasText: 'verified' }).waitFor();
    t.match(await page.locator('table').innerText(), /release\.approve/, 'the audit trail lists the approval');
    await check(t, { page, name: 'operator-audit' });
  });

  await t.test('the researcher downloads the release and reads its quality', async (t) => {
    const researcher = server.runtime.store.createToken('researcher:an', 'test');
    const page = await signIn(await context(), server.base, researcher.token);
    t.match(await page.locator('main').innerText(), /Werk na opleiding[\s\S]*IVC 22\/123/, 'my projects lists the project');
    await check(t, { page, name: 'researcher-projects' });
    await page.getByRole('link', { name: 'My releases' }).click();
    await page.locator('.card h3').filter({ hasText: releaseId }).waitFor();
    t.match(await page.locator('main').innerText(), /Approved by\s+operator:omar/, 'the release shows its approver');
    await check(t, { page, name: 'researcher-releases' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV persons.csv' }).click()]);
    t.equal(download.suggestedFilename(), 'persons.csv', 'the CSV download is named');
    const csv = readFileSync((await download.path())!, 'utf8');
    t.match(csv.split('\n')[0], /^pseudonym,/, 'and holds the released persons');
    t.same(MARKED.filter((m) => csv.includes(m)), [], 'with no marked identifier');
    const [arrow] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'ARROW persons.arrow' }).click()]);
    t.equal(readFileSync((await arrow.path())!).subarray(0, 6).toString(), 'ARROW1', 'the Arrow download is an Arrow IPC file');

    server.runtime.store.revokeToken(researcher.tokenId);
    await page.getByRole('link', { name: 'My projects' }).click();
    await page.locator('.signin').waitFor();
    t.match(await page.locator('.signin [role=alert]').innerText(), /no longer accepted/, 'a revoked token brings the user back to sign-in');
    t.equal(await page.evaluate('sessionStorage.getItem("koppel.token")'), null, 'and forgets it');
    await check(t, { page, name: 'signin-expired' });
  });

  await t.test('the console speaks the browser\'s language, switches and remembers', async (t) => {
    const fr = await (await context('fr-BE')).newPage();
    await fr.goto(`${server.base}/console/`);
    t.equal(await fr.locator('.signin h2').innerText(), 'Connexion', 'a French browser gets French');
    const page = await signIn(await context('en-GB', { width: 400, height: 800 }), server.base, token('operator:olivia'), '#/jobs');
    await page.getByLabel('Language').selectOption('nl');
    await page.locator('.page-heading').filter({ hasText: 'Koppelingen' }).waitFor();
    t.ok(await page.getByRole('link', { name: 'Audittrail' }).isVisible(), 'the navigation is in Dutch');
    t.match(await page.locator('table').last().innerText(), /geslaagd/, 'statuses too');
    await page.reload();
    await page.locator('.page-heading').waitFor();
    t.equal(await page.locator('.page-heading').innerText(), 'Koppelingen', 'the choice is remembered');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number;
    t.ok(overflow <= 0, `no sideways scrolling at 400 px (${overflow} px over)`);
    await check(t, { page, name: 'operator-jobs-nl-narrow' });
  });

  // Refusals the story provokes (a bad schema, a revoked token) are logged by Chromium as failed loads.
  t.same(errors.filter((e) => !/^Failed to load resource: the server responded with a status of 4[0-9][0-9]/.test(e)), [], 'no script error or CSP violation in any page');
});
