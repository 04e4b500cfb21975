import t from 'tap';
import { Utf8, vectorFromArray, type Data } from 'apache-arrow';
import type { ColumnSpec } from '../../../src/model.js';
import { Table, Vector, type FixedSizeBinary } from 'apache-arrow';
import { LinkageEncoder, encodeLinkageBatch, encodedSourceOf, encodingFields } from '../../../src/pipeline/linkage-encoding.js';
import { DELIVERY_FORMAT } from '../../../src/pipeline/delivery-format.js';
import { dictionaryOfUtf8 } from '../../../src/pseudonymise/encode-dictionary.js';
import { encodeField } from '../../../src/pseudonymise/encode-field.js';
import { encodingKeysFrom } from '../../../src/pseudonymise/encode-source.js';
import { BLOOM_SHAPE, type FieldQuality } from '../../../src/pseudonymise/encoded-source.js';
import type { FieldType } from '../../../src/model.js';

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

/** linkage.arrow's encoding columns for `values`, with given names' and surnames' filters of `nameWords` words. */
async function storedTable(columns: readonly ColumnSpec[], values: Record<string, (string | null)[]>, nameWords: number): Promise<Table> {
  const shape = BLOOM_SHAPE as Record<FieldType, { words: number; k: number }>;
  const saved = { given_name: shape.given_name, surname: shape.surname };
  shape.given_name = { ...saved.given_name, words: nameWords };
  shape.surname = { ...saved.surname, words: nameWords };
  try {
    const data = await encodeLinkageBatch(columns, new Map(Object.entries(values).map(([k, v]) => [k, utf8(v)])), keys, {});
    const names = columns.flatMap(encodingFields).map((f) => f.name);
    return new Table(Object.fromEntries(names.map((name, i) => [name, new Vector([data[i] as Data<FixedSizeBinary>])])));
  } finally {
    Object.assign(shape, saved);
  }
}

t.test('a linkage table of format 1 (16-word name filters) reads as the format 2 table of the same values', async (t) => {
  const columns: ColumnSpec[] = [
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'familienaam', role: 'linkage', type: 'surname' },
  ];
  const values = { voornaam: ['An', 'Jan-Pieter', null, 'Mohammed'], familienaam: ['Peeters', 'Van den Broeck', 'Maes', ''] };
  const old = await storedTable(columns, values, 16);
  const now = await storedTable(columns, values, BLOOM_SHAPE.given_name.words);
  t.equal(old.schema.fields[1].type.byteWidth, 64, 'format 1 stored 64 bytes per name filter');
  t.equal(now.schema.fields[1].type.byteWidth, 32, 'format 2 stores 32');
  const fields = [{ name: 'given_name', type: 'given_name' as const }, { name: 'surname', type: 'surname' as const }];
  const columnOf = new Map([['given_name', columns[0]], ['surname', columns[1]]]);
  const a = encodedSourceOf('old', true, old, 1, fields, columnOf, {});
  const b = encodedSourceOf('now', true, now, DELIVERY_FORMAT, fields, columnOf, {});
  for (const f of [0, 1]) {
    t.same([...a.fields[f].bloom!], [...b.fields[f].bloom!], `${fields[f].name}: the same filters, bit for bit`);
    t.same([...a.fields[f].bloomPop!], [...b.fields[f].bloomPop!], `${fields[f].name}: the same popcounts`);
    t.same([...a.fields[f].tokens], [...b.fields[f].tokens], `${fields[f].name}: the same tokens`);
    t.same([...a.fields[f].present], [...b.fields[f].present]);
  }
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
