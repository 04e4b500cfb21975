import { createHmac } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { dictionaryOfUtf8 } from '../../../src/pseudonymise/encode-dictionary.js';
import { encodeField } from '../../../src/pseudonymise/encode-field.js';
import { encodeNationalIdColumn, nationalIdDigits } from '../../../src/pseudonymise/encode-national-id.js';
import { encodingKeysFrom } from '../../../src/pseudonymise/encode-source.js';
import { derivePurposeKey, PURPOSES } from '../../../src/pseudonymise/key-derivation.js';
import { inszCheckDigits } from '../../../src/ingest/insz.js';

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const keys = encodingKeysFrom(MASTER);

function utf8Chunks(values: readonly (string | null)[], chunk: number): Data<Utf8>[] {
  if (values.length === 0) return [vectorFromArray([], new Utf8()).data[0]];
  const out: Data<Utf8>[] = [];
  for (let i = 0; i < values.length; i += chunk) out.push(vectorFromArray(values.slice(i, i + chunk), new Utf8()).data[0]);
  return out;
}

/** A national number written in the ways suppliers (and their tools) write it, or broken. */
const spelled = fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.integer({ min: 1, max: 997 }), fc.boolean(), fc.nat({ max: 12 }))
  .map(([yy, m, d, serial, from2000, style]) => {
    const body = `${String(yy).padStart(2, '0')}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}${String(serial).padStart(3, '0')}`;
    const n = body + inszCheckDigits(body, from2000);
    switch (style) {
      case 0: return `${n.slice(0, 2)}.${n.slice(2, 4)}.${n.slice(4, 6)}-${n.slice(6, 9)}.${n.slice(9)}`;
      case 1: return `  ${n} `;
      case 2: return `\t${n}`; // a tab: not a separator for the byte kernel, trimmed by the string path
      case 3: return String(Number(n)); // leading zeros lost
      case 4: return `${n.slice(0, 10)}${(Number(n[10]) + 1) % 10}`; // a typo in the check digits
      case 5: return `${n}\u00a0`; // a non-breaking space
      case 6: return ' . - ';
      case 7: return '   ';
      case 8: return `${n}x`;
      case 9: return `${n}1`; // 12 digits
      default: return n;
    }
  });

t.test('gives bit for bit the encoding of the dictionary path, for any spelling, null or chunking', async (t) => {
  fc.assert(fc.property(fc.array(fc.option(fc.oneof(spelled, fc.string({ maxLength: 14 })), { nil: null }), { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (values, chunk) => {
    const chunks = utf8Chunks(values, chunk);
    const fast = encodeNationalIdColumn('insz', chunks, keys.nationalId);
    const slow = encodeField({ name: 'insz', type: 'national_id' }, dictionaryOfUtf8(chunks), keys);
    return Buffer.compare(Buffer.from(fast.pseudonyms!), Buffer.from(slow.pseudonyms!)) === 0
      && Buffer.compare(Buffer.from(fast.field.tokens.buffer), Buffer.from(slow.field.tokens.buffer)) === 0
      && Buffer.compare(Buffer.from(fast.field.present), Buffer.from(slow.field.present)) === 0
      && fast.field.quality.nulls === slow.field.quality.nulls && fast.field.quality.invalid === slow.field.quality.invalid
      && fast.field.slots === 1 && fast.field.bloom === null;
  }), { numRuns: 300 });
});

t.test('the pseudonym is HMAC(link key, 11 normalised digits); nulls, blanks and faults are counted apart', async (t) => {
  const body = '850730033';
  const n = body + inszCheckDigits(body, false);
  const { field, pseudonyms } = encodeNationalIdColumn('insz', utf8Chunks([`${n.slice(0, 2)}.${n.slice(2, 4)}.${n.slice(4, 6)}-${n.slice(6, 9)}.${n.slice(9)}`, null, '  ', '--', 'garbage'], 5), keys.nationalId);
  const expected = createHmac('sha256', derivePurposeKey(MASTER, PURPOSES.nationalId)).update(n).digest();
  t.same(Buffer.from(pseudonyms!.subarray(0, 32)), expected);
  t.same([field.tokens[0], field.tokens[1]], [expected.readUInt32LE(0), expected.readUInt32LE(4)]);
  t.same([...field.present], [1, 0, 0, 0, 0]);
  t.same(field.quality, { nulls: 2, invalid: 2 }, 'null and blank are missing; "--" and letters are invalid');
  t.equal(Buffer.from(pseudonyms!.subarray(32)).every((b) => b === 0), true, 'no pseudonym for the others');
});

t.test('reads a sliced chunk through its offset (validity bitmap shared with the parent)', async (t) => {
  const body = '010203004';
  const n = body + inszCheckDigits(body, true);
  const whole = vectorFromArray([null, n, 'x', null, n], new Utf8()).data[0];
  const sliced = whole.slice(1, 3) as Data<Utf8>; // rows 1..3 (offset, length)
  const d = nationalIdDigits([sliced]);
  t.same([...d.present], [1, 0, 0]);
  t.equal(d.nulls, 1);
  t.equal(d.invalid, 1);
  t.equal(new TextDecoder().decode(d.digits.subarray(0, 11)), n);
});
