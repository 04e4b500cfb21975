import t from 'tap';
import { storeFixture } from './store-fixture.js';

const OLD = 'k20260101T000000Z-aaaa';
const NEW = 'k20260201T000000Z-bbbb';

/** `n` distinct 32-byte pseudonyms, back to back, starting at `from` (first byte = tag). */
function pseudonyms(tag: number, from: number, n: number): Uint8Array {
  const out = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    out[i * 32] = tag;
    new DataView(out.buffer).setUint32(i * 32 + 4, from + i);
  }
  return out;
}

t.test('one window at a time: start, close, and the pairs go with the window', async (t) => {
  const { store } = storeFixture(t);
  const rotations = store.keyRotations;
  t.equal(rotations.open(), null);
  t.equal(rotations.status(), null, 'no status before a first rotation');
  t.throws(() => rotations.close('cli', false), { code: 'KOPPEL_ERR_KEY_NO_ROTATION' });
  const window = rotations.start(OLD, NEW, 'cli');
  t.match(window, { old_key_id: OLD, new_key_id: NEW, started_by: 'cli', closed_at: null, forced: false });
  t.throws(() => rotations.start(NEW, 'k20260301T000000Z-cccc', 'cli'), { code: 'KOPPEL_ERR_KEY_ROTATION_OPEN' });
  rotations.addPairs('staging:x', pseudonyms(1, 0, 3), pseudonyms(2, 0, 3), 3);
  const closed = rotations.close('cli', true);
  t.match(closed, { closed_by: 'cli', forced: true });
  t.equal(rotations.open(), null);
  t.equal(rotations.latest()?.id, window.id, 'the closed window is still the latest');
  t.throws(() => rotations.addPairs('staging:x', pseudonyms(1, 0, 3), pseudonyms(2, 0, 2), 3), RangeError, 'pairs must come in equal numbers');
});

t.test('persons gain the other key\'s pseudonym through the pairs of the deliveries named, both ways, and status counts them', async (t) => {
  const { store } = storeFixture(t);
  const rotations = store.keyRotations;
  // Ten persons known under the old key: old pseudonyms 0..9.
  const known = store.resolvePersonsByPseudonym(pseudonyms(1, 0, 10), 10, OLD);
  rotations.start(OLD, NEW, 'cli');
  t.match(rotations.status(), { persons_old: 10, persons_mapped: 0 });
  // An upload sees persons 0..5 (old 0..5 = new 100..105); staged, then claimed by its delivery.
  rotations.addPairs('staging:a', pseudonyms(1, 0, 6), pseudonyms(2, 100, 6), 6);
  rotations.claimPairs('staging:a', 'dlv_a');
  rotations.addPairs('staging:b', pseudonyms(1, 6, 4), pseudonyms(2, 106, 4), 4);
  rotations.dropPairs('staging:b');
  t.equal(rotations.mapPersons(['dlv_other']), 0, 'pairs of other deliveries are not used');
  t.equal(rotations.mapPersons(['dlv_a']), 6);
  t.equal(rotations.mapPersons(['dlv_a']), 0, 'mapping again adds nothing');
  t.same([...store.lookupPersonsByPseudonym(pseudonyms(2, 100, 6), 6, NEW)], [...known.subarray(0, 6)], 'the new pseudonyms lead to the same person ids');
  t.match(rotations.status(), { persons_old: 10, persons_mapped: 6 }, 'the dropped pairs mapped nobody');

  // A person first given an id under the new key gains its old pseudonym.
  const fresh = store.resolvePersonsByPseudonym(pseudonyms(2, 200, 1), 1, NEW);
  rotations.addPairs('staging:c', pseudonyms(1, 50, 1), pseudonyms(2, 200, 1), 1);
  rotations.claimPairs('staging:c', 'dlv_c');
  t.equal(rotations.mapPersons(['dlv_c']), 1);
  t.same([...store.lookupPersonsByPseudonym(pseudonyms(1, 50, 1), 1, OLD)], [fresh[0]]);
  t.match(rotations.status(), { persons_old: 11, persons_mapped: 7, jobs_active: 0, datasets_waiting: [] });
});
