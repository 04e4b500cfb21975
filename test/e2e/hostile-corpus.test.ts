/**
 * The hostile corpus (fixtures/hostile/corpus.ts) through the HTTP API: every body answered with
 * its documented code, never a 5xx, nothing stored; and GET /health keeps answering within
 * 100 ms (p99) while the corpus runs.
 */
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer } from '../fixtures/server.js';
import { testDatasetSchema } from '../fixtures/synthetic.js';
import { CORPUS_LIMITS, CSV, hostileCorpus, validCsv } from '../fixtures/hostile/corpus.js';

t.test('every hostile body gets its coded refusal, no 5xx, and /health answers throughout', async (t) => {
  const corpus = hostileCorpus();
  t.ok(corpus.length >= 40, `${corpus.length} bodies`);
  const server = await startTestServer(t, { ...CORPUS_LIMITS, maxEventLoopDelayMs: 30_000 });
  const operator = server.runtime.store.createToken('operator:olivia', 'test').token;
  // under-pressure answers 503 until its first sample of the event loop.
  for (let tries = 0; ; tries++) {
    const res = await fetch(`${server.base}/v1/datasets`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify(testDatasetSchema('hostile_set', 'acme')) });
    if (res.status === 201) break;
    if (res.status !== 503 || tries > 50) throw new Error(`registering the dataset answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = server.runtime.store.createToken('supplier:acme', 'test').token;

  const latencies: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      const res = await fetch(`${server.base}/health`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  const slowest: { name: string; ms: number }[] = [];
  for (const c of corpus) {
    const before = latencies.length;
    const res = await fetch(`${server.base}/v1/datasets/hostile_set/deliveries/2024Q1${c.query ?? ''}`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, ...c.headers }, body: c.body,
    }).catch((err: unknown) => ({ status: 0, text: async () => `{"code":"client: ${String(err)}"}` }));
    const body = await res.text();
    const code = (JSON.parse(body) as { code?: string }).code;
    t.ok(res.status > 0 && res.status < 500, `${c.name}: no 5xx (${res.status})`);
    t.equal(code, c.code, `${c.name}: ${c.code}`);
    t.equal(res.status, c.status, `${c.name}: ${c.status}`);
    slowest.push({ name: c.name, ms: Math.max(0, ...latencies.slice(before)) });
  }
  probing = false;
  await prober;

  latencies.sort((x, y) => x - y);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
  t.comment(`/health during the corpus: ${latencies.length} probes, p50 ${latencies[latencies.length >> 1].toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`);
  t.comment(`slowest probes during: ${slowest.sort((x, y) => y.ms - x.ms).slice(0, 4).map((x) => `${x.name} ${x.ms.toFixed(0)} ms`).join('; ')}`);
  // A wall-clock bound means nothing on an oversubscribed machine (the shared CI box runs at a
  // load of 20 on 2 cores): there the figure is reported, not asserted.
  const loadPerCore = os.loadavg()[0] / os.cpus().length;
  if (loadPerCore <= 2) t.ok(p99 <= 100, `/health p99 within 100 ms (${p99.toFixed(1)} ms)`);
  else t.pass(`/health p99 within 100 ms: not asserted at a load of ${loadPerCore.toFixed(1)} per core (${p99.toFixed(1)} ms)`, { todo: true });

  const deliveries = path.join(server.dataDir, 'deliveries');
  t.same(existsSync(deliveries) ? readdirSync(deliveries) : [], [], 'nothing stored');
  const ok = await fetch(`${server.base}/v1/datasets/hostile_set/deliveries/2024Q1`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, ...CSV }, body: validCsv(30) });
  t.equal(ok.status, 201, 'a good upload is stored afterwards');
});
