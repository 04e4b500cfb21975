import t from 'tap';
import type { LinkResult } from '../../../src/link/link-records.js';
import type { PseudonymColumn } from '../../../src/link/pseudonym-join.js';
import type { PipelineContext } from '../../../src/pipeline/context.js';
import { personKeys, pseudonymOrder, resolvePersonIds, type PersonKeys } from '../../../src/pipeline/person-ids.js';
import type { DeliveryRecord } from '../../../src/store/index.js';
import { deliver, prng, randomBytesSeeded, sampleSchema, storeFixture } from '../store/store-fixture.js';

/** Two deliveries of a fresh store, and a context over it (resolvePersonIds needs only the store). */
async function freshStore(t: { teardown(fn: () => void | Promise<void>): void }) {
  const f = storeFixture(t);
  f.store.createDataset(sampleSchema(), 'operator:an');
  const a = (await deliver(f.store, f.keyring, { period: '2024Q1' })).delivery;
  const b = (await deliver(f.store, f.keyring, { period: '2024Q2', body: 'b'.repeat(64) })).delivery;
  return { store: f.store, ctx: { store: f.store } as unknown as PipelineContext, deliveries: [a, b] as DeliveryRecord[] };
}

const hexAt = (bytes: Uint8Array, i: number) => Buffer.from(bytes.subarray(i * 32, i * 32 + 32)).toString('hex');

/**
 * Seeded keys: `keyed` clusters with pseudonyms drawn from a pool (so some repeat), the rest
 * without; `keyedOrder` is the pseudonym order, or a random permutation when `shuffled`.
 */
function seededKeys(clusters: number, keyed: number, seed: number, shuffled: boolean): PersonKeys {
  const rand = prng(seed);
  const pool = randomBytesSeeded(Math.ceil(keyed * 0.8) * 32, rand);
  const keyedPseudonyms = new Uint8Array(keyed * 32);
  for (let i = 0; i < keyed; i++) {
    const p = Math.floor(rand() * (pool.length / 32));
    keyedPseudonyms.set(pool.subarray(p * 32, p * 32 + 32), i * 32);
  }
  const firstSeen = new Map<string, number>();
  const keyedFirst = Int32Array.from({ length: keyed }, (_, i) => {
    const hex = hexAt(keyedPseudonyms, i);
    if (!firstSeen.has(hex)) firstSeen.set(hex, i);
    return firstSeen.get(hex)!;
  });
  const shuffle = (a: Int32Array) => {
    for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; }
    return a;
  };
  const keyedOrder = shuffled ? shuffle(Int32Array.from({ length: keyed }, (_, i) => i)) : pseudonymOrder(keyedPseudonyms, keyed);
  const order = shuffle(Int32Array.from({ length: clusters }, (_, c) => c));
  const keyedClusters = Int32Array.from(order.subarray(0, keyed)).sort();
  const rest = order.subarray(keyed);
  const half = rest.length >>> 1;
  return {
    clusterCount: clusters, keyedPseudonyms, keyedClusters, keyedFirst, keyedOrder,
    unkeyedRows: [Uint32Array.from({ length: half }, (_, i) => i * 3 + 1), Uint32Array.from({ length: rest.length - half }, (_, i) => i * 2 + 5)],
    unkeyedClusters: [Int32Array.from(rest.subarray(0, half)), Int32Array.from(rest.subarray(half))],
  };
}

/** What a job did before slicing: one call for all pseudonyms, one per delivery for the rest. */
function oneTransactionEach(store: Awaited<ReturnType<typeof freshStore>>['store'], keys: PersonKeys, deliveries: DeliveryRecord[]): number[] {
  const ids = new Float64Array(keys.clusterCount);
  const byPseudonym = store.resolvePersonsByPseudonym(keys.keyedPseudonyms, keys.keyedClusters.length, deliveries[0].key_id);
  keys.keyedClusters.forEach((c, i) => { ids[c] = byPseudonym[i]; });
  deliveries.forEach((d, s) => {
    const found = store.resolvePersonsByRecord(d.id, keys.unkeyedRows[s]);
    keys.unkeyedClusters[s].forEach((c, i) => { ids[c] = found[i]; });
  });
  return Array.from(ids);
}

