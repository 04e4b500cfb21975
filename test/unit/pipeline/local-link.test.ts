/**
 * `runLocalLink` end to end on small generated jobs, against the outputs the implementation
 * gave before the national-id fast path existed (dictionary encoding of every field, string
 * record ids, the probabilistic pass always run). The golden sha256 of links.csv and
 * clusters.csv were recorded from that implementation with the fixed key below; any change to
 * a byte of either file, for any of these jobs, fails here. For jobs with more fields than the
 * national number, report.json (without its timings) is pinned too: it differs from that
 * implementation's only by the added `probabilistic` section.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { runLocalLink } from '../../../src/pipeline/local-link.js';
import { writeNationalIdCsvs } from '../../../benchmarks/data/national-id-csv.js';
import { belgianCsv, generateBelgian, BELGIAN_JOB_FIELDS } from '../../../benchmarks/data/belgian.js';
import { seeded } from '../../../benchmarks/data/corruption.js';
import { inszCheckDigits } from '../../../src/ingest/insz.js';

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 0xff);

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

interface Outputs { links: string; clusters: string; report: Record<string, unknown> }

async function run(dir: string, job: object, workers = 0, name = 'out'): Promise<Outputs> {
  const config = join(dir, 'job.json');
  writeFileSync(config, JSON.stringify(job));
  const out = join(dir, name);
  await runLocalLink({ config, outDir: out, masterKey: MASTER, workers });
  return {
    links: sha(join(out, 'links.csv')),
    clusters: sha(join(out, 'clusters.csv')),
    report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Record<string, unknown>,
  };
}

/** A valid INSZ from a seeded draw (birth 1950-2009). */
function inszOf(rnd: () => number): string {
  const year = 1950 + Math.floor(rnd() * 60);
  const body = `${String(year % 100).padStart(2, '0')}${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}${String(1 + Math.floor(rnd() * 997)).padStart(3, '0')}`;
  return body + inszCheckDigits(body, year >= 2000);
}

const GOLDEN: Record<string, { links: string; clusters: string; report?: string }> = {
  'national ids only, two CSVs': { links: '88fa9d353add59553e0dec2489d9cc7afbb6baa31d4787dbaf1a902a4b77e55d', clusters: '404f618a85f5c2e8c4269ce64ac1a21c4f982e1a688c43b18befdd7fcfb674a8' },
  'national ids only, three sources, one non-unique, awkward ids, Arrow': { links: 'bde1915c1c2d0a58ae48e9688e30781717edc5f823541b1e6f381f889e1845da', clusters: '3d66447f5594f09f440ef9e02c5e01f3b719cb348a898d5b3fb23e57cc92675b' },
  'national ids only, deduplicated, with a placeholder number': { links: 'dc9dd3f2def4138333b9937617b17e1735fdd718227219076b35108e3d68275f', clusters: '086ef6b04b76172734fdbf2d51f84cc75f151af6fe0029b222b77f681eb567a1' },
  // Changed on purpose (probabilities only; the same links): m of different national numbers measured.
  'all fields, two sources': { links: '1080784f00ac96d3a02407803bc50bf133340fc3ef8b8cbc9d5f7dae35d1c67d', clusters: 'c461679b5cedb86d285a1907670e1fe6e3605c9c8fe9a42a425cf92f65df22de', report: '8b997cdf518e51139450b0a17ec7343a9e2b84604c0e3f60e7c61ae8797f82dc' },
  // Changed on purpose: m measured on the (more than 1000) deterministic links and held; m of
  // different national numbers measured.
  'all fields, three sources': { links: 'bba4332b6a45a6ccee71b3c63f9363a312435f194a0c88736f02c60c71e20f6f', clusters: '895846f0da1b3ca129c4b3e3fd26d2abd2ec95b766b7b569649688b199c5d17b', report: '4998d8b7116c481d5d34fdef62fffead360c7611d3808e661a005d5e6b3b4976' },
};

