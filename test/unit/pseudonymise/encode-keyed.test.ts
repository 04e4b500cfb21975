import t from 'tap';
import fc from 'fast-check';
import { BloomHasher, foldBloom } from '../../../src/pseudonymise/encode-keyed.js';
import { derivePurposeKey, PURPOSES } from '../../../src/pseudonymise/key-derivation.js';

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => i + 7);
const key = derivePurposeKey(MASTER, PURPOSES.encode('given_name'));

t.test('a larger filter folded to a smaller size is, bit for bit, the smaller filter of the same names', async (t) => {
  const large = new BloomHasher(key, 16, 12);
  const small = new BloomHasher(key, 8, 12);
  fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 6 }), (names) => {
    const n = names.length;
    const wide = new Uint32Array(n * 16);
    const narrow = new Uint32Array(n * 8);
    names.forEach((name, r) => { large.encodeInto(name, wide, r * 16); small.encodeInto(name, narrow, r * 8); });
    const folded = foldBloom(wide, 16, 8, n);
    return folded.length === narrow.length && folded.every((w, i) => w === narrow[i]);
  }));
});

t.test('folding to the same size returns the filters unchanged', async (t) => {
  const bloom = Uint32Array.from([1, 2, 3, 4]);
  t.equal(foldBloom(bloom, 2, 2, 2), bloom);
});

t.test('a filter cannot be folded into a larger or a non-dividing size', async (t) => {
  const bloom = new Uint32Array(16);
  t.throws(() => foldBloom(bloom, 8, 16, 2), /cannot be folded/);
  t.throws(() => foldBloom(bloom, 16, 3, 1), /cannot be folded/);
});
