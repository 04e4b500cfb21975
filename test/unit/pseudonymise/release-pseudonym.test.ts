import { createHmac } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { Vector } from 'apache-arrow';
import { derivePurposeKey, PURPOSES } from '../../../src/pseudonymise/key-derivation.js';
import { releasePseudonyms } from '../../../src/pseudonymise/release-pseudonym.js';

const DEMO_MASTER = Uint8Array.from({ length: 32 }, (_, i) => i);
const RELEASE_KEY = derivePurposeKey(DEMO_MASTER, PURPOSES.release('prj_demo'));
/** Test-side decoding of the whole column (fine in tests, not in kernels). */
const strings = (ids: ArrayLike<number>, key = RELEASE_KEY): string[] =>
  [...new Vector([releasePseudonyms(key, ids)])] as string[];
const expected = (key: Uint8Array, id: number): string =>
  createHmac('sha256', key).update(String(id), 'utf8').digest('hex').slice(0, 32);
const personIds = fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { minLength: 1, maxLength: 30 });

t.test('pins the release pseudonyms of the demo project key (determinism contract)', async (t) => {
  t.same(strings([1, 42, Number.MAX_SAFE_INTEGER]), [
    'fdf38eb413a8ae838b4e67b2e36e67d9',
    'bff0f5cd9a83742e37df5997eefa29f6',
    'd5d192c5046ae08f68c292b676a4fc8c',
  ]);
});

t.test('pins the pseudonyms of one release of the demo project (per-release key, the default)', async (t) => {
  const key = derivePurposeKey(DEMO_MASTER, PURPOSES.release('prj_demo', 'rel_demo'));
  // node:crypto: HMAC-SHA256 under HKDF(master, "koppel/v1/release:prj_demo:rel_demo"), first 16 bytes.
  t.same(strings([1, 42], key), ['9c2985474fc56eeaa0867521cbaffa68', '5e76475f65c1b73908e9bfcec855d52d']);
});

t.test('two releases of one project never give the same pseudonym for the same person ids', async (t) => {
  fc.assert(fc.property(
    fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), personIds,
    (r1, r2, ids) => {
      fc.pre(r1 !== r2);
      const a = strings(ids, derivePurposeKey(DEMO_MASTER, PURPOSES.release('prj_demo', r1)));
      const b = new Set(strings(ids, derivePurposeKey(DEMO_MASTER, PURPOSES.release('prj_demo', r2))));
      return a.every((x) => !b.has(x));
    },
  ), { seed: 23, numRuns: 100 });
  t.pass('no coincidence across 100 pairs of releases');
});

t.test('agrees with node:crypto on random person ids, in any typed array', async (t) => {
  fc.assert(fc.property(personIds, (ids) => {
    const got = strings(Float64Array.from(ids));
    return ids.every((id, i) => got[i] === expected(RELEASE_KEY, id));
  }), { seed: 21, numRuns: 150 });
  const small = Int32Array.of(7, 10, 100, 2147483647);
  t.same(strings(small), Array.from(small, (id) => expected(RELEASE_KEY, id)));
});

t.test('builds fixed-width lowercase hex with offsets i * 32', async (t) => {
  const data = releasePseudonyms(RELEASE_KEY, [3, 1000, 99999999]);
  t.same(Array.from(data.valueOffsets), [0, 32, 64, 96]);
  t.equal(data.nullCount, 0);
  t.match(new TextDecoder().decode(data.values), /^[0-9a-f]{96}$/);
});

t.test('is deterministic across calls', async (t) => {
  const ids = [5, 8, 13, 21, 34];
  t.same(strings(ids), strings(ids));
});

t.test('two projects never give the same pseudonym for the same person ids', async (t) => {
  fc.assert(fc.property(
    fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), personIds,
    (p1, p2, ids) => {
      fc.pre(p1 !== p2);
      const a = strings(ids, derivePurposeKey(DEMO_MASTER, PURPOSES.release(p1)));
      const b = new Set(strings(ids, derivePurposeKey(DEMO_MASTER, PURPOSES.release(p2))));
      return a.every((x) => !b.has(x));
    },
  ), { seed: 22, numRuns: 100 });
  t.pass('no coincidence across 100 pairs of projects');
});

t.test('rejects person ids that are not positive safe integers', async (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
    t.throws(() => releasePseudonyms(RELEASE_KEY, [1, bad]), RangeError, `rejects ${bad}`);
  }
  t.equal(releasePseudonyms(RELEASE_KEY, []).length, 0);
});