/** The report without its timings (which vary run to run): everything else must stay. */
function reportHash(report: Record<string, unknown>): string {
  const { timings_ms: _, ...rest } = report;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

function check(t: Test, name: string, got: Outputs): void {
  const report = reportHash(got.report);
  if (process.env.KOPPEL_PRINT_GOLDEN) process.stderr.write(`GOLDEN ${JSON.stringify(name)}: { links: '${got.links}', clusters: '${got.clusters}', report: '${report}' },\n`);
  t.equal(got.links, GOLDEN[name].links, `${name}: links.csv`);
  t.equal(got.clusters, GOLDEN[name].clusters, `${name}: clusters.csv`);
  if (GOLDEN[name].report !== undefined) t.equal(report, GOLDEN[name].report, `${name}: report.json apart from timings`);
}

t.test('a national-id-only job gives the same links and clusters as before', async (t) => {
  const dir = t.testdir();
  const truth = writeNationalIdCsvs({ rows: 3000, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 5 });
  const got = await run(dir, {
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id' }, { name: 'b', path: 'b.csv', id: 'record_id' }],
    fields: [{ name: 'insz', type: 'national_id' }],
  });
  check(t, 'national ids only, two CSVs', got);
  const links = got.report.links as { deterministic: number; probabilistic: number };
  t.equal(links.deterministic, truth.links, 'every true link, deterministic');
  t.equal(links.probabilistic, 0);
});

t.test('with only a national_id field the probabilistic pass is skipped and reported as such', async (t) => {
  const dir = t.testdir();
  writeNationalIdCsvs({ rows: 500, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 6 });
  const got = await run(dir, {
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id' }, { name: 'b', path: 'b.csv', id: 'record_id' }],
    fields: [{ name: 'insz', type: 'national_id' }],
  });
  const r = got.report as { probabilistic: unknown; model: { fields: unknown[]; u_sample_pairs: number }; blocking: { candidate_pairs: number }; timings_ms: Record<string, number> };
  t.same(r.probabilistic, { run: false, skipped_because: 'the job has no field besides the national number' });
  t.same(r.model.fields, [], 'no model is reported for a pass that did not run');
  t.equal(r.model.u_sample_pairs, 0, 'no random pairs drawn');
  t.equal(r.blocking.candidate_pairs, 0);
  t.notOk('blocking' in r.timings_ms || 'estimation' in r.timings_ms, 'no time spent in the skipped stages');
  t.match(readFileSync(join(dir, 'out', 'report.html'), 'utf8'), /Probabilistic pass<\/h2><p>Skipped: the job has no field besides the national number/);
});

t.test('three national-id sources (one non-unique, one Arrow, ids needing quotes) give the same outputs as before', async (t) => {
  const dir = t.testdir();
  const rnd = seeded(21);
  const people = Array.from({ length: 400 }, () => inszOf(rnd));
  const spell = (x: string) => (rnd() < 0.3 ? `${x.slice(0, 2)}.${x.slice(2, 4)}.${x.slice(4, 6)}-${x.slice(6, 9)}.${x.slice(9)}` : x);
  const awkward = ['"q""uote"', '"a,b"', ' padded ', 'plain'];
  const a: string[] = ['id,insz'];
  people.forEach((p, i) => { if (rnd() < 0.8) a.push(`${i % 25 === 0 ? awkward[i % 4] : `a${i}`},${rnd() < 0.03 ? '12345678901' : spell(p)}`); });
  writeFileSync(join(dir, 'a.csv'), `${a.join('\n')}\n`);
  // Non-unique wages: up to three rows per person, some people absent, some ids blank.
  const c: string[] = ['wid;nr'];
  let w = 0;
  for (const p of people) { const k = Math.floor(rnd() * 4); for (let j = 0; j < k; j++) c.push(`${rnd() < 0.01 ? '' : `w${w++}`};${rnd() < 0.05 ? '' : spell(p)}`); }
  writeFileSync(join(dir, 'c.csv'), `${c.join('\r\n')}\r\n`);
  const bIds: number[] = []; const bInsz: (string | null)[] = [];
  people.forEach((p, i) => { if (rnd() < 0.7) { bIds.push(1000 + i); bInsz.push(rnd() < 0.05 ? null : spell(p)); } });
  writeFileSync(join(dir, 'b.arrow'), tableToIPC(tableFromArrays({ rid: Int32Array.from(bIds), insz: bInsz }), 'file'));
  const got = await run(dir, {
    sources: [
      { name: 'a', path: 'a.csv', id: 'id' },
      { name: 'wages', path: 'c.csv', id: 'wid', unique: false, columns: { insz: 'nr' } },
      { name: 'b', path: 'b.arrow', id: 'rid' },
    ],
    fields: [{ name: 'insz', type: 'national_id' }],
  });
  check(t, 'national ids only, three sources, one non-unique, awkward ids, Arrow', got);
  // With worker threads: the sources after the first are read and encoded on workers, side by
  // side with the first; the outputs are the same.
  for (const workers of [1, 2]) {
    const threaded = await run(dir, JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as object, workers, `out-${workers}`);
    t.equal(threaded.links, got.links, `${workers} worker(s): same links.csv`);
    t.equal(threaded.clusters, got.clusters, `${workers} worker(s): same clusters.csv`);
    t.equal(reportHash(threaded.report), reportHash(got.report), `${workers} worker(s): same report`);
  }
});

t.test('a deduplicated national-id job with a placeholder number gives the same outputs as before', async (t) => {
  const dir = t.testdir();
  const rnd = seeded(33);
  const people = Array.from({ length: 600 }, () => inszOf(rnd));
  const placeholder = inszOf(rnd);
  const rows: string[] = ['record_id,insz'];
  let id = 0;
  for (const p of people) { const k = 1 + Math.floor(rnd() * 2.5); for (let j = 0; j < k; j++) rows.push(`${id++},${p}`); }
  for (let j = 0; j < 1100; j++) rows.push(`${id++},${placeholder}`);
  writeFileSync(join(dir, 'a.csv'), `${rows.join('\n')}\n`);
  const got = await run(dir, {
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id', unique: false }],
    fields: [{ name: 'insz', type: 'national_id' }],
    deduplicate: true,
  });
  check(t, 'national ids only, deduplicated, with a placeholder number', got);
  t.equal((got.report.deterministic as { oversized_groups: number }).oversized_groups, 1);
  // One source: the workers HMAC its national numbers batch by batch; the outputs are the same.
  const threaded = await run(dir, JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as object, 1, 'out-1');
  t.equal(threaded.links, got.links, 'with a worker: same links.csv');
  t.equal(threaded.clusters, got.clusters, 'with a worker: same clusters.csv');
});

t.test('jobs with every field type give the same outputs as before', async (t) => {
  for (const sources of [2, 3]) {
    const dir = t.testdir();
    const data = generateBelgian({ people: 1200, seed: 17 + sources, sources });
    for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
    const got = await run(dir, {
      sources: data.sources.map((s) => ({ name: s.name, path: `${s.name}.csv`, id: 'record_id' })),
      fields: BELGIAN_JOB_FIELDS,
    });
    check(t, sources === 2 ? 'all fields, two sources' : 'all fields, three sources', got);
  }
});

t.test('a source that fails to load with worker threads running fails the run cleanly, with its code', async (t) => {
  const dir = t.testdir();
  writeNationalIdCsvs({ rows: 2000, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 8 });
  const config = join(dir, 'job.json');
  writeFileSync(config, JSON.stringify({
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id' }, { name: 'b', path: 'b.csv', id: 'record_id', columns: { insz: 'rijksregisternummer' } }],
    fields: [{ name: 'insz', type: 'national_id' }],
  }));
  await t.rejects(runLocalLink({ config, outDir: join(dir, 'out'), masterKey: MASTER, workers: 2 }), { code: 'KOPPEL_ERR_LINK_BAD_JOB' });
  t.notOk(existsSync(join(dir, 'out', 'links.csv')), 'no output written');
  // The error read on a worker is the one read on this thread, message and details alike.
  const inline = await runLocalLink({ config, outDir: join(dir, 'out'), masterKey: MASTER, workers: 0 }).catch((e: unknown) => e);
  const threaded = await runLocalLink({ config, outDir: join(dir, 'out'), masterKey: MASTER, workers: 1 }).catch((e: unknown) => e);
  t.same({ ...(threaded as object), message: (threaded as Error).message }, { ...(inline as object), message: (inline as Error).message });
});

t.test('a failure on the first source while a worker reads the second fails the run cleanly', async (t) => {
  const dir = t.testdir();
  writeNationalIdCsvs({ rows: 2000, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 9 });
  const config = join(dir, 'job.json');
  writeFileSync(config, JSON.stringify({
    sources: [{ name: 'a', path: 'missing.csv', id: 'record_id' }, { name: 'b', path: 'b.csv', id: 'record_id' }],
    fields: [{ name: 'insz', type: 'national_id' }],
  }));
  await t.rejects(runLocalLink({ config, outDir: join(dir, 'out'), masterKey: MASTER, workers: 1 }), { code: 'KOPPEL_ERR_LINK_SOURCE_UNREADABLE' });
  t.notOk(existsSync(join(dir, 'out', 'links.csv')), 'no output written');
});
