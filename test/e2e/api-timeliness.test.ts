/**
 * GET /v1/timeliness through the HTTP API, with "today" fixed by the context's clock. Uploads
 * are stamped with the real time, so the due rules are set relative to the real day: a delivery
 * made today against a due day 4 days ago is late by 4.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildApp } from '../../src/server/app.js';
import { openRuntime } from '../../src/pipeline/runtime.js';
import { dayOf, isoDay, periodContaining, periodEndDay } from '../../src/pipeline/periods.js';
import { initKey } from '../../src/store/index.js';
import { ApiClient, ApiError } from '../../src/cli/api-client.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';

const DAY_MS = 86_400_000;

async function start(t: { teardown(fn: () => unknown): void }, today: Date) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-timeliness-api-'));
  initKey(path.join(dir, 'keys'));
  // A busy test machine lags: the load guard is not what is tested here.
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent', maxEventLoopDelayMs: 60_000 }, { env: {} });
  const app = await buildApp({ ...runtime.ctx, clock: () => today });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  // Until the load guard has sampled the event loop once, under-pressure reads its delay as
  // infinite and answers 503: wait for /health on a busy machine.
  for (let i = 0; i < 200 && (await fetch(`${base}/health`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
  t.teardown(async () => {
    await app.close();
    runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return (principal: string) => new ApiClient(base, runtime.store.createToken(principal, 'test').token);
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const err = await promise.then(() => null, (e: unknown) => e);
  if (!(err instanceof ApiError)) throw new Error('expected an API error');
  return { status: err.status, code: err.code };
}

interface Entry { dataset: string; period: string; status: string; days_late: number | null; due_date: string; delivered_on: string | null; rejected_uploads: number }
interface View { today: string; entries: Entry[]; datasets: { dataset: string; counts: Record<string, number>; worst_days_late: number | null }[]; suppliers: { supplier: string }[] }

const find = (view: View, ds: string, period: string) => view.entries.find((e) => e.dataset === ds && e.period === period);

t.test('the timeliness view reports late by days, missing, rejected and declared empty, to operators and to the owning supplier', async (t) => {
  const realToday = dayOf(new Date());
  // "today" for the view: ten days from now.
  const client = await start(t, new Date((realToday + 10) * DAY_MS + 12 * 3_600_000));
  const operator = client('operator:olivia');
  const vdab = client('supplier:vdab');
  const rsz = client('supplier:rsz');

  // vdab: monthly; its first expected month was due 4 days ago.
  const p0 = periodContaining(realToday - 100, 'monthly');
  const dueDays = realToday - 4 - periodEndDay(p0);
  const { body: registered } = await operator.request<{ schema: { due_days: number; expected_from: string } }>('POST', '/v1/datasets', {
    json: { ...testDatasetSchema('vdab_set', 'vdab'), schedule: 'monthly', due_days: dueDays, expected_from: p0 },
  });
  t.same([registered.schema.due_days, registered.schema.expected_from], [dueDays, p0], 'the due rule is stored with the schema');
  // rsz: quarterly, due on the quarter's last day; its first quarter has long passed.
  const q0 = periodContaining(realToday - 200, 'quarterly');
  await operator.request('POST', '/v1/datasets', { json: { ...testDatasetSchema('rsz_set', 'rsz'), due_days: 0, expected_from: q0 } });
  t.same(await refusal(operator.request('POST', '/v1/datasets', { json: { ...testDatasetSchema('x_set', 'rsz'), schedule: 'adhoc', due_days: 3 } })),
    { status: 400, code: 'KOPPEL_ERR_SCHEMA_INVALID' }, 'an adhoc dataset takes no due rule');

  const people = makePeople(30, 3);
  await vdab.request('PUT', `/v1/datasets/vdab_set/deliveries/${p0}`, { body: csvFor(people), headers: { 'content-type': 'text/csv' } });
  const p1 = periodContaining(periodEndDay(p0) + 1, 'monthly');
  t.same(await refusal(vdab.request('PUT', `/v1/datasets/vdab_set/deliveries/${p1}`, { body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } })),
    { status: 422, code: 'KOPPEL_ERR_INGEST_HEADER' }, 'an upload with the wrong header is refused');

  // rsz declares its second quarter empty on purpose: a header and no rows, with ?empty=true.
  const q1 = periodContaining(periodEndDay(q0) + 1, 'quarterly');
  const header = csvFor(people).split('\n')[0];
  t.same(await refusal(rsz.request('PUT', `/v1/datasets/rsz_set/deliveries/${q1}`, { body: `${header}\n`, headers: { 'content-type': 'text/csv' } })),
    { status: 400, code: 'KOPPEL_ERR_INGEST_EMPTY' }, 'a header-only upload is refused unless declared empty');
  await rsz.request('PUT', `/v1/datasets/rsz_set/deliveries/${q1}?empty=true`, { body: `${header}\n`, headers: { 'content-type': 'text/csv' } });

  const { body: all } = await operator.request<View>('GET', '/v1/timeliness');
  t.match(find(all, 'rsz_set', q1), { status: 'declared_empty' }, 'an empty-on-purpose delivery is reported as such');
  t.equal(all.today, isoDay(realToday + 10), 'today comes from the injected clock');
  t.match(find(all, 'vdab_set', p0), { status: 'late', days_late: 4, due_date: isoDay(realToday - 4), delivered_on: isoDay(realToday) });
  t.match(find(all, 'vdab_set', p1), { status: 'rejected', rejected_uploads: 1, days_late: null }, 'a refused upload is recorded for its period');
  t.match(find(all, 'rsz_set', q0), { status: 'missing', days_late: realToday + 10 - periodEndDay(q0) });
  t.same(all.suppliers.map((s) => s.supplier), ['rsz', 'vdab']);
  t.match(all.datasets.find((d) => d.dataset === 'vdab_set'), { counts: { late: 1, rejected: 1 }, worst_days_late: 4 });

  const { body: own } = await vdab.request<View>('GET', '/v1/timeliness');
  t.same([...new Set(own.entries.map((e) => e.dataset))], ['vdab_set'], 'a supplier sees its own datasets only');
  t.same(await refusal(vdab.request('GET', '/v1/timeliness?dataset=rsz_set')), { status: 404, code: 'KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET' }, 'another supplier\'s dataset is as unknown');
  t.same(await refusal(vdab.request('GET', '/v1/timeliness?dataset=no_set')), { status: 404, code: 'KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET' });
  t.same((await rsz.request<View>('GET', '/v1/timeliness?dataset=rsz_set')).body.entries.map((e) => e.dataset).every((d) => d === 'rsz_set'), true);

  const { body: window } = await operator.request<View>('GET', `/v1/timeliness?dataset=vdab_set&from=${p1}&to=${p1}`);
  t.same(window.entries.map((e) => e.period), [p1], 'from and to select the periods');
  t.same(await refusal(operator.request('GET', '/v1/timeliness?from=2024Q5')), { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PERIOD' });
  t.same(await refusal(operator.request('GET', '/v1/timeliness?from=2025&to=2024')), { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PERIOD' });
  t.same(await refusal(operator.request('GET', '/v1/timeliness?colour=red')), { status: 400, code: 'KOPPEL_ERR_API_BAD_REQUEST' });
});

t.test('researchers and callers without a token may not read timeliness; the route is documented', async (t) => {
  const client = await start(t, new Date());
  t.same(await refusal(client('researcher:an').request('GET', '/v1/timeliness')), { status: 403, code: 'KOPPEL_ERR_AUTH_FORBIDDEN' });
  t.same(await refusal(new ApiClient(client('operator:o').baseUrl, 'nonsense').request('GET', '/v1/timeliness')), { status: 401, code: 'KOPPEL_ERR_AUTH_INVALID_TOKEN' });
  const doc = await (await fetch(`${client('operator:o').baseUrl}/docs/json`)).json() as { paths: Record<string, { get?: { summary?: string } }> };
  t.match(doc.paths['/v1/timeliness']?.get?.summary, /timeliness/i);
});
