import t from 'tap';
import { Utf8, vectorFromArray, type Data } from 'apache-arrow';
import type { ColumnSpec } from '../../../src/model.js';
import { LinkageEncoder, encodeLinkageBatch } from '../../../src/pipeline/linkage-encoding.js';
import { dictionaryOfUtf8 } from '../../../src/pseudonymise/encode-dictionary.js';
import { encodeField } from '../../../src/pseudonymise/encode-field.js';
import { encodingKeysFrom } from '../../../src/pseudonymise/encode-source.js';
import type { FieldQuality } from '../../../src/pseudonymise/encoded-source.js';

const keys = encodingKeysFrom(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
const utf8 = (values: (string | null)[]): Data<Utf8> => vectorFromArray(values, new Utf8()).data[0] as Data<Utf8>;
const bytes = (d: Data): Buffer => Buffer.from(d.values.buffer, d.values.byteOffset, d.values.byteLength);

t.test('encodes a national_id linkage column from its bytes with the tokens the dictionary path gives', async (t) => {
  // Synthetic numbers: valid (two spellings of one, and a second number), a bad check digit, letters, blank, null.
  const values = ['85073003328', '85.07.30-033.28', '85073003329', 'ABC', '   ', null, '00000000097'];
  const column: ColumnSpec = { name: 'other_insz', role: 'linkage', type: 'national_id' };
  const quality: Record<string, FieldQuality> = {};
  const [tokens] = await encodeLinkageBatch([column], new Map([['other_insz', utf8(values)]]), keys, quality);
  const { field } = encodeField({ name: 'other_insz', type: 'national_id' }, dictionaryOfUtf8([utf8(values)]), keys);
  t.same(bytes(tokens), Buffer.from(field.tokens.buffer, field.tokens.byteOffset, field.tokens.byteLength));
  t.equal(tokens.nullCount, 4, 'only the three valid rows have tokens');
  t.same(quality.other_insz, { nulls: 2, invalid: 2 }, 'blank and null are missing; bad check digit and letters are invalid');
  t.same(bytes(tokens).subarray(0, 8), bytes(tokens).subarray(8, 16), 'two spellings of one number give one token');
});

t.test('an upload encoder keeps what it encoded: batch after batch, the same columns and counts as each batch alone', async (t) => {
  const columns: ColumnSpec[] = [
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'familienaam', role: 'linkage', type: 'surname' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'DD/MM/YYYY' },
  ];
  const batches = [
    { voornaam: ['An', 'Jan', null], familienaam: ['Peeters', 'Van den Broeck', 'Maes'], geboortedatum: ['01/02/1990', '31/02/1990', ''] },
    { voornaam: ['Jan', 'Lotte', 'An'], familienaam: ['Vandenbroeck', 'Peeters', ''], geboortedatum: ['01/02/1990', '15/08/1975', '01/02/1990'] },
  ];
  const encoder = new LinkageEncoder(columns, keys);
  const kept: Record<string, FieldQuality> = {};
  const alone: Record<string, FieldQuality> = {};
  for (const [i, b] of batches.entries()) {
    const cleartext = new Map(Object.entries(b).map(([k, v]) => [k, utf8(v)]));
    const got = await encoder.encodeBatch(cleartext, kept);
    const want = await encodeLinkageBatch(columns, cleartext, keys, alone);
    t.same(got.map(bytes), want.map(bytes), `batch ${i}: the same stored bytes`);
    t.same(got.map((d) => d.nullCount), want.map((d) => d.nullCount), `batch ${i}: the same nulls`);
  }
  t.same(kept, alone, 'the same quality counts');
  t.same(kept.geboortedatum, { nulls: 1, invalid: 1 });
});

t.test('a batch encoded in steps (many rows, long values, nulls, a sliced column) gives the bytes of one pass', async (t) => {
  const column: ColumnSpec = { name: 'voornaam', role: 'linkage', type: 'given_name' };
  const values = Array.from({ length: 1500 }, (_, i) => (i % 17 === 0 ? null : i % 250 === 3 ? 'Marie'.repeat(150) + String.fromCharCode(97 + (i % 26)) : `Naam${i % 700}`));
  const whole = utf8(['skip', ...values]);
  const sliced = whole.slice(1, values.length) as Data<Utf8>;
  const quality: Record<string, FieldQuality> = {};
  const [tokens, bloom] = await new LinkageEncoder([column], keys).encodeBatch(new Map([['voornaam', sliced]]), quality);
  const { field } = encodeField({ name: 'voornaam', type: 'given_name' }, dictionaryOfUtf8([utf8(values)]), keys);
  t.same(bytes(tokens), Buffer.from(field.tokens.buffer, field.tokens.byteOffset, field.tokens.byteLength), 'tokens');
  t.same(bytes(bloom), Buffer.from(field.bloom!.buffer, field.bloom!.byteOffset, field.bloom!.byteLength), 'Bloom filters');
  t.same(quality.voornaam, field.quality, 'counts');
  t.equal(tokens.nullCount, field.quality.nulls + field.quality.invalid);
});

t.test('a linkage value over 1 KiB is counted invalid and never encoded', async (t) => {
  const column: ColumnSpec = { name: 'voornaam', role: 'linkage', type: 'given_name' };
  const quality: Record<string, FieldQuality> = {};
  const [tokens] = await new LinkageEncoder([column], keys).encodeBatch(new Map([['voornaam', utf8(['An', 'x'.repeat(2000), null])]]), quality);
  t.same(quality.voornaam, { nulls: 1, invalid: 1 });
  t.equal(tokens.nullCount, 2, 'only the real name has tokens');
});
