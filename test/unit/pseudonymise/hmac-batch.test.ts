import { createHmac } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Utf8, vectorFromArray } from 'apache-arrow';
import { derivePurposeKey, PURPOSES } from '../../../src/pseudonymise/key-derivation.js';
import { HmacSha256Key, hmacBytes, hmacFixedWidth, hmacVarWidth } from '../../../src/pseudonymise/hmac-batch.js';
import { hmacUtf8, pseudonymiseNationalIds, pseudonymiseNationalIdsInSlices } from '../../../src/pseudonymise/hmac-columns.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const nodeHmac = (key: Uint8Array, msg: Uint8Array): string => createHmac('sha256', key).update(msg).digest('hex');
const DEMO_MASTER = Uint8Array.from({ length: 32 }, (_, i) => i);
const LINK_KEY = derivePurposeKey(DEMO_MASTER, PURPOSES.nationalId);

/** Concatenate equal-width ASCII strings into one buffer, as ingest hands them over. */
const packed = (values: readonly string[]): Uint8Array => ascii(values.join(''));
const elevenDigits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 11, maxLength: 11 }).map((d) => d.join(''));

t.test('matches the RFC 4231 HMAC-SHA256 test cases, short and long keys and messages', async (t) => {
  t.equal(hex(hmacBytes(new Uint8Array(20).fill(0x0b), ascii('Hi There'))),
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7', 'case 1');
  t.equal(hex(hmacBytes(ascii('Jefe'), ascii('what do ya want for nothing?'))),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'case 2');
  const longKey = new Uint8Array(131).fill(0xaa);
  t.equal(hex(hmacBytes(longKey, ascii('Test Using Larger Than Block-Size Key - Hash Key First'))),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54', 'case 6 (54-byte message, one block)');
  t.equal(hex(hmacBytes(longKey, ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'))),
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2', 'case 7 (multi-block fallback)');
});

t.test('pins the linkage pseudonyms of the demo key (determinism contract)', async (t) => {
  const ids = ['85073003328', '00000000097', '01010100112'];
  const data = pseudonymiseNationalIds(LINK_KEY, packed(ids), new Uint8Array(3));
  const values = data.values;
  t.equal(hex(values.subarray(0, 32)), '35a540c16810dd0261872915be424aff80b386ccb9bfe07665047e73a6249647');
  t.equal(hex(values.subarray(32, 64)), '4afd6c509664e5d89f07166b68519b6fe7da042ac84168784164936222136852');
  t.equal(hex(values.subarray(64, 96)), '207c5f5e548174546089f5ecdaaf5dcfddada78db5fc5756140a77b43fdd565f');
});

t.test('agrees bit for bit with node:crypto and noble on random keys and 11-digit ids', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 0, maxLength: 100 }),
    fc.array(elevenDigits, { minLength: 1, maxLength: 20 }),
    (key, ids) => {
      const out = new Uint8Array(ids.length * 32);
      hmacFixedWidth(key, packed(ids), 11, ids.length, out);
      const nobleKeyed = hmac.create(sha256, key);
      return ids.every((id, i) => {
        const got = hex(out.subarray(i * 32, i * 32 + 32));
        return got === nodeHmac(key, ascii(id)) && got === hex(nobleKeyed.clone().update(ascii(id)).digest());
      });
    },
  ), { seed: 11, numRuns: 200 });
  t.pass('200 random batches agree with both references');
});

t.test('agrees with node:crypto for every fixed width, including widths past one block', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.integer({ min: 0, max: 130 }),
    fc.integer({ min: 1, max: 5 }),
    fc.integer(),
    (key, width, count, seed) => {
      const input = Uint8Array.from({ length: width * count }, (_, i) => (seed + i * 31) & 0xff);
      const out = new Uint8Array(count * 32);
      hmacFixedWidth(key, input, width, count, out);
      for (let i = 0; i < count; i++) {
        if (hex(out.subarray(i * 32, i * 32 + 32)) !== nodeHmac(key, input.subarray(i * width, (i + 1) * width))) return false;
      }
      return true;
    },
  ), { seed: 12, numRuns: 300 });
  t.pass('widths 0..130 agree');
});

t.test('hashes variable-width rows by offsets, short and long, like node:crypto', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.array(fc.uint8Array({ maxLength: 90 }), { minLength: 1, maxLength: 12 }),
    (key, rows) => {
      const offsets = new Int32Array(rows.length + 1);
      rows.forEach((r, i) => { offsets[i + 1] = offsets[i] + r.length; });
      const values = new Uint8Array(offsets[rows.length]);
      rows.forEach((r, i) => values.set(r, offsets[i]));
      const out = new Uint8Array(rows.length * 32);
      hmacVarWidth(key, values, offsets, rows.length, out);
      return rows.every((r, i) => hex(out.subarray(i * 32, i * 32 + 32)) === nodeHmac(key, r));
    },
  ), { seed: 13, numRuns: 200 });
  t.pass('random row lengths 0..90 agree');
});

