import t from 'tap';
import { postWithRetries } from '../../../src/pipeline/webhook.js';
import { startWebhookReceiver } from '../../fixtures/webhook-receiver.js';

const fast = { attempts: 4, firstDelayMs: 20, maxDelayMs: 50, timeoutMs: 2000 };

t.test('a failed post is retried with exponential backoff until it is accepted', async (t) => {
  const hook = await startWebhookReceiver(t);
  hook.answer(500, 503);
  const outcome = await postWithRetries(hook.url, { dataset: 'a_set', period: '2024Q1', status: 'late', days_late: 3 }, fast);
  t.same(outcome, { ok: true, attempts: 3, status: 200 });
  t.equal(hook.received.length, 3);
  t.same(hook.received[2].body, { dataset: 'a_set', period: '2024Q1', status: 'late', days_late: 3 });
  t.equal(hook.received[0].contentType, 'application/json');
  const gaps = [hook.received[1].at - hook.received[0].at, hook.received[2].at - hook.received[1].at];
  t.ok(gaps[0] >= 18 && gaps[1] >= 38, `the wait doubles (${gaps.map(Math.round).join(', ')} ms)`);
});

t.test('retries are bounded: the last status is reported after the last attempt', async (t) => {
  const hook = await startWebhookReceiver(t);
  hook.answer(500, 500, 500, 500, 500);
  const started = performance.now();
  const outcome = await postWithRetries(hook.url, { status: 'missing' }, fast);
  t.same(outcome, { ok: false, attempts: 4, status: 500 });
  t.equal(hook.received.length, 4, 'no fifth try');
  t.ok(performance.now() - started >= 20 + 40 + 50 - 6, 'waits capped at maxDelayMs: 20, 40, 50 ms');
});

t.test('an unreachable receiver fails without a status; an abort stops the retries at once', async (t) => {
  const hook = await startWebhookReceiver(t);
  const closedPort = new URL(hook.url);
  closedPort.port = '1';
  t.same(await postWithRetries(closedPort.href, {}, { ...fast, attempts: 2 }), { ok: false, attempts: 2, status: null });
  hook.answer(500, 500, 500, 500);
  const abort = new AbortController();
  // Abort during the first wait (10 s): the call returns at once, without a second try.
  setTimeout(() => abort.abort(), 300);
  const started = performance.now();
  const outcome = await postWithRetries(hook.url, {}, { ...fast, firstDelayMs: 10_000 }, abort.signal);
  t.same(outcome, { ok: false, attempts: 1, status: 500 });
  t.ok(performance.now() - started < 5000, 'the wait was cut short');
  t.equal(hook.received.length, 1, 'no retry after the abort');
});
