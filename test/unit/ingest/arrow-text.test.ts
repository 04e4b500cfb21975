import t, { type Test } from 'tap';
import {
  Binary, Bool, DateDay, DateMillisecond, Decimal, Dictionary, Field, Float16, Float32, Float64, Int16, Int32, Int64, Int8, LargeUtf8, List,
  Null, Struct, TimeMillisecond, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, Uint32, Uint64, Uint8,
  Utf8, Utf8View, makeData, vectorFromArray, type Data, type DataType,
} from 'apache-arrow';
import { textOf, unreadableType } from '../../../src/ingest/arrow-text.js';
import { floorDiv64 } from '../../../src/ingest/date-text.js';
import { utf8FromStrings, utf8ToStrings } from '../../../src/util/arrow-columns.js';
import { compileDateFormat, parseDateBytes, type DateFormat } from '../../../src/ingest/date-format.js';

/** The text of a chunk, after checking the invariants every later stage relies on. */
function texts(t: Test, data: Data, dateFormat?: DateFormat): (string | null)[] {
  const out = textOf(data, { column: 'c', firstRow: 1, dateFormat });
  t.equal(out.length, data.length, 'one text per row');
  t.equal(out.offset, 0, 'a fresh chunk (offset 0)');
  t.equal(out.valueOffsets[0], 0, 'offsets start at 0');
  let nulls = 0;
  for (let i = 0; i < out.length; i++) {
    const valid = out.nullCount === 0 || ((out.nullBitmap[i >> 3] >> (i & 7)) & 1) === 1;
    const len = out.valueOffsets[i + 1] - out.valueOffsets[i];
    if (!valid) nulls++;
    if (valid !== len > 0) t.fail(`row ${i}: null exactly when empty`);
  }
  t.equal(out.nullCount, nulls, 'the null count matches the bitmap');
  return utf8ToStrings(out);
}

function chunk<T extends DataType>(values: unknown[], type: T): Data<T> {
  return vectorFromArray(values as never, type).data[0] as Data<T>;
}

const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

t.test('integers of every width become their decimal text, nulls stay null', async (t) => {
  t.same(texts(t, chunk([1, -128, null, 127, 0], new Int8())), ['1', '-128', null, '127', '0']);
  t.same(texts(t, chunk([-32768, 42], new Int16())), ['-32768', '42']);
  t.same(texts(t, chunk([2147483647, -2147483648, null], new Int32())), ['2147483647', '-2147483648', null]);
  t.same(texts(t, chunk([255, 0], new Uint8())), ['255', '0']);
  t.same(texts(t, chunk([4294967295, 7], new Uint32())), ['4294967295', '7']);
  t.same(
    texts(t, chunk([1n, -1n, 9007199254740993n, -9223372036854775808n, null, 0n], new Int64())),
    ['1', '-1', '9007199254740993', '-9223372036854775808', null, '0'],
    'Int64 beyond 2^53 exactly',
  );
  t.same(texts(t, chunk([18446744073709551615n, 5n], new Uint64())), ['18446744073709551615', '5'], 'Uint64 at its maximum');
});

t.test('floats become their shortest round-trip text; NaN is null', async (t) => {
  t.same(texts(t, chunk([0.1, -1e-7, 1234.5, NaN, null, 1e21, Infinity], new Float64())), ['0.1', '-1e-7', '1234.5', null, null, '1e+21', 'Infinity']);
  t.same(texts(t, chunk([0.5, 2], new Float32())), ['0.5', '2']);
  // Float16 is stored as its bits: 0x3c00 = 1, 0xc000 = -2, 0x3555 ~ 0.333.
  const half = makeData({ type: new Float16(), length: 3, data: Uint16Array.from([0x3c00, 0xc000, 0x7e00]) });
  t.same(texts(t, half), ['1', '-2', null]);
});

t.test('booleans become true and false, also in a slice that starts mid-byte', async (t) => {
  const bools = chunk([true, false, null, true, true, false, false, true, false, true], new Bool());
  t.same(texts(t, bools), ['true', 'false', null, 'true', 'true', 'false', 'false', 'true', 'false', 'true']);
  t.same(texts(t, bools.slice(3, 6)), ['true', 'true', 'false', 'false', 'true', 'false']);
});

