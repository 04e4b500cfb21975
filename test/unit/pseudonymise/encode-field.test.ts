import { createHmac } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { vectorFromArray, Utf8, type Data } from 'apache-arrow';
import { dictionaryOfStrings, dictionaryOfUtf8 } from '../../../src/pseudonymise/encode-dictionary.js';
import { FieldEncoder, encodeField } from '../../../src/pseudonymise/encode-field.js';
import { encodingKeysFrom } from '../../../src/pseudonymise/encode-source.js';
import { BloomHasher } from '../../../src/pseudonymise/encode-keyed.js';
import { inszCheckDigits as nationalIdCheck } from '../../../src/ingest/insz.js';
import { bloomDice } from '../../../src/link/comparison.js';
import { derivePurposeKey, PURPOSES } from '../../../src/pseudonymise/key-derivation.js';
import { DATE_OK, compileDateFormat, parseDateColumn } from '../../../src/ingest/date-format.js';
import { utf8FromStrings } from '../../../src/util/arrow-columns.js';

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const keys = encodingKeysFrom(MASTER);
const token = (f: { tokens: Uint32Array; slots: number }, row: number, slot = 0) => [f.tokens[(row * f.slots + slot) * 2], f.tokens[(row * f.slots + slot) * 2 + 1]];

t.test('spellings of one surname get the same whole-value token; another surname does not', async (t) => {
  const { field } = encodeField({ name: 'surname', type: 'surname' }, dictionaryOfStrings(['Van den Broeck', 'VANDENBROECK', 'van den broeck', 'Peeters']), keys);
  t.same(token(field, 0), token(field, 1));
  t.same(token(field, 0), token(field, 2));
  t.notSame(token(field, 0), token(field, 3));
});

t.test('a token is the first 8 bytes of HMAC(encode key, tag || normalised value)', async (t) => {
  const { field } = encodeField({ name: 'surname', type: 'surname' }, dictionaryOfStrings(['Öztürk']), keys);
  const key = derivePurposeKey(MASTER, PURPOSES.encode('surname'));
  const expected = createHmac('sha256', key).update(Buffer.concat([Buffer.of(1), Buffer.from('ozturk')])).digest();
  t.same(token(field, 0), [expected.readUInt32LE(0), expected.readUInt32LE(4)]);
});

t.test('the national id pseudonym is HMAC(link key, 11 ASCII digits) of the normalised number', async (t) => {
  const body = '850730033';
  const insz = body + nationalIdCheck(body, false);
  const dotted = `${insz.slice(0, 2)}.${insz.slice(2, 4)}.${insz.slice(4, 6)}-${insz.slice(6, 9)}.${insz.slice(9)}`;
  const { field, pseudonyms } = encodeField({ name: 'insz', type: 'national_id' }, dictionaryOfStrings([dotted, 'garbage', null]), keys);
  const expected = createHmac('sha256', derivePurposeKey(MASTER, PURPOSES.nationalId)).update(insz).digest();
  t.same(Buffer.from(pseudonyms!.subarray(0, 32)), expected);
  t.same(token(field, 0), [expected.readUInt32LE(0), expected.readUInt32LE(4)]);
  t.same(field.quality, { nulls: 1, invalid: 1 });
  t.same([...field.present], [1, 0, 0]);
});

t.test('keys differ per master key: the same value gets unrelated tokens', async (t) => {
  const other = encodingKeysFrom(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));
  const a = encodeField({ name: 's', type: 'surname' }, dictionaryOfStrings(['Peeters']), keys).field;
  const b = encodeField({ name: 's', type: 'surname' }, dictionaryOfStrings(['Peeters']), other).field;
  t.notSame(token(a, 0), token(b, 0));
});

t.test('a swapped day and month of one date equals the plain date of the other', async (t) => {
  const { field } = encodeField({ name: 'dob', type: 'date', format: 'YYYY-MM-DD' }, dictionaryOfStrings(['1985-03-07', '1985-07-03', '1985-13-40', '']), keys);
  t.same(token(field, 0, 1), token(field, 1, 0));
  t.same(token(field, 1, 1), token(field, 0, 0));
  t.same(field.quality, { nulls: 1, invalid: 1 });
});

t.test('given names and surnames share the cross token space (swapped names)', async (t) => {
  const g = encodeField({ name: 'g', type: 'given_name' }, dictionaryOfStrings(['Martin']), keys).field;
  const s = encodeField({ name: 's', type: 'surname' }, dictionaryOfStrings(['MARTIN']), keys).field;
  t.same(token(g, 0, 3), token(s, 0, 3));
  t.notSame(token(g, 0, 0), token(s, 0, 0), 'whole-value tokens stay keyed per type');
});

