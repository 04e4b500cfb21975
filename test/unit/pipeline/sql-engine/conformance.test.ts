/**
 * Conformance: the DuckDB SQL plan and the in-process engine give the same links (same pairs,
 * probabilities to 1e-9, same clusters) on the linkage benchmarks' generators, and the same
 * intermediate results (groups, candidate pairs in order, levels) that lead there.
 */
import t, { type Test } from 'tap';
import type { FieldType } from '../../../../src/model.js';
import { dictionaryOfStrings } from '../../../../src/pseudonymise/encode-dictionary.js';
import type { EncodedSource } from '../../../../src/pseudonymise/encoded-source.js';
import { encodeSource, encodingKeysFrom } from '../../../../src/pseudonymise/encode-source.js';
import { linkRecords, linkRecordsOn } from '../../../../src/link/link-records.js';
import { linkSettings, type LinkSettings } from '../../../../src/link/link-settings.js';
import type { LinkResult } from '../../../../src/link/link-result.js';
import { inProcessGroups, inProcessPairs, type LinkEngine } from '../../../../src/link/link-engine.js';
import { linkFrame } from '../../../../src/link/link-frame.js';
import { linkDeterministic, saturation } from '../../../../src/link/deterministic.js';
import { blockingRules } from '../../../../src/link/blocking-choice.js';
import { rulePatternHistograms } from '../../../../src/link/pattern-histogram.js';
import { openLinkEngine } from '../../../../src/pipeline/sql-engine/link-engines.js';
import type { DuckDBApi } from '../../../../src/pipeline/sql-engine/duckdb-load.js';
import { generateBelgian, BELGIAN_JOB_FIELDS } from '../../../../benchmarks/data/belgian.js';
import { generateFebrlLike, FEBRL_COLUMNS, FEBRL_JOB_FIELDS } from '../../../../benchmarks/data/febrl-like.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 11) & 0xff);

function encode(sources: readonly { name: string; header: readonly string[]; rows: readonly (readonly string[])[] }[], fields: readonly { name: string; type: string; format?: string }[]): EncodedSource[] {
  const keys = encodingKeysFrom(KEY);
  const specs = fields.map((f) => ({ name: f.name, type: f.type as FieldType, format: f.format }));
  return sources.map((src) => {
    const columns = new Map(specs.map((f) => { const c = src.header.indexOf(f.name); return [f.name, dictionaryOfStrings(src.rows.map((r) => r[c]))] as const; }));
    return encodeSource({ name: src.name, unique: true, size: src.rows.length, columns }, specs, keys);
  });
}

function belgian(people: number, sources: number): EncodedSource[] {
  return encode(generateBelgian({ people, seed: 5, sources }).sources, BELGIAN_JOB_FIELDS);
}

function febrl(records: number): EncodedSource[] {
  const data = generateFebrlLike({ records, seed: 3 });
  return encode([{ name: 'a', header: FEBRL_COLUMNS, rows: data.a }, { name: 'b', header: FEBRL_COLUMNS, rows: data.b }], FEBRL_JOB_FIELDS);
}

function assertSameLinks(t: Test, expected: LinkResult, actual: LinkResult): void {
  t.equal(actual.links.length, expected.links.length, 'as many links');
  t.same(Array.from(actual.links.left), Array.from(expected.links.left), 'same left records');
  t.same(Array.from(actual.links.right), Array.from(expected.links.right), 'same right records');
  t.same(Array.from(actual.links.method), Array.from(expected.links.method), 'same methods');
  let worst = 0;
  for (let i = 0; i < expected.links.length; i++) worst = Math.max(worst, Math.abs(actual.links.probability[i] - expected.links.probability[i]));
  t.ok(worst <= 1e-9, `probabilities within 1e-9 (largest difference ${worst})`);
  t.same(Array.from(actual.clusters), Array.from(expected.clusters), 'same clusters');
  t.equal(actual.clusterCount, expected.clusterCount);
  t.same(actual.report.blocking, expected.report.blocking, 'same blocking outcome');
}

let engine: LinkEngine | null = null;
try {
  engine = await openLinkEngine('duckdb');
} catch (e) {
  t.comment(`@duckdb/node-api cannot load here (${(e as { code?: string }).code}): the DuckDB conformance is skipped.`);
}

const cases: { name: string; sources: () => EncodedSource[]; settings: Partial<LinkSettings> }[] = [
  { name: 'Belgian, two sources', sources: () => belgian(800, 2), settings: {} },
  { name: 'Belgian, three sources', sources: () => belgian(500, 3), settings: {} },
  { name: 'FEBRL-like, no national id', sources: () => febrl(400), settings: {} },
  { name: 'Belgian, job rules with blocks over the limit', sources: () => belgian(600, 2), settings: { blocking: [['sex'], ['surname.phonetic', 'postcode'], ['date_of_birth.ym']], maxBlockPairs: 5000 } },
  { name: 'Belgian, deduplicated', sources: () => belgian(300, 2), settings: { deduplicate: true } },
];

