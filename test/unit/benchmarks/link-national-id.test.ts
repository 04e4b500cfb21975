import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { checkLinks, linkNationalIdBenchmark, linkedRows } from '../../../benchmarks/link-national-id.js';
import type { NationalIdCsv } from '../../../benchmarks/data/national-id-csv.js';

t.test('times Koppel against the DuckDB job and reports it in the harness format, after checking every link', async (t) => {
  const results = await linkNationalIdBenchmark().run({ n: 3000, runs: 5, warmup: 0 });
  const time = results.find((r) => r.metric === 'link_3000x3000');
  t.ok(time !== undefined);
  t.equal(time!.unit, 's');
  t.match(time!.peer, /^DuckDB 2 threads/);
  t.ok(time!.value > 0 && (time!.peer_value ?? 0) > 0 && (time!.ratio ?? 0) > 0);
  for (const r of results) t.same(Object.keys(r).sort(), ['bench', 'metric', 'peer', 'peer_value', 'ratio', 'unit', 'value']);
});

t.test('a wrong, missing or extra link fails the check', async (t) => {
  const dir = t.testdir();
  const truth: NationalIdCsv = { rows: 3, rightOfLeft: Int32Array.of(1, -1, 0), links: 2, invalid: { a: 0, b: 0 } };
  const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  checkLinks('ok', linkedRows(file('ok.csv', 'left_id,right_id\nA1,B2\nA3,B1\n'), 3), truth);
  checkLinks('koppel layout', linkedRows(file('k.csv', 'left_source,left_id,right_source,right_id,match_probability,match_weight,method\na,A3,b,B1,1,,deterministic\na,A1,b,B2,1,,deterministic\n'), 3), truth);
  t.throws(() => checkLinks('wrong', linkedRows(file('w.csv', 'left_id,right_id\nA1,B3\nA3,B1\n'), 3), truth), /links row A1 wrongly/);
  t.throws(() => checkLinks('missing', linkedRows(file('m.csv', 'left_id,right_id\nA1,B2\n'), 3), truth), /found 1 links/);
  t.throws(() => checkLinks('extra', linkedRows(file('x.csv', 'left_id,right_id\nA1,B2\nA3,B1\nA2,B3\n'), 3), truth), /found 3 links/);
  t.throws(() => linkedRows(file('d.csv', 'left_id,right_id\nA1,B2\nA1,B3\n'), 3), /twice/);
});
