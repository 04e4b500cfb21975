/**
 * The server's timeliness check against a real store and a webhook receiver on 127.0.0.1, with
 * "today" fixed by the context's clock.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { openRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import type { PipelineContext } from '../../src/pipeline/context.js';
import { checkTimeliness, watchTimeliness } from '../../src/pipeline/timeliness-watch.js';
import { initKey } from '../../src/store/index.js';
import { startWebhookReceiver } from '../fixtures/webhook-receiver.js';

const fast = { attempts: 3, firstDelayMs: 10, maxDelayMs: 40, timeoutMs: 2000 };

interface Setup { runtime: Runtime; logFile: string; at(day: string): PipelineContext }

function setup(t: { teardown(fn: () => unknown): void }, webhook: string): Setup {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-timeliness-'));
  const logFile = path.join(dir, 'server.log');
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime(
    { dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'info', timelinessWebhook: webhook, timelinessCheckIntervalMs: 1000 },
    { env: {}, logDestination: pino.destination({ dest: logFile, sync: true }) },
  );
  t.teardown(() => { runtime.close(); rmSync(dir, { recursive: true, force: true }); });
  // 2025Q1 is due 45 days after 2025-03-31: on 2025-05-15.
  runtime.store.createDataset({
    name: 'vdab_set', supplier: 'vdab', schedule: 'quarterly', due_days: 45, expected_from: '2025Q1', columns: [{ name: 'insz', role: 'national_id' }],
  }, 'operator:o');
  return { runtime, logFile, at: (day) => ({ ...runtime.ctx, clock: () => new Date(`${day}T12:00:00Z`) }) };
}

const lateLines = (logFile: string) => readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"delivery late"')).map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('a delivery that becomes overdue is logged once and posted once, with only dataset, period, status and days late', async (t) => {
  const hook = await startWebhookReceiver(t);
  const { logFile, at } = setup(t, hook.url);
  t.same(await checkTimeliness(at('2025-05-15'), fast), { announced: 0, posted: 0, failed: 0 }, 'nothing is late on the due day');
  hook.answer(500);
  t.same(await checkTimeliness(at('2025-05-20'), fast), { announced: 1, posted: 1, failed: 0 });
  t.equal(hook.received.length, 2, 'one retry after the 500');
  t.same(hook.received[1].body, { dataset: 'vdab_set', period: '2025Q1', status: 'missing', days_late: 5 });
  t.same(await checkTimeliness(at('2025-05-21'), fast), { announced: 0, posted: 0, failed: 0 }, 'the next check repeats nothing');
  t.equal(hook.received.length, 2);
  const lines = lateLines(logFile);
  t.equal(lines.length, 1, 'logged once');
  t.match(lines[0], { level: 40, dataset: 'vdab_set', period: '2025Q1', status: 'missing', days_late: 5, supplier: 'vdab' });
});

t.test('a post that fails after every retry is logged and tried again at the next check', async (t) => {
  const hook = await startWebhookReceiver(t);
  const { logFile, at } = setup(t, hook.url);
  hook.answer(500, 502, 503);
  t.same(await checkTimeliness(at('2025-06-01'), fast), { announced: 1, posted: 0, failed: 1 });
  t.equal(hook.received.length, 3, 'bounded: three attempts');
  const failure = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('timeliness webhook failed'));
  t.ok(failure, 'the failure is logged');
  t.notMatch(failure ?? '', /127\.0\.0\.1/, 'without the webhook URL');
  t.same(await checkTimeliness(at('2025-06-02'), fast), { announced: 0, posted: 1, failed: 0 });
  t.same(hook.received[3].body, { dataset: 'vdab_set', period: '2025Q1', status: 'missing', days_late: 17 }, 'the days late as first announced');
});

t.test('without a webhook the check only logs', async (t) => {
  const { logFile, at } = setup(t, '');
  t.same(await checkTimeliness(at('2025-09-01'), fast), { announced: 2, posted: 0, failed: 0 }, '2025Q1 and 2025Q2 (due 2025-08-14) are overdue');
  t.same(lateLines(logFile).map((l) => l.period), ['2025Q1', '2025Q2']);
});

t.test('the watch checks once at start and stops cleanly', async (t) => {
  const hook = await startWebhookReceiver(t);
  const { at } = setup(t, hook.url);
  const watch = watchTimeliness(at('2025-05-20'), fast);
  for (let i = 0; i < 100 && hook.received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  await watch.stop();
  t.same(hook.received.map((r) => r.body), [{ dataset: 'vdab_set', period: '2025Q1', status: 'missing', days_late: 5 }]);
});