for (const c of cases) {
  t.test(`the duckdb and in-process engines give the same links: ${c.name}`, { skip: engine === null ? '@duckdb/node-api cannot load' : false }, async (t) => {
    const sources = c.sources();
    const settings = linkSettings(c.settings);
    const expected = linkRecords(sources, settings);
    const actual = await linkRecordsOn(engine!, sources, settings);
    t.ok(expected.links.length > 0, `${expected.links.length} links`);
    if (c.settings.maxBlockPairs !== undefined) t.ok(expected.report.blocking.rules.some((r) => r.skipped_blocks > 0), 'some blocks are over the limit');
    assertSameLinks(t, expected, actual);
  });
}

t.test('the duckdb engine gives the in-process groups, candidate pairs in order, and levels', { skip: engine === null ? '@duckdb/node-api cannot load' : false }, async (t) => {
  const sources = belgian(500, 3);
  const settings = linkSettings({ maxBlockPairs: 20_000 });
  const frame = linkFrame(sources, settings);
  const nid = frame.index.findIndex((fi) => fi.type === 'national_id');
  const groups = await engine!.pseudonymGroups(frame, nid);
  const local = inProcessGroups(frame, nid);
  t.same(Array.from(groups.ids), Array.from(local.ids), 'same group per record');
  t.same(Array.from(groups.sizes), Array.from(local.sizes), 'same group sizes');
  const det = linkDeterministic(frame, settings);
  const input = { frame, det, saturated: saturation(det, frame.constrained), ruleSet: blockingRules(frame, settings), maxBlockPairs: settings.maxBlockPairs };
  const expected = inProcessPairs(input);
  const actual = await engine!.pairs(input);
  t.same(actual.blocked.outcomes, expected.blocked.outcomes, 'same pairs and skipped blocks per rule');
  expected.blocked.lists.forEach((list, i) => {
    const got = actual.blocked.lists[i];
    t.same([got.left, got.right, got.length], [list.left, list.right, list.length], `list ${i}: same source pair and length`);
    t.same(Array.from(got.a.subarray(0, got.length)), Array.from(list.a.subarray(0, list.length)), `list ${i}: same left records in order`);
    t.same(Array.from(got.b.subarray(0, got.length)), Array.from(list.b.subarray(0, list.length)), `list ${i}: same right records in order`);
    t.same(Array.from(got.ruleEnd!), Array.from(list.ruleEnd!), `list ${i}: same rule segments`);
  });
  t.same(actual.compared.candidates.map((l) => l.map((f) => Array.from(f))), expected.compared.candidates.map((l) => l.map((f) => Array.from(f))), 'same levels of candidates');
  t.same(actual.compared.deterministic.map((l) => l.map((f) => Array.from(f))), expected.compared.deterministic.map((l) => l.map((f) => Array.from(f))), 'same levels of deterministic links');
  const counted = rulePatternHistograms({
    specs: frame.specs, rules: input.ruleSet.rules, ruleKeys: input.ruleSet.keys, skippedBlocks: expected.blocked.outcomes.map((o) => o.skippedBlocks),
    lists: expected.blocked.lists, listLevels: expected.compared.candidates,
  });
  t.equal(actual.ruleHistograms?.length, counted.length, 'a histogram per rule');
  counted.forEach((c, r) => {
    const got = actual.ruleHistograms![r];
    t.equal(got.pairs, c.pairs, `rule ${r}: same pairs`);
    t.same([got.hist.size, Array.from(got.hist.levels), Array.from(got.hist.counts)], [c.hist.size, Array.from(c.hist.levels), Array.from(c.hist.counts)], `rule ${r}: same patterns in the same order, same counts`);
  });
});

t.test('the in-process engine behind the interface gives what linkRecords gives', async (t) => {
  const sources = belgian(400, 2);
  const settings = linkSettings();
  assertSameLinks(t, linkRecords(sources, settings), await linkRecordsOn(await openLinkEngine('in-process'), sources, settings));
});

t.test('a duckdb engine that cannot be loaded is refused with a coded error', async (t) => {
  await t.rejects(openLinkEngine('duckdb', () => Promise.reject(new Error('Cannot find module'))), { code: 'KOPPEL_ERR_CFG_ENGINE_UNAVAILABLE' });
});

t.test('a failure inside the SQL engine is a coded error that quotes nothing of it', async (t) => {
  const secret = 'token 0x5ec12e7';
  const failing = { run: () => Promise.reject(new Error(`Conversion Error: ${secret}`)), closeSync: () => {} };
  const api = { DuckDBInstance: { create: async () => ({ connect: async () => failing, closeSync: () => {} }) } } as unknown as DuckDBApi;
  const broken = await openLinkEngine('duckdb', async () => api);
  const sources = belgian(50, 2);
  const frame = linkFrame(sources, linkSettings());
  const err = await broken.pseudonymGroups(frame, 0).then(() => null, (e: unknown) => e as { code?: string; message: string });
  t.equal(err?.code, 'KOPPEL_ERR_LINK_ENGINE_FAILED');
  t.match(err?.message, /pseudonym join/);
  t.notMatch(err?.message, /5ec12e7/);
  await t.rejects(openLinkEngine('duckdb', async () => ({ DuckDBInstance: { create: () => Promise.reject(new Error(secret)) } }) as unknown as DuckDBApi), { code: 'KOPPEL_ERR_LINK_ENGINE_FAILED' });
});

t.teardown(async () => { await engine?.close(); });