t.test('decimals keep their scale, sign and size', async (t) => {
  const words = new Uint32Array(4 * 5);
  const put = (i: number, v: bigint) => {
    const u = BigInt.asUintN(128, v);
    for (let w = 0; w < 4; w++) words[4 * i + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
  };
  put(0, 1250n);
  put(1, -5n);
  put(2, 0n);
  put(3, 123456789012345678901234567890n);
  put(4, -100n);
  const dec = makeData({ type: new Decimal(2, 38, 128), length: 5, data: words });
  t.same(texts(t, dec), ['12.50', '-0.05', '0.00', '1234567890123456789012345678.90', '-1.00']);
  const whole = makeData({ type: new Decimal(-2, 10, 128), length: 2, data: words.slice(0, 8) });
  t.same(texts(t, whole), ['125000', '-500'], 'a negative scale appends zeros');
});

t.test('Date32 and Date64 become YYYY-MM-DD, before and after 1970, leap days included', async (t) => {
  const days = chunk([new Date(day(1985, 7, 30)), new Date(day(1969, 12, 31)), null, new Date(day(2004, 2, 29)), new Date(day(1900, 3, 1))], new DateDay());
  t.same(texts(t, days), ['1985-07-30', '1969-12-31', null, '2004-02-29', '1900-03-01']);
  const ms = makeData({ type: new DateMillisecond(), length: 2, data: BigInt64Array.from([BigInt(day(2000, 1, 1)), BigInt(day(1950, 6, 15))]) });
  t.same(texts(t, ms), ['2000-01-01', '1950-06-15']);
});

t.test('dates are written in the target column format', async (t) => {
  const days = chunk([new Date(day(1985, 7, 3)), null], new DateDay());
  t.same(texts(t, days, compileDateFormat('DD/MM/YYYY', 'test')), ['03/07/1985', null]);
  t.same(texts(t, days, compileDateFormat('YYYYMMDD', 'test')), ['19850703', null]);
});

t.test('a date outside years 1-9999 is written so that no format parses it back', async (t) => {
  const fmt = compileDateFormat('DD/MM/YYYY', 'test');
  const far = makeData({ type: new DateDay(), length: 2, data: Int32Array.from([2_932_897, -719_530]) }); // 10000-01-01, 1 BC
  const out = textOf(far, { column: 'c', firstRow: 1, dateFormat: fmt });
  t.same(utf8ToStrings(out), ['01/01/10000', '30/12/-1']);
  for (let i = 0; i < 2; i++) t.equal(parseDateBytes(out.values, out.valueOffsets[i], out.valueOffsets[i + 1], fmt), -1, `row ${i + 1} reads as a bad date`);
});

t.test('timestamps of every unit give the UTC day, exactly at midnight and just before it', async (t) => {
  const midnight = day(1990, 1, 1);
  const cases: [DataType, bigint][] = [
    [new TimestampSecond(), 1n],
    [new TimestampMillisecond(), 1000n],
    [new TimestampMicrosecond(), 1_000_000n],
    [new TimestampNanosecond(), 1_000_000_000n],
  ];
  for (const [type, perSecond] of cases) {
    const at = (ms: number) => (BigInt(ms) * perSecond) / 1000n;
    const values = BigInt64Array.from([at(midnight), at(midnight) - 1n, at(day(1960, 5, 17) + 3_600_000), at(0)]);
    const data = makeData({ type, length: 4, data: values } as never) as Data;
    t.same(texts(t, data), ['1990-01-01', '1989-12-31', '1960-05-17', '1970-01-01'], String(type));
  }
});

t.test('a timestamp with a time zone gives the day in that zone', async (t) => {
  // Local midnight in Brussels: 23:00 UTC the day before in winter, 22:00 in summer.
  const brussels = makeData({
    type: new TimestampMillisecond('Europe/Brussels'), length: 3,
    data: BigInt64Array.from([BigInt(day(1985, 7, 29) + 22 * 3_600_000), BigInt(day(1985, 1, 29) + 23 * 3_600_000), BigInt(day(1985, 1, 29) + 22 * 3_600_000)]),
  });
  t.same(texts(t, brussels), ['1985-07-30', '1985-01-30', '1985-01-29']);
  const fixed = makeData({ type: new TimestampMillisecond('-05:00'), length: 1, data: BigInt64Array.from([BigInt(day(2020, 3, 1) + 2 * 3_600_000)]) });
  t.same(texts(t, fixed), ['2020-02-29'], 'a fixed offset');
  const utc = makeData({ type: new TimestampMillisecond('UTC'), length: 1, data: BigInt64Array.from([BigInt(day(2020, 3, 1))]) });
  t.same(texts(t, utc), ['2020-03-01']);
  t.match(unreadableType(new TimestampMillisecond('Mars/Olympus_Mons')), /time zone/, 'an unknown zone is refused before reading');
});

t.test('text: empty strings become null, slices are rebased, null rows lose their bytes', async (t) => {
  const words = utf8FromStrings(['a', '', null, 'Öztürk', 'x']);
  t.same(texts(t, words), ['a', null, null, 'Öztürk', 'x']);
  t.same(texts(t, words.slice(3, 2)), ['Öztürk', 'x'], 'a slice whose offsets do not start at 0');
  // A null row whose offsets still span bytes (Arrow allows it): the bytes must not survive.
  const values = new TextEncoder().encode('abcdef');
  const sneaky = makeData({ type: new Utf8(), length: 2, nullCount: 1, nullBitmap: Uint8Array.from([0b10]), valueOffsets: Int32Array.from([0, 3, 6]), data: values });
  const out = textOf(sneaky, { column: 'c', firstRow: 1 });
  t.same(utf8ToStrings(out), [null, 'def']);
  t.equal(out.valueOffsets[1], 0, 'the null row has no bytes');
  const large = makeData({ type: new LargeUtf8(), length: 3, valueOffsets: BigInt64Array.from([0n, 3n, 3n, 5n]), data: new TextEncoder().encode('héé') });
  t.same(texts(t, large), ['h\u00e9', null, '\u00e9'], 'LargeUtf8');
});

t.test('Utf8View: inline and referenced values', async (t) => {
  const long = 'Van den Broeck-Vandenbroeck';
  const buffer = new TextEncoder().encode(`xx${long}`);
  const views = new Uint8Array(16 * 3);
  const dv = new DataView(views.buffer);
  dv.setInt32(0, 3, true);
  views.set(new TextEncoder().encode('Ann'), 4);
  dv.setInt32(16, 0, true);
  dv.setInt32(32, long.length, true);
  dv.setInt32(32 + 8, 0, true);
  dv.setInt32(32 + 12, 2, true);
  const data = makeData({ type: new Utf8View(), length: 3, views, variadicBuffers: [buffer] } as never) as Data;
  t.same(texts(t, data), ['Ann', null, long]);
});

t.test('dictionary-encoded strings are decoded; null keys and null or empty entries are null', async (t) => {
  const dict = chunk(['Maes', 'Peeters', null, 'Maes', ''], new Dictionary(new Utf8(), new Int32()));
  t.same(texts(t, dict), ['Maes', 'Peeters', null, 'Maes', null]);
  t.same(texts(t, dict.slice(1, 3)), ['Peeters', null, 'Maes'], 'a slice of a dictionary column');
  const numbers = chunk([10, 20, 10], new Dictionary(new Int32(), new Int8()));
  t.same(texts(t, numbers), ['10', '20', '10'], 'a dictionary of integers');
});

t.test('64-bit floor division is exact on both sides of zero', async (t) => {
  const words = (v: bigint): [number, number] => [Number(BigInt.asIntN(32, v >> 32n)), Number(BigInt.asUintN(32, v))];
  for (const v of [0n, 1n, -1n, 999_999n, -1_000_000n, -1_000_001n, 631_152_000_000_000_000n - 1n, -9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n]) {
    const [hi, lo] = words(v);
    const expected = v >= 0n ? v / 1_000_000n : -((-v + 999_999n) / 1_000_000n);
    t.equal(floorDiv64(hi, lo, 1_000_000), Number(expected), `${v} / 1e6`);
  }
});

t.test('a Null column is all null', async (t) => {
  t.same(texts(t, makeData({ type: new Null(), length: 3 })), [null, null, null]);
});

t.test('text that is not UTF-8 is refused with its row, never its bytes', async (t) => {
  const bad = makeData({ type: new Utf8(), length: 3, valueOffsets: Int32Array.from([0, 2, 4, 6]), data: Uint8Array.from([0x61, 0x62, 0x4a, 0xe9, 0x63, 0x64]) });
  t.throws(() => textOf(bad, { column: 'familienaam', firstRow: 101 }), { code: 'KOPPEL_ERR_INGEST_ENCODING', message: /row 102, column familienaam/ });
  // "é" split over two rows: each half is invalid on its own though the whole buffer is valid.
  const split = makeData({ type: new Utf8(), length: 2, valueOffsets: Int32Array.from([0, 2, 4]), data: Uint8Array.from([0x61, 0xc3, 0xa9, 0x62]) });
  t.throws(() => textOf(split, { column: 'c', firstRow: 1 }), { code: 'KOPPEL_ERR_INGEST_ENCODING', message: /row 1, column c|row 2, column c/ });
});

t.test('types with no text form are named, and refused if read anyway', async (t) => {
  t.equal(unreadableType(new Utf8()), null);
  t.equal(unreadableType(new Dictionary(new Utf8(), new Int32())), null);
  t.equal(unreadableType(new TimestampNanosecond()), null);
  for (const type of [new List(new Field('item', new Int32())), new Struct([new Field('a', new Int32())]), new Binary(), new TimeMillisecond()]) {
    t.type(unreadableType(type), 'string', `${String(type)} has no text form`);
  }
  t.match(unreadableType(new Dictionary(new Binary(), new Int32())), /dictionary of/);
  const list = vectorFromArray([[1], [2, 3]], new List(new Field('item', new Int32()))).data[0];
  t.throws(() => textOf(list, { column: 'c', firstRow: 1 }), { code: 'KOPPEL_ERR_INGEST_COLUMN_TYPE' });
});

t.test('a float column of a million rows converts in well under a second', async (t) => {
  const n = 1_000_000;
  const ints = makeData({ type: new Int32(), length: n, data: Int32Array.from({ length: n }, (_, i) => i * 7 - 3_000_000) });
  const floats = makeData({ type: new Float64(), length: n, data: Float64Array.from({ length: n }, (_, i) => i / 8) });
  const started = performance.now();
  const a = textOf(ints, { column: 'c', firstRow: 1 });
  const b = textOf(floats, { column: 'c', firstRow: 1 });
  const ms = performance.now() - started;
  t.equal(a.length + b.length, 2 * n);
  t.ok(ms < 3000, `${ms.toFixed(0)} ms for two million values`);
});