t.test('no normalised value appears in the encoded bytes', async (t) => {
  const names = ['Vandenbroeck', 'Janssens', 'Peeters', 'Öztürk'];
  const { field } = encodeField({ name: 's', type: 'surname' }, dictionaryOfStrings(names), keys);
  const bytes = Buffer.concat([Buffer.from(field.tokens.buffer), Buffer.from(field.bloom!.buffer)]);
  for (const n of ['vandenbroeck', 'janssens', 'peeters', 'ozturk', 'broeck', 'jans']) t.equal(bytes.indexOf(n), -1, n);
});

t.test('Dice of keyed Bloom filters is symmetric, 1 on equal values and high for a typo', async (t) => {
  const bloom = new BloomHasher(derivePurposeKey(MASTER, PURPOSES.encode('surname')), 16, 12);
  const enc = (s: string) => { const out = new Uint32Array(16); bloom.encodeInto(s, out, 0); return out; };
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 1, maxLength: 12 }), (x, y) => {
    const a = enc(x); const b = enc(y);
    return bloomDice(a, 0, b, 0, 16) === bloomDice(b, 0, a, 0, 16) && bloomDice(a, 0, a, 0, 16) === 1;
  }));
  t.ok(bloomDice(enc('janssens'), 0, enc('jansens'), 0, 16) > 0.8);
  t.ok(bloomDice(enc('janssens'), 0, enc('maes'), 0, 16) < 0.4);
});

t.test('reads Arrow Utf8 chunks through their buffers, sliced chunks and nulls included', async (t) => {
  const v = vectorFromArray(['Jan', null, 'Piet', 'Jan', ' '], new Utf8());
  const sliced = v.data[0].slice(1, 3) as Data<Utf8>; // (offset, length): null, Piet, Jan
  const dict = dictionaryOfUtf8([v.data[0] as Data<Utf8>, sliced]);
  t.same([...dict.codes], [0, -1, 1, 0, -1, -1, 1, 0]);
  t.same(dict.values, ['Jan', 'Piet']);
});

t.test('a field encoder gives each chunk what encodeField gives it alone, values repeating across chunks or not', async (t) => {
  const chunk = (values: (string | null)[]) => vectorFromArray(values, new Utf8()).data[0] as Data<Utf8>;
  const specs = [
    { name: 'voornaam', type: 'given_name' as const },
    { name: 'geboortedatum', type: 'date' as const, format: 'YYYY-MM-DD' },
    { name: 'insz', type: 'national_id' as const },
  ];
  const batches: Record<string, (string | null)[][]> = {
    voornaam: [['Jan', 'Marie', null, ''], ['Marie', 'Élodie', 'Jan', 'jan '], ['Noor']],
    geboortedatum: [['1985-07-30', 'not a date', '1990-02-29'], ['1985-07-30', '2001-12-01', null], ['1985-07-30']],
    insz: [['85073003328', '12345678901', ''], ['85.07.30-033.28', '00000000097', null], ['85073003328']],
  };
  for (const spec of specs) {
    const encoder = new FieldEncoder(spec, keys);
    for (const [i, values] of batches[spec.name].entries()) {
      const got = encoder.encode([chunk(values)]);
      const want = encodeField(spec, dictionaryOfUtf8([chunk(values)]), keys);
      t.same(got.field, want.field, `${spec.name}, chunk ${i}`);
      t.same(got.pseudonyms, want.pseudonyms, `${spec.name}, chunk ${i}: pseudonyms`);
    }
  }
});

t.test('a date field encodes exactly the values the ingest date kernel accepts', async (t) => {
  // A mix of values the two parsers once disagreed on (date-format.test.ts names them all).
  const values = ['30/07/1985', '30.07.1985', '30-07-1985', '7031985', '31/12/2200', '31/12/1799', '31/12/9999', '30 07 1985', '(30/07/1985)', '31/02/1985'];
  const { field } = encodeField({ name: 'dob', type: 'date', format: 'DD/MM/YYYY' }, dictionaryOfStrings(values), keys);
  const parsed = parseDateColumn(utf8FromStrings(values), compileDateFormat('DD/MM/YYYY', 'test'));
  t.same([...field.present], [...parsed.status].map((s) => (s === DATE_OK ? 1 : 0)));
  t.same([...field.present], [1, 1, 1, 0, 1, 0, 0, 0, 0, 0], 'only a format without separators (DDMMYYYY) takes 7 digits');
  t.same(token(field, 0), token(field, 1), 'mixed separators, one date, one encoding');
});