t.test('person ids resolved in short transactions equal those of one transaction per kind', async (t) => {
  for (const shuffled of [false, true]) {
    const keys = seededKeys(700, 520, 11, shuffled);
    const sliced = await freshStore(t);
    const ids = await resolvePersonIds(sliced.ctx, keys, sliced.deliveries, { chunk: 37 });
    const whole = await freshStore(t);
    t.same(Array.from(ids), oneTransactionEach(whole.store, keys, whole.deliveries), `the same id for every cluster (${shuffled ? 'any' : 'pseudonym'} order)`);
    t.ok(new Set(ids).size < keys.clusterCount, 'clusters sharing a pseudonym share a person (the data has repeats)');
    t.same(Array.from(await resolvePersonIds(sliced.ctx, keys, sliced.deliveries)), Array.from(ids), 'again, in time-sized slices: found, not created');
    const [next] = sliced.store.resolvePersonsByRecord(sliced.deliveries[0].id, Uint32Array.of(99_999));
    t.equal(next, Math.max(...ids) + 1, 'the counter moved by exactly the persons created');
  }
});

t.test('a pseudonym half known, half new: known ones keep their ids, new ones follow the counter', async (t) => {
  const keys = seededKeys(300, 300, 5, false);
  const s = await freshStore(t);
  const half = { ...keys, keyedClusters: keys.keyedClusters.subarray(0, 150), keyedFirst: keys.keyedFirst.subarray(0, 150),
    keyedPseudonyms: keys.keyedPseudonyms.subarray(0, 150 * 32), keyedOrder: pseudonymOrder(keys.keyedPseudonyms, 150), unkeyedRows: [new Uint32Array(0), new Uint32Array(0)], unkeyedClusters: [new Int32Array(0), new Int32Array(0)] };
  const before = await resolvePersonIds(s.ctx, half, s.deliveries, { chunk: 16 });
  const all = await resolvePersonIds(s.ctx, keys, s.deliveries, { chunk: 16 });
  for (let i = 0; i < 150; i++) if (all[keys.keyedClusters[i]] !== before[keys.keyedClusters[i]]) t.fail(`cluster ${keys.keyedClusters[i]} changed person`);
  const whole = await freshStore(t);
  oneTransactionEach(whole.store, half, whole.deliveries);
  t.same(Array.from(all), oneTransactionEach(whole.store, keys, whole.deliveries), 'as if one transaction had resolved each call');
});

t.test('pseudonymOrder sorts by the first four bytes as SQLite compares blobs, ties in input order', async (t) => {
  const rand = prng(3);
  const n = 5000;
  const bytes = randomBytesSeeded(n * 32, rand);
  for (let i = 0; i < n; i += 7) bytes.copyWithin(i * 32, 0, 3); // many shared 3-byte prefixes
  const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => Buffer.compare(bytes.subarray(a * 32, a * 32 + 4), bytes.subarray(b * 32, b * 32 + 4)) || a - b);
  t.same(Array.from(pseudonymOrder(bytes, n)), expected);
  t.same(Array.from(pseudonymOrder(bytes, 0)), []);
});

t.test('person keys: the first record with a pseudonym per cluster, else the cluster\'s first record', async (t) => {
  // Two sources of 3 and 2 records; clusters {0: a0,b1} {1: a1} {2: a2,b0}. a0 and b0 have no pseudonym.
  const p = (v: number) => new Uint8Array(32).fill(v);
  const column = (values: (Uint8Array | null)[]): PseudonymColumn => {
    const bytes = new Uint8Array(values.length * 32);
    const valid = new Uint8Array(1);
    values.forEach((v, i) => { if (v !== null) { bytes.set(v, i * 32); valid[0] |= 1 << i; } });
    return { pseudonyms: bytes, valid, offset: 0, length: values.length };
  };
  const result = { offsets: Int32Array.from([0, 3, 5]), clusters: Int32Array.from([0, 1, 2, 2, 0]), clusterCount: 3 } as unknown as LinkResult;
  const rows = [Uint32Array.from([10, 11, 12]), Uint32Array.from([20, 21])];
  const keys = personKeys(result, [column([null, p(9), p(2)]), column([null, p(9)])], rows);
  t.same(Array.from(keys.keyedClusters), [0, 1, 2]);
  t.same([...keys.keyedPseudonyms.subarray(0, 32)], [...p(9)], 'cluster 0 takes b1\'s pseudonym: a0 has none');
  t.same(Array.from(keys.keyedFirst), [0, 0, 2], 'cluster 1 has the same pseudonym as cluster 0: one person');
  t.same(Array.from(keys.keyedOrder), [2, 0, 1], 'ordered by pseudonym');
  t.same(keys.unkeyedRows.map((r) => Array.from(r)), [[], []], 'every cluster has a pseudonym somewhere');

  const none = personKeys(result, [column([null, null, null]), column([null, null])], rows);
  t.equal(none.keyedClusters.length, 0);
  t.same(none.unkeyedRows.map((r) => Array.from(r)), [[10, 11, 12], []], 'each cluster by the row of its first record');
  t.same(none.unkeyedClusters.map((r) => Array.from(r)), [[0, 1, 2], []]);
});
