import { hkdfSync } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { KoppelError } from '../../../src/errors.js';
import { FIELD_TYPES } from '../../../src/model.js';
import { PURPOSES, derivePurposeKey } from '../../../src/pseudonymise/key-derivation.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** The demo master key: bytes 0x00..0x1f. */
const DEMO_MASTER = Uint8Array.from({ length: 32 }, (_, i) => i);

t.test('the pinned vectors are node:crypto HKDF-SHA256 of koppel/v1/<purpose>, computed here', async (t) => {
  for (const purpose of ['release:prj_demo', 'release:prj_demo:rel_demo']) {
    const key = Buffer.from(hkdfSync('sha256', DEMO_MASTER, Buffer.alloc(0), Buffer.from(`koppel/v1/${purpose}`, 'utf8'), 32));
    t.equal(hex(derivePurposeKey(DEMO_MASTER, purpose)), key.toString('hex'), purpose);
  }
});

t.test('pins the purpose keys of the demo master key (determinism contract)', async (t) => {
  // Changing any of these changes every stored pseudonym: do not update them casually.
  const vectors: Record<string, string> = {
    'link:national_id': '628268fe4f9d1c8a5c6d0c27736c47df0806142fe7884f3ebaa16fcbf1081052',
    'encode:given_name': 'c6f7df8b1ab48a1a838df2ff985e6f5d53c4c659e41f9597f9dcd1cd01cdaca0',
    'release:prj_demo': '29e1e71932669d8a66d1ed1ca490ff1c8ed614b6ba4c87b2b7fa0ef8e7d96e7e',
    'release:prj_demo:rel_demo': '0c9a33ad2301356f889cc5c5c954ed2d2b9b29c3901d1dcee7e6578743c6914e',
    audit: 'fa2114462538a4dabb003b1c482feac33ce2182684d55fc281a63b7ce8be9812',
  };
  for (const [purpose, expected] of Object.entries(vectors)) {
    t.equal(hex(derivePurposeKey(DEMO_MASTER, purpose)), expected, purpose);
  }
});

t.test('names the purposes with the contract strings', async (t) => {
  t.equal(PURPOSES.nationalId, 'link:national_id');
  t.equal(PURPOSES.encode('given_name'), 'encode:given_name');
  t.equal(PURPOSES.release('prj_demo'), 'release:prj_demo', 'a longitudinal project\'s releases');
  t.equal(PURPOSES.release('prj_demo', 'rel_demo'), 'release:prj_demo:rel_demo', 'one release (the default)');
  t.equal(PURPOSES.audit, 'audit');
  t.throws(() => PURPOSES.release(''), TypeError);
  t.throws(() => PURPOSES.release('prj_demo', ''), TypeError);
});

t.test('agrees with node:crypto hkdfSync for random master keys and purposes', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
    (master, purpose) => {
      const expected = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), Buffer.from(`koppel/v1/${purpose}`, 'utf8'), 32));
      return hex(derivePurposeKey(master, purpose)) === expected.toString('hex');
    },
  ), { seed: 20240101, numRuns: 200 });
  t.pass('200 random master keys and purposes agree');
});

t.test('derives a distinct key for every purpose', async (t) => {
  const purposes = [PURPOSES.nationalId, PURPOSES.audit, PURPOSES.release('a'), PURPOSES.release('b'), PURPOSES.release('a', 'r1'), PURPOSES.release('a', 'r2'),
    ...FIELD_TYPES.map((f) => PURPOSES.encode(f))];
  const keys = new Set(purposes.map((p) => hex(derivePurposeKey(DEMO_MASTER, p))));
  t.equal(keys.size, purposes.length);
  t.equal(derivePurposeKey(DEMO_MASTER, 'audit').length, 32);
});

t.test('rejects a master key that is not exactly 32 bytes, without echoing it', async (t) => {
  for (const len of [0, 16, 31, 33, 64]) {
    const bad = new Uint8Array(len).fill(0xab);
    try {
      derivePurposeKey(bad, PURPOSES.audit);
      t.fail(`accepted a ${len}-byte key`);
    } catch (err) {
      t.ok(err instanceof KoppelError, `${len} bytes: KoppelError`);
      t.equal((err as KoppelError).code, 'KOPPEL_ERR_KEY_INVALID');
      t.notMatch((err as Error).message, /ab/i, 'message holds no key bytes');
    }
  }
  t.throws(() => derivePurposeKey('x'.repeat(32) as unknown as Uint8Array, 'audit'), { code: 'KOPPEL_ERR_KEY_INVALID' });
  t.throws(() => derivePurposeKey(DEMO_MASTER, ''), TypeError);
});
