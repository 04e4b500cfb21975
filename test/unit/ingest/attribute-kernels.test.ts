import t from 'tap';
import fc from 'fast-check';
import { CodeSet, checkCodeColumn, markNulls, parseIntegerColumn, parseNumberBytes, parseNumberColumn } from '../../../src/ingest/attribute-kernels.js';
import { utf8FromStrings } from '../../../src/util/arrow-columns.js';

const num = (s: string) => {
  const b = new TextEncoder().encode(s);
  return parseNumberBytes(b, 0, b.length);
};
const valid = (validity: Uint8Array, i: number) => ((validity[i >> 3] >> (i & 7)) & 1) === 1;

t.test('reads numbers with a decimal point or a decimal comma', async (t) => {
  t.equal(num('1234'), 1234);
  t.equal(num('-12.5'), -12.5);
  t.equal(num('12,5'), 12.5);
  t.equal(num('+3'), 3);
  t.equal(num('.5'), 0.5);
  t.equal(num('0,1'), 0.1);
  t.equal(num('1e-5'), 1e-5);
  t.equal(num('2,5E3'), 2500);
  t.equal(num('12345678901234567890'), 12345678901234567890);
  for (const bad of ['1.234,5', '1,234.5', '1 000', '12a', 'e5', '-', '.', '1e', '1e+', 'NaN', 'Infinity', '0x10', '--1']) t.ok(Number.isNaN(num(bad)), bad);
});

t.test('any double printed by JavaScript, with either decimal mark, reads back exactly', async () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), (x, comma) => {
      const text = String(x).replace('.', comma ? ',' : '.');
      const back = num(text);
      return Object.is(back, x) || (back === 0 && x === 0);
    }),
    { seed: 8, numRuns: 5000 },
  );
});

t.test('types a number column: empty is null, misfits are marked', async (t) => {
  const bad = new Uint8Array(5);
  const out = parseNumberColumn(utf8FromStrings([' 12,5 ', null, 'twelve', '', '7']), bad);
  t.same([...bad], [0, 0, 1, 0, 0]);
  t.equal(out.values[0], 12.5);
  t.equal(out.values[4], 7);
  t.same([0, 1, 2, 3, 4].map((i) => valid(out.validity, i)), [true, false, false, false, true]);
  t.equal(out.nullCount, 3);
});

t.test('types an integer column within the Int32 range', async (t) => {
  const values = ['42', '-2147483648', '2147483647', '2147483648', '1.0', '+7', ' 8 ', '', '99999999999'];
  const bad = new Uint8Array(values.length);
  const out = parseIntegerColumn(utf8FromStrings(values), bad);
  t.same([...bad], [0, 0, 0, 1, 1, 0, 0, 0, 1]);
  t.same([...out.values].filter((_, i) => valid(out.validity, i)), [42, -2147483648, 2147483647, 7, 8]);
});

t.test('checks codes against the code list, exactly', async (t) => {
  const codes = new CodeSet(['11001', '44021', 'M', 'Ü', '']);
  const col = utf8FromStrings(['11001', '44021 ', 'M', 'm', 'Ü', null, '4402']);
  const bad = new Uint8Array(col.length);
  checkCodeColumn(col, codes, bad);
  t.same([...bad], [0, 1, 0, 1, 0, 0, 1]);
  // A large list (NIS codes) hashes without collisions going wrong.
  const many = Array.from({ length: 5000 }, (_, k) => String(10000 + k * 7));
  const set = new CodeSet(many);
  const probe = utf8FromStrings([...many, ...many.map((c) => c + '0')]);
  const marks = new Uint8Array(probe.length);
  checkCodeColumn(probe, set, marks);
  t.equal(marks.slice(0, 5000).reduce((a, b) => a + b, 0), 0);
  t.equal(marks.slice(5000).reduce((a, b) => a + b, 0), 5000);
});

t.test('marks nulls for required columns', async (t) => {
  const bad = new Uint8Array(3);
  markNulls(utf8FromStrings(['a', null, 'b']), bad);
  t.same([...bad], [0, 1, 0]);
});