t.test('writes the same bytes into an unaligned caller-owned buffer', async (t) => {
  const ids = ['85073003328', '99123199987', '12345678901'];
  const aligned = new Uint8Array(96);
  hmacFixedWidth(LINK_KEY, packed(ids), 11, 3, aligned);
  const backing = new Uint8Array(1 + 96 + 5).fill(0xee);
  const unaligned = backing.subarray(1, 97);
  hmacFixedWidth(LINK_KEY, packed(ids), 11, 3, unaligned);
  t.equal(hex(unaligned), hex(aligned));
  t.equal(backing[0], 0xee, 'byte before the window untouched');
  t.equal(backing[97], 0xee, 'byte after the window untouched');
});

t.test('a prepared key gives the same HMACs as the raw key', async (t) => {
  const prepared = new HmacSha256Key(LINK_KEY);
  t.equal(hex(hmacBytes(prepared, ascii('85073003328'))), hex(hmacBytes(LINK_KEY, ascii('85073003328'))));
  t.equal(hex(hmacBytes(prepared, new Uint8Array(80).fill(1))), nodeHmac(LINK_KEY, new Uint8Array(80).fill(1)));
});

t.test('leaves a null pseudonym with zero bytes for every row whose status is not valid', async (t) => {
  const ids = ['85073003328', '00000000000', '01010100112', 'xxxxxxxxxxx', '99123199987'];
  const status = Uint8Array.of(0, 2, 0, 1, 0);
  const data = pseudonymiseNationalIds(LINK_KEY, packed(ids), status);
  t.equal(data.length, 5);
  t.equal(data.nullCount, 2);
  t.same([0, 1, 2, 3, 4].map((i) => data.getValid(i)), [true, false, true, false, true]);
  t.equal(hex(data.values.subarray(32, 64)), '00'.repeat(32), 'null row 1 is zero-filled');
  t.equal(hex(data.values.subarray(96, 128)), '00'.repeat(32), 'null row 3 is zero-filled');
  t.equal(hex(data.values.subarray(128, 160)), nodeHmac(LINK_KEY, ascii('99123199987')));
  t.equal(data.type.byteWidth, 32);
});

t.test('omits the validity bitmap when every national number is valid', async (t) => {
  const data = pseudonymiseNationalIds(LINK_KEY, packed(['85073003328', '01010100112']), new Uint8Array(2));
  t.equal(data.nullCount, 0);
  t.ok(data.getValid(0) && data.getValid(1));
  const empty = pseudonymiseNationalIds(LINK_KEY, new Uint8Array(0), new Uint8Array(0));
  t.equal(empty.length, 0);
});

t.test('rejects digits whose length is not 11 bytes per status entry', async (t) => {
  t.throws(() => pseudonymiseNationalIds(LINK_KEY, new Uint8Array(21), new Uint8Array(2)), RangeError);
  t.throws(() => hmacFixedWidth(LINK_KEY, new Uint8Array(22), 11, 2, new Uint8Array(63)), RangeError);
});

t.test('hashes a sliced Utf8 column with nulls, honouring its offset', async (t) => {
  const strings = ['anna', null, 'Öztürk', 'van den broeck', null, 'x'.repeat(70), ''];
  const full = vectorFromArray(strings, new Utf8()).data[0];
  const sliced = full.slice(1, 6); // rows 1..6: null, Öztürk, van den broeck, null, long
  const data = hmacUtf8(LINK_KEY, sliced);
  t.equal(data.length, 6);
  t.equal(data.nullCount, 2);
  strings.slice(1).forEach((s, i) => {
    if (s === null) t.notOk(data.getValid(i), `row ${i} null`);
    else t.equal(hex(data.values.subarray(i * 32, i * 32 + 32)), nodeHmac(LINK_KEY, ascii(s)), `row ${i}`);
  });
});

t.test('national numbers pseudonymised in slices give the same column as in one call, nulls included', async (t) => {
  const n = 1000;
  const digits = new Uint8Array(n * 11);
  const status = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const text = String(10_000_000_000 + i * 7919).slice(0, 11);
    for (let d = 0; d < 11; d++) digits[i * 11 + d] = text.charCodeAt(d);
    if (i % 13 === 0) status[i] = 2;
  }
  const key = new Uint8Array(32).fill(9);
  let turns = 0;
  const sliced = await pseudonymiseNationalIdsInSlices(key, digits, status, async () => { turns++; }, 64);
  const whole = pseudonymiseNationalIds(key, digits, status);
  t.equal(turns, Math.ceil(n / 64), 'a turn after every slice');
  t.same(Buffer.from(sliced.values), Buffer.from(whole.values));
  t.equal(sliced.nullCount, whole.nullCount);
  t.same(Buffer.from(sliced.nullBitmap!), Buffer.from(whole.nullBitmap!));
});
