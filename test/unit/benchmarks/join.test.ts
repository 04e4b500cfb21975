import t from 'tap';
import { joinBenchmark } from '../../../benchmarks/join.js';
import { timeAsyncMediansInterleaved } from '../../../benchmarks/harness.js';

const KEYS = ['bench', 'metric', 'value', 'unit', 'peer', 'peer_value', 'ratio'];

t.test('times round-robin, runs setup before each run, and drops the warm-up rounds', async (t) => {
  const calls: string[] = [];
  const ms = await timeAsyncMediansInterleaved({
    a: { setup: () => { calls.push('setup a'); }, run: async () => { calls.push('a'); } },
    b: { run: () => { calls.push('b'); } },
  }, { runs: 5, warmup: 2 });
  t.same(calls.slice(0, 5), ['setup a', 'a', 'b', 'setup a', 'a'], 'each round runs every competitor in order, setup first');
  t.equal(calls.filter((c) => c === 'a').length, 7, '2 warm-up + 5 timed rounds');
  t.equal(calls.filter((c) => c === 'setup a').length, 7, 'setup before every run');
  t.same(Object.keys(ms), ['a', 'b']);
});

t.test('reports Koppel\'s deterministic pass against both DuckDB forms and the Map, after checking every match', async (t) => {
  const results = await joinBenchmark().run({ n: 3000, runs: 5, warmup: 0 });
  t.same(results.map((r) => `${r.metric} ${r.unit} ${r.peer}`), [
    'pseudonym_join M rows/s DuckDB 2 threads, full 32-byte key',
    'pseudonym_join M rows/s DuckDB 2 threads, 8-byte prefix',
    'pseudonym_join M rows/s JS Map of hex strings',
    'pseudonym_join s DuckDB 2 threads, full 32-byte key',
    'pseudonym_join s DuckDB 2 threads, 8-byte prefix',
    'pseudonym_join s JS Map of hex strings',
  ]);
  for (const r of results) {
    t.same(Object.keys(r).sort(), [...KEYS].sort());
    t.ok(r.value > 0 && (r.peer_value ?? 0) > 0 && (r.ratio ?? 0) > 0);
  }
});

t.test('above the Map cap, runs the Map beside Koppel at the cap and names that n', async (t) => {
  const results = await joinBenchmark({ mapMaxN: 1000 }).run({ n: 2500, runs: 5, warmup: 0 });
  const map = results.filter((r) => r.peer === 'JS Map of hex strings');
  t.same(map.map((r) => r.metric), ['pseudonym_join_at_1000', 'pseudonym_join_at_1000']);
  t.equal(results.filter((r) => r.metric === 'pseudonym_join').length, 4, 'DuckDB rows at the full n');
});
