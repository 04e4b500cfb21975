/**
 * `runLocalLink` end to end on small generated jobs, checked on what the outputs say: the links
 * per method and the exact pairs of record ids where the truth is known (national numbers), the
 * clusters' membership and sizes, and for the jobs with every field type the counts per method,
 * pinned pairs and the quality against the generator's truth. The same job run with worker
 * threads must give the same bytes as run on one thread.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { runLocalLink } from '../../../src/pipeline/local-link.js';
import { writeNationalIdCsvs } from '../../../benchmarks/data/national-id-csv.js';
import { belgianCsv, belgianTruth, generateBelgian, BELGIAN_JOB_FIELDS } from '../../../benchmarks/data/belgian.js';
import { seeded } from '../../../benchmarks/data/corruption.js';
import { inszCheckDigits } from '../../../src/ingest/insz.js';

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 0xff);

interface Outputs {
  /** links.csv rows without the header. */
  links: string[][];
  /** clusters.csv rows without the header. */
  clusters: string[][];
  report: Record<string, unknown>;
  /** sha256 of links.csv and clusters.csv, for run-to-run equality. */
  bytes: string;
}

async function run(dir: string, job: object, workers = 0, name = 'out'): Promise<Outputs> {
  const config = join(dir, 'job.json');
  writeFileSync(config, JSON.stringify(job));
  const out = join(dir, name);
  await runLocalLink({ config, outDir: out, masterKey: MASTER, workers });
  const text = (f: string) => readFileSync(join(out, f), 'utf8');
  const rows = (f: string) => (parse(text(f), { relax_column_count: false }) as string[][]).slice(1);
  return {
    links: rows('links.csv'),
    clusters: rows('clusters.csv'),
    report: JSON.parse(text('report.json')) as Record<string, unknown>,
    bytes: createHash('sha256').update(text('links.csv')).update(text('clusters.csv')).digest('hex'),
  };
}

/** The report without its timings (which vary run to run). */
function reportWithoutTimings(report: Record<string, unknown>): string {
  const { timings_ms: _, ...rest } = report;
  return JSON.stringify(rest);
}

/** Links per method. */
function methods(links: readonly string[][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of links) out[l[6]] = (out[l[6]] ?? 0) + 1;
  return out;
}

/** `source|id` per pair, sorted: a multiset that ignores row order. */
function pairs(links: readonly string[][]): string[] {
  return links.map((l) => `${l[0]}|${l[1]}|${l[2]}|${l[3]}`).sort();
}

/** The clusters as sorted member lists (`source|id`), sorted. */
function partition(clusters: readonly string[][]): string[] {
  const by = new Map<string, string[]>();
  for (const [c, s, id] of clusters) { const m = by.get(c) ?? []; m.push(`${s}|${id}`); by.set(c, m); }
  return [...by.values()].map((m) => m.sort().join(' ')).sort();
}

/** How many clusters of each size. */
function clusterSizes(clusters: readonly string[][]): Record<number, number> {
  const size = new Map<string, number>();
  for (const [c] of clusters) size.set(c, (size.get(c) ?? 0) + 1);
  const out: Record<number, number> = {};
  for (const n of size.values()) out[n] = (out[n] ?? 0) + 1;
  return out;
}

/** A valid INSZ from a seeded draw (birth 1950-2009). */
function inszOf(rnd: () => number): string {
  const year = 1950 + Math.floor(rnd() * 60);
  const body = `${String(year % 100).padStart(2, '0')}${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}${String(1 + Math.floor(rnd() * 997)).padStart(3, '0')}`;
  return body + inszCheckDigits(body, year >= 2000);
}

