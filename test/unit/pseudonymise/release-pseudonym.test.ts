import { createHmac, hkdfSync } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { Vector } from 'apache-arrow';
import { derivePurposeKey, PURPOSES } from '../../../src/pseudonymise/key-derivation.js';
import { releasePseudonyms } from '../../../src/pseudonymise/release-pseudonym.js';

/*
 * The expected pseudonyms are computed here independently, with node:crypto only, from
 * design.md "Keys": the release key is HKDF-SHA256 of the master key (empty salt, info
 * `koppel/v1/release:<project id>`, 32 bytes); the pseudonym is the lowercase hex of the first
 * 16 bytes of HMAC-SHA256(release key, the person id as UTF-8 decimal text). The code under test
 * derives its key and computes its pseudonyms with Koppel's own HKDF and HMAC kernels.
 */
const DEMO_MASTER = Uint8Array.from({ length: 32 }, (_, i) => i);
const independentKey = (master: Uint8Array, projectId: string): Buffer =>
  Buffer.from(hkdfSync('sha256', master, new Uint8Array(0), Buffer.from(`koppel/v1/release:${projectId}`, 'utf8'), 32));
const expected = (key: Uint8Array, id: number): string =>
  createHmac('sha256', key).update(Buffer.from(String(id), 'utf8')).digest().subarray(0, 16).toString('hex');
const RELEASE_KEY = derivePurposeKey(DEMO_MASTER, PURPOSES.release('prj_demo'));
const INDEPENDENT_KEY = independentKey(DEMO_MASTER, 'prj_demo');
/** Test-side decoding of the whole column (fine in tests, not in kernels). */
const strings = (ids: ArrayLike<number>, key = RELEASE_KEY): string[] =>
  [...new Vector([releasePseudonyms(key, ids)])] as string[];
const personIds = fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { minLength: 1, maxLength: 30 });

t.test('pins the release pseudonyms of the demo project key (determinism contract)', async (t) => {
  const ids = [1, 42, Number.MAX_SAFE_INTEGER];
  const pinned = [
    'fdf38eb413a8ae838b4e67b2e36e67d9',
    'bff0f5cd9a83742e37df5997eefa29f6',
    'd5d192c5046ae08f68c292b676a4fc8c',
  ];
  t.same(ids.map((id) => expected(INDEPENDENT_KEY, id)), pinned, 'the pins are what node:crypto computes from the specification');
  t.same(strings(ids), pinned);
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
    return ids.every((id, i) => got[i] === expected(INDEPENDENT_KEY, id));
  }), { seed: 21, numRuns: 150 });
  const small = Int32Array.of(7, 10, 100, 2147483647);
  t.same(strings(small), Array.from(small, (id) => expected(INDEPENDENT_KEY, id)));
});

t.test('agrees with node:crypto under any project\'s key', async (t) => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 20 }), personIds, (project, ids) => {
    const got = strings(ids, derivePurposeKey(DEMO_MASTER, PURPOSES.release(project)));
    const key = independentKey(DEMO_MASTER, project);
    return ids.every((id, i) => got[i] === expected(key, id));
  }), { seed: 23, numRuns: 100 });
});

t.test('builds fixed-width lowercase hex with offsets i * 32', async (t) => {
  const data = releasePseudonyms(RELEASE_KEY, [3, 1000, 99999999]);
  t.same(Array.from(data.valueOffsets), [0, 32, 64, 96]);
  t.equal(data.nullCount, 0);
  t.match(new TextDecoder().decode(data.values), /^[0-9a-f]{96}$/);
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
