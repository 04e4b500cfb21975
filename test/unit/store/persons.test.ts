import t from 'tap';
import fc from 'fast-check';
import { deliver, prng, randomBytesSeeded, sampleSchema, storeFixture } from './store-fixture.js';

const KEY = 'k20260101T000000Z-abcd';

/** n pseudonyms drawn from a pool of `distinct`, so the input repeats some. */
function pseudonymsFrom(pool: Uint8Array, picks: number[]): Uint8Array {
  const out = new Uint8Array(picks.length * 32);
  picks.forEach((p, i) => out.set(pool.subarray(p * 32, p * 32 + 32), i * 32));
  return out;
}

t.test('equal pseudonyms get equal person ids and different ones different ids, across calls', async (t) => {
  const { store } = storeFixture(t);
  const pool = randomBytesSeeded(40 * 32, prng(7));
  // Naive model: a Map from hex pseudonym to the id first handed out.
  const model = new Map<string, number>();
  await fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 1200 }), (picks) => {
      const ids = store.resolvePersonsByPseudonym(pseudonymsFrom(pool, picks), picks.length, KEY);
      if (ids.length !== picks.length) return false;
      for (let i = 0; i < picks.length; i++) {
        const hex = Buffer.from(pool.subarray(picks[i] * 32, picks[i] * 32 + 32)).toString('hex');
        const known = model.get(hex);
        if (known === undefined) {
          if ([...model.values()].includes(ids[i])) return false; // a new person must get a new id
          model.set(hex, ids[i]);
        } else if (known !== ids[i]) {
          return false;
        }
      }
      return true;
    }),
    { numRuns: 60, seed: 42 },
  );
  t.ok(model.size > 0);
});

t.test('new persons are numbered in order of first appearance (deterministic)', async (t) => {
  const { store } = storeFixture(t);
  const pool = randomBytesSeeded(3 * 32, prng(1));
  const ids = store.resolvePersonsByPseudonym(pseudonymsFrom(pool, [2, 0, 2, 1, 0]), 5, KEY);
  t.same(Array.from(ids), [1, 2, 1, 3, 2]);
});

t.test('the same pseudonym under another key id is another person', async (t) => {
  const { store } = storeFixture(t);
  const p = randomBytesSeeded(32, prng(3));
  const a = store.resolvePersonsByPseudonym(p, 1, KEY)[0];
  const b = store.resolvePersonsByPseudonym(p, 1, 'k20270101T000000Z-abcd')[0];
  t.not(a, b);
});

t.test('person ids persist across reopening the store', async (t) => {
  const fx = storeFixture(t);
  const pool = randomBytesSeeded(1001 * 32, prng(5)); // more than one 500-row chunk, plus a tail
  const picks = Array.from({ length: 1001 }, (_, i) => i);
  const before = fx.store.resolvePersonsByPseudonym(pseudonymsFrom(pool, picks), picks.length, KEY);
  fx.store.close();
  const after = fx.reopen().resolvePersonsByPseudonym(pseudonymsFrom(pool, picks.reverse()), picks.length, KEY);
  t.same(Array.from(after).reverse(), Array.from(before));
});

t.test('records without a pseudonym get ids per (delivery, row), stable and never shared with pseudonym persons', async (t) => {
  const { store, keyring } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const d1 = (await deliver(store, keyring, { period: '2024Q1' })).delivery.id;
  const d2 = (await deliver(store, keyring, { period: '2024Q2', body: 'b'.repeat(64) })).delivery.id;
  const byPseudonym = store.resolvePersonsByPseudonym(randomBytesSeeded(64, prng(9)), 2, KEY);
  const r1 = store.resolvePersonsByRecord(d1, Uint32Array.from([4, 7, 4]));
  const r2 = store.resolvePersonsByRecord(d2, Uint32Array.from([4]));
  t.equal(r1[0], r1[2], 'the same row is the same person');
  t.not(r1[0], r1[1]);
  t.not(r2[0], r1[0], 'row 4 of another delivery is another person');
  const all = new Set([...byPseudonym, ...r1, ...r2]);
  t.equal(all.size, 5, 'no id is handed out twice');
  t.same(Array.from(store.resolvePersonsByRecord(d1, Uint32Array.from([7, 4]))), [r1[1], r1[0]]);
  t.same(Array.from(store.resolvePersonsByRecord(d1, new Uint32Array(0))), []);
});

t.test('records of an unknown delivery are refused', async (t) => {
  const { store } = storeFixture(t);
  t.throws(() => store.resolvePersonsByRecord('dlv_00000000000000000000', Uint32Array.from([1])), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
});

t.test('a pseudonym buffer shorter than count x 32 is a RangeError', async (t) => {
  const { store } = storeFixture(t);
  t.throws(() => store.resolvePersonsByPseudonym(new Uint8Array(63), 2, KEY), RangeError);
});

t.test('a sliced pseudonym buffer (non-zero byteOffset) is read from its offset', async (t) => {
  const { store } = storeFixture(t);
  const pool = randomBytesSeeded(4 * 32, prng(11));
  const whole = store.resolvePersonsByPseudonym(pool, 4, KEY);
  const tail = store.resolvePersonsByPseudonym(pool.subarray(64), 2, KEY);
  t.same(Array.from(tail), Array.from(whole.subarray(2)));
});

t.test('lookupPersonsByPseudonym finds known persons, NaN for the rest, and creates nothing', async (t) => {
  const { store } = storeFixture(t);
  const pool = randomBytesSeeded(6 * 32, prng(21));
  const known = store.resolvePersonsByPseudonym(pool, 3, KEY);
  const found = store.lookupPersonsByPseudonym(pool.subarray(32), 5, KEY);
  t.same(Array.from(found.subarray(0, 2)), Array.from(known.subarray(1, 3)));
  t.ok(found.subarray(2).every(Number.isNaN), 'unknown pseudonyms are NaN');
  t.ok(store.lookupPersonsByPseudonym(pool, 6, 'another-key').every(Number.isNaN), 'a pseudonym is known per key id');
  t.ok(store.lookupPersonsByPseudonym(pool.subarray(96), 3, KEY).every(Number.isNaN), 'looking up created no person');
  t.throws(() => store.lookupPersonsByPseudonym(pool, 7, KEY), RangeError);
});

t.test('reserved ids are recorded as chosen; one another writer recorded first keeps its id', async (t) => {
  const { store } = storeFixture(t);
  const pool = randomBytesSeeded(3 * 32, prng(22));
  const base = store.reservePersonIds(3);
  t.equal(base, 0);
  t.equal(store.reservePersonIds(0), 3, 'the counter moved by the reservation');
  // Another writer records the second pseudonym after our lookup, before we record it.
  const [theirs] = store.resolvePersonsByPseudonym(pool.subarray(32, 64), 1, KEY);
  t.equal(theirs, 4);
  const stored = store.recordPersonsByPseudonym(pool, Float64Array.of(1, 2, 3), 3, KEY);
  t.same(Array.from(stored), [1, 4, 3], 'ours where new, theirs where it was already recorded');
  t.same(Array.from(store.resolvePersonsByPseudonym(pool, 3, KEY)), [1, 4, 3], 'and that is what is stored');
  t.throws(() => store.reservePersonIds(-1), RangeError);
});