t.test('a national-id-only job links exactly the records that share a valid number, all deterministically', async (t) => {
  const dir = t.testdir();
  const truth = writeNationalIdCsvs({ rows: 3000, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 5 });
  const got = await run(dir, {
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id' }, { name: 'b', path: 'b.csv', id: 'record_id' }],
    fields: [{ name: 'insz', type: 'national_id' }],
  });
  t.same(methods(got.links), { deterministic: truth.links });
  const expected: string[] = [];
  truth.rightOfLeft.forEach((b, a) => { if (b >= 0) expected.push(`a|A${a + 1}|b|B${b + 1}`); });
  t.same(pairs(got.links), expected.sort(), 'the true pairs, each once');
  t.ok(got.links.every((l) => l[4] === '1' && l[5] === ''), 'probability 1, no weight');
  t.same(clusterSizes(got.clusters), { 1: 6000 - 2 * truth.links, 2: truth.links }, 'each link a cluster of two; every other record alone');
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

t.test('three national-id sources (one non-unique, one Arrow, ids needing quotes) link every record of a person, ids as they are; workers give the same bytes', async (t) => {
  const dir = t.testdir();
  const rnd = seeded(21);
  const people = Array.from({ length: 400 }, () => inszOf(rnd));
  const spell = (x: string) => (rnd() < 0.3 ? `${x.slice(0, 2)}.${x.slice(2, 4)}.${x.slice(4, 6)}-${x.slice(6, 9)}.${x.slice(9)}` : x);
  const awkward = ['"q""uote"', '"a,b"', ' padded ', 'plain'];
  const idAsRead = ['q"uote', 'a,b', ' padded ', 'plain'];
  // Per person: its records (`source|id`) that carry its valid number.
  const records = people.map(() => [] as string[]);
  const singletons: string[] = [];
  const a: string[] = ['id,insz'];
  const aOf = new Map<number, string>();
  people.forEach((p, i) => {
    if (rnd() >= 0.8) return;
    const id = i % 25 === 0 ? awkward[i % 4] : `a${i}`;
    const bad = rnd() < 0.03; // 12345678901 fails its check digits: no link
    a.push(`${id},${bad ? '12345678901' : spell(p)}`);
    const read = i % 25 === 0 ? idAsRead[i % 4] : id;
    if (bad) singletons.push(`a|${read}`);
    else { records[i].push(`a|${read}`); aOf.set(i, read); }
  });
  writeFileSync(join(dir, 'a.csv'), `${a.join('\n')}\n`);
  // Non-unique wages: up to three rows per person, some people absent, some ids blank.
  const c: string[] = ['wid;nr'];
  const wagesOf = people.map(() => [] as string[]);
  let w = 0;
  people.forEach((p, i) => {
    const k = Math.floor(rnd() * 4);
    for (let j = 0; j < k; j++) {
      const id = rnd() < 0.01 ? '' : `w${w++}`;
      const missing = rnd() < 0.05;
      c.push(`${id};${missing ? '' : spell(p)}`);
      if (missing) singletons.push(`wages|${id}`);
      else { records[i].push(`wages|${id}`); wagesOf[i].push(id); }
    }
  });
  writeFileSync(join(dir, 'c.csv'), `${c.join('\r\n')}\r\n`);
  const bIds: number[] = []; const bInsz: (string | null)[] = [];
  const bOf = new Map<number, string>();
  people.forEach((p, i) => {
    if (rnd() >= 0.7) return;
    bIds.push(1000 + i);
    const missing = rnd() < 0.05;
    bInsz.push(missing ? null : spell(p));
    if (missing) singletons.push(`b|${1000 + i}`);
    else { records[i].push(`b|${1000 + i}`); bOf.set(i, String(1000 + i)); }
  });
  writeFileSync(join(dir, 'b.arrow'), tableToIPC(tableFromArrays({ rid: Int32Array.from(bIds), insz: bInsz }), 'file'));
  const job = {
    sources: [
      { name: 'a', path: 'a.csv', id: 'id' },
      { name: 'wages', path: 'c.csv', id: 'wid', unique: false, columns: { insz: 'nr' } },
      { name: 'b', path: 'b.arrow', id: 'rid' },
    ],
    fields: [{ name: 'insz', type: 'national_id' }],
  };
  const got = await run(dir, job);
  // Each person's records link pairwise across sources (a-wages, a-b, wages-b; the left
  // source first in job order), and form one cluster.
  const expected: string[] = [];
  people.forEach((_, i) => {
    const ai = aOf.get(i); const bi = bOf.get(i);
    if (ai !== undefined && bi !== undefined) expected.push(`a|${ai}|b|${bi}`);
    for (const wi of wagesOf[i]) {
      if (ai !== undefined) expected.push(`a|${ai}|wages|${wi}`);
      if (bi !== undefined) expected.push(`wages|${wi}|b|${bi}`);
    }
  });
  t.same(methods(got.links), { deterministic: expected.length });
  t.same(pairs(got.links), expected.sort(), 'exactly the pairs of records that share a valid number');
  t.ok(got.links.some((l) => l[1] === ' padded '), 'an id with spaces comes back with its spaces');
  t.ok(got.links.some((l) => l[1] === 'q"uote') && got.links.some((l) => l[1] === 'a,b'), 'ids with quotes and commas come back whole');
  const groups = [...records.filter((r) => r.length > 0).map((r) => r.sort().join(' ')), ...singletons];
  t.same(partition(got.clusters), groups.sort(), 'one cluster per person, every record without a valid number alone');
  // With worker threads: the sources after the first are read and encoded on workers, side by
  // side with the first; the outputs are the same.
  for (const workers of [1, 2]) {
    const threaded = await run(dir, job, workers, `out-${workers}`);
    t.equal(threaded.bytes, got.bytes, `${workers} worker(s): same links.csv and clusters.csv`);
    t.equal(reportWithoutTimings(threaded.report), reportWithoutTimings(got.report), `${workers} worker(s): same report`);
  }
});

t.test('a deduplicated national-id job links the records of each person, and leaves an oversized placeholder group unlinked', async (t) => {
  const dir = t.testdir();
  const rnd = seeded(33);
  const people = Array.from({ length: 600 }, () => inszOf(rnd));
  const placeholder = inszOf(rnd);
  const rows: string[] = ['record_id,insz'];
  const groups: number[][] = [];
  let id = 0;
  for (const p of people) {
    const k = 1 + Math.floor(rnd() * 2.5);
    const group: number[] = [];
    for (let j = 0; j < k; j++) { group.push(id); rows.push(`${id++},${p}`); }
    groups.push(group);
  }
  const placeholders = 1100;
  for (let j = 0; j < placeholders; j++) rows.push(`${id++},${placeholder}`);
  writeFileSync(join(dir, 'a.csv'), `${rows.join('\n')}\n`);
  const job = {
    sources: [{ name: 'a', path: 'a.csv', id: 'record_id', unique: false }],
    fields: [{ name: 'insz', type: 'national_id' }],
    deduplicate: true,
  };
  const got = await run(dir, job);
  t.equal((got.report.deterministic as { oversized_groups: number }).oversized_groups, 1);
  // Within a person every pair links once, the smaller id on the left.
  const expected: string[] = [];
  for (const g of groups) for (let x = 0; x < g.length; x++) for (let y = x + 1; y < g.length; y++) expected.push(`a|${g[x]}|a|${g[y]}`);
  t.same(pairs(got.links), expected.sort());
  t.ok(got.links.every((l) => Number(l[1]) < Number(l[3])), 'left id < right id');
  const sizes: Record<number, number> = { 1: placeholders };
  for (const g of groups) sizes[g.length] = (sizes[g.length] ?? 0) + 1;
  t.same(clusterSizes(got.clusters), sizes, 'one cluster per person; each placeholder record alone');
  // One source: the workers HMAC its national numbers batch by batch; the outputs are the same.
  const threaded = await run(dir, job, 1, 'out-1');
  t.equal(threaded.bytes, got.bytes, 'with a worker: same links.csv and clusters.csv');
});

/**
 * Jobs with every field type: the counts per method, the cluster sizes and some pairs are
 * pinned (the key is fixed, so the run is deterministic); the links found must also agree with
 * the generator's truth, and the report with the files.
 */
const ALL_FIELDS: Record<number, { methods: Record<string, number>; sizes: Record<number, number>; pairs: string[] }> = {
  2: {
    methods: { deterministic: 470, probabilistic: 197 },
    sizes: { 1: 461, 2: 667 },
    pairs: ['vdab|vdab-100|rsz|rsz-341', 'vdab|vdab-310|rsz|rsz-225', 'vdab|vdab-497|rsz|rsz-132', 'vdab|vdab-694|rsz|rsz-176', 'vdab|vdab-900|rsz|rsz-512'],
  },
  3: {
    methods: { deterministic: 1240, probabilistic: 338 },
    sizes: { 1: 266, 2: 572, 3: 336 },
    pairs: ['rsz|rsz-100|riziv|riziv-505', 'rsz|rsz-371|riziv|riziv-3', 'vdab|vdab-146|riziv|riziv-3', 'vdab|vdab-36|rsz|rsz-8', 'vdab|vdab-713|rsz|rsz-781', 'vdab|vdab-944|rsz|rsz-822'],
  },
};

t.test('jobs with every field type link what the truth says, with the counts and pairs pinned', async (t) => {
  for (const sources of [2, 3]) {
    const dir = t.testdir();
    const data = generateBelgian({ people: 1200, seed: 17 + sources, sources });
    for (const s of data.sources) writeFileSync(join(dir, `${s.name}.csv`), belgianCsv(s));
    const got = await run(dir, {
      sources: data.sources.map((s) => ({ name: s.name, path: `${s.name}.csv`, id: 'record_id' })),
      fields: BELGIAN_JOB_FIELDS,
    });
    const pin = ALL_FIELDS[sources];
    const byMethod = methods(got.links);
    const sizes = clusterSizes(got.clusters);
    t.same(byMethod, pin.methods, `${sources} sources: links per method`);
    t.same(sizes, pin.sizes, `${sources} sources: cluster sizes`);
    const found = new Set(pairs(got.links));
    const truth = new Set(belgianTruth(data).map((x) => x.join('|')));
    for (const p of pin.pairs) t.ok(found.has(p) && truth.has(p), `${sources} sources: links ${p}, a true pair`);
    const right = [...found].filter((p) => truth.has(p)).length;
    t.ok(right / found.size > 0.97, `${sources} sources: precision ${(right / found.size).toFixed(4)}`);
    t.ok(right / truth.size > 0.95, `${sources} sources: recall ${(right / truth.size).toFixed(4)}`);
    const counted = got.report.links as { deterministic: number; probabilistic: number; total: number };
    t.same([counted.deterministic, counted.probabilistic], [byMethod.deterministic ?? 0, byMethod.probabilistic ?? 0], 'the report counts the links written');
    t.equal((got.report.clusters as { count: number }).count, Object.values(sizes).reduce((x, y) => x + y, 0), 'the report counts the clusters written');
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
