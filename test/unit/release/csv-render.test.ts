import t from 'tap';
import fc from 'fast-check';
import {
  Bool, DateDay, Dictionary, Float64, Int32, Int64, TimestampMillisecond, Utf8, Table, Vector, vectorFromArray, tableFromArrays,
} from 'apache-arrow';
import { renderCsv, renderCsvToBuffer } from '../../../src/release/csv-render.js';

/** A strict RFC 4180 parser for the tests: fields as strings, null for an unquoted empty field. */
function parseCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    let field: string | null;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') { value += '"'; i += 2; } else if (text[i] === '"') { i++; break; } else { value += text[i++]; }
        if (i > text.length) throw new Error('unterminated quote');
      }
      field = value;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r') end++;
      field = end === i ? null : text.slice(i, end);
      if (field !== null && /["\n]/.test(field)) throw new Error('bare quote or LF in an unquoted field');
      i = end;
    }
    row.push(field);
    if (text[i] === ',') i++;
    else if (text[i] === '\r' && text[i + 1] === '\n') { rows.push(row); row = []; i += 2; } else throw new Error(`unexpected character at ${i}`);
  }
  return rows;
}

const utf8 = (values: (string | null)[]) => vectorFromArray(values, new Utf8());

t.test('prefixes hostile text cells with a quote and quotes what RFC 4180 requires', async (t) => {
  const hostile = ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tTAB', '\rCR', '=HYPERLINK("http://x","y")', 'safe', 'a,b', 'say "hi"', 'line\nbreak', '', null, ' =not first'];
  const table = new Table({ cell: utf8(hostile) });
  const text = (await renderCsvToBuffer(table)).toString('utf8');
  const rows = parseCsv(text);
  t.same(rows[0], ['cell']);
  t.same(rows.slice(1).map((r) => r[0]), [
    "'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR", '\'=HYPERLINK("http://x","y")', 'safe', 'a,b', 'say "hi"', 'line\nbreak', '', null, ' =not first',
  ]);
  t.ok(text.includes('"\'=HYPERLINK(""http://x"",""y"")"'), 'quotes doubled inside a quoted, prefixed field');
  t.ok(text.endsWith('\r\n'), 'the last line ends in CRLF');
  for (const line of text.split('\r\n').slice(1, -1)) {
    const first = line.replace(/^"/, '')[0];
    t.notOk(first !== undefined && '=+-@\t'.includes(first), `no line starts a formula: ${JSON.stringify(line)}`);
  }
});

t.test('prefixes a hostile header name too', async (t) => {
  const text = (await renderCsvToBuffer(new Table({ '=cmd': utf8(['x']) }))).toString();
  t.equal(text, "'=cmd\r\nx\r\n");
});

t.test('writes numeric columns as numbers, negative ones without a prefix', async (t) => {
  const table = new Table({
    i: vectorFromArray([-5, 0, 123456789, null], new Int32()),
    f: vectorFromArray([-0.5, 1e21, Number.NaN, 2], new Float64()),
    b: vectorFromArray([true, false, null, true], new Bool()),
    big: vectorFromArray([-9007199254740993n, 0n, 7n, null], new Int64()),
  });
  const text = (await renderCsvToBuffer(table)).toString();
  t.equal(text, 'i,f,b,big\r\n-5,-0.5,true,-9007199254740993\r\n0,1e+21,false,0\r\n123456789,,,7\r\n,2,true,\r\n');
});

t.test('writes dates, timestamps and dictionary-encoded text', async (t) => {
  const day = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));
  const table = new Table({
    d: vectorFromArray([day(2024, 2, 29), day(1969, 12, 31), day(2000, 1, 1), null], new DateDay()),
    ts: vectorFromArray([new Date(Date.UTC(2024, 2, 5, 10, 20, 30, 123)), new Date(Date.UTC(1999, 11, 31, 23, 59, 59)), null, null], new TimestampMillisecond()),
    code: vectorFromArray(['M', '=X', null, 'M'], new Dictionary(new Utf8(), new Int32())),
  });
  const rows = parseCsv((await renderCsvToBuffer(table)).toString());
  t.same(rows.slice(1), [
    ['2024-02-29', '2024-03-05T10:20:30.123', 'M'],
    ['1969-12-31', '1999-12-31T23:59:59', "'=X"],
    ['2000-01-01', null, null],
    [null, null, 'M'],
  ]);
});

t.test('streams in chunks, batch by batch, that concatenate to the same bytes', async (t) => {
  const n = 5000;
  const names = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? `-row ${i}` : `row, ${i}`));
  const whole = new Table({ name: utf8(names), n: vectorFromArray(Array.from({ length: n }, (_, i) => i), new Int32()) });
  const batched = new Table(whole.batches.flatMap((b) => [b.slice(0, 1234), b.slice(1234, 2000), b.slice(2000)]));
  t.equal(batched.batches.length, 3);
  const chunks: Buffer[] = [];
  for await (const chunk of renderCsv({ schema: batched.schema, batches: batched.batches }, { chunkBytes: 1024 })) chunks.push(chunk);
  t.ok(chunks.length > 10, `many chunks (${chunks.length})`);
  t.ok(chunks.every((c) => c.length < 4096), 'each chunk stays near the target size');
  t.same(Buffer.concat(chunks), await renderCsvToBuffer(whole), 'sliced batches render like the whole table');
  const rows = parseCsv(Buffer.concat(chunks).toString());
  t.equal(rows.length, n + 1);
  t.same(rows[1], ["'-row 0", '0']);
  t.same(rows[2], ['row, 1', '1']);
});

t.test('round-trips arbitrary text through a strict parser, with only the formula prefix added', async (t) => {
  fc.assert(fc.asyncProperty(fc.array(fc.option(fc.string({ unit: 'binary', maxLength: 12 }), { nil: null }), { maxLength: 20 }), async (values) => {
    const text = (await renderCsvToBuffer(new Table({ v: utf8(values) }))).toString('utf8');
    const rows = parseCsv(text).slice(1).map((r) => r[0]);
    const expected = values.map((v) => (v === null ? null : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v));
    return JSON.stringify(rows) === JSON.stringify(expected);
  }), { numRuns: 200 });
  t.pass('agrees');
});

t.test('renders an empty table as its header', async (t) => {
  const table = tableFromArrays({ a: new Int32Array(0) });
  t.equal((await renderCsvToBuffer(table)).toString(), 'a\r\n');
  t.equal((await renderCsvToBuffer(new Table({ x: new Vector([utf8([]).data[0]]) }))).toString(), 'x\r\n');
});
