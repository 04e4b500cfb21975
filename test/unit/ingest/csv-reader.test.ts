import t from 'tap';
import fc from 'fast-check';
import { openCsv } from '../../../src/ingest/csv-reader.js';
import { CsvParser, type CsvBatch } from '../../../src/ingest/csv-parser.js';
import { MAX_HEADER_BYTES } from '../../../src/ingest/csv-header.js';
import { utf8ToStrings } from '../../../src/util/arrow-columns.js';
import { caught, chunked, collect, randomCuts, seededRandom } from './synthetic.js';

const LIMIT = 1 << 24;

async function readAll(input: string | Uint8Array, options: { size?: number | number[]; batchRows?: number; delimiter?: ',' | ';' | '\t'; maxBytes?: number; encoding?: 'latin1'; maxFieldBytes?: number } = {}) {
  const csv = await openCsv(chunked(input, options.size ?? 65536), { maxBytes: options.maxBytes ?? LIMIT, batchRows: options.batchRows, delimiter: options.delimiter, encoding: options.encoding, maxFieldBytes: options.maxFieldBytes });
  const batches = await collect(csv.batches());
  return { header: csv.header, delimiter: csv.delimiter, stats: csv.stats, batches, ...flatten(batches, csv.header.length) };
}

/** Rows as arrays of strings (null for null) and their row numbers. */
function flatten(batches: CsvBatch[], ncol: number): { rows: (string | null)[][]; rowNumbers: number[] } {
  const rows: (string | null)[][] = [];
  const rowNumbers: number[] = [];
  for (const b of batches) {
    const cols = b.columns.map(utf8ToStrings);
    t.equal(cols.length, ncol);
    for (let i = 0; i < b.length; i++) {
      rows.push(cols.map((c) => c[i]));
      rowNumbers.push(b.rows[i]);
    }
  }
  return { rows, rowNumbers };
}

// ---- the round-trip property -------------------------------------------------------------------

const fieldChars = fc.constantFrom('a', 'Z', '7', ' ', ',', ';', '\t', '"', '\n', '\r', '\r\n', 'é', '€', 'ß', '😀', '日本');
const field = fc.array(fieldChars, { maxLength: 6 }).map((parts) => parts.join(''));

function serialise(header: string[], rows: string[][], delim: string, eol: string, quoteAll: boolean, bom: boolean, trailingEol: boolean): string {
  const quote = (f: string, lone: boolean) => {
    const needs = quoteAll || f.includes(delim) || f.includes('"') || f.includes('\n') || f.includes('\r') || (lone && f === '');
    return needs ? `"${f.replaceAll('"', '""')}"` : f;
  };
  // A lone empty field must be quoted, or its line would be a blank line.
  const line = (fields: string[]) => fields.map((f) => quote(f, fields.length === 1)).join(delim);
  const body = [line(header), ...rows.map(line)].join(eol);
  return (bom ? '\ufeff' : '') + body + (trailingEol ? eol : '');
}

t.test('any well-formed CSV round-trips field for field, whatever the chunking', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }).chain((ncol) =>
        fc.record({
          ncol: fc.constant(ncol),
          rows: fc.array(fc.array(field, { minLength: ncol, maxLength: ncol }), { maxLength: 25 }),
          delim: fc.constantFrom(',', ';', '\t'),
          eol: fc.constantFrom('\n', '\r\n', '\r'),
          quoteAll: fc.boolean(),
          bom: fc.boolean(),
          trailingEol: fc.boolean(),
          given: fc.boolean(),
          batchRows: fc.integer({ min: 1, max: 8 }),
          seed: fc.integer(),
        }),
      ),
      async ({ ncol, rows, delim, eol, quoteAll, bom, trailingEol, given, batchRows, seed }) => {
        const header = Array.from({ length: ncol }, (_, k) => `col_${k}`);
        const bytes = new TextEncoder().encode(serialise(header, rows, delim, eol, quoteAll, bom, trailingEol));
        const rnd = seededRandom(seed);
        const cuts = randomCuts(bytes.length, rnd, Math.floor(rnd() * 12));
        // With one column there is no delimiter to detect, so give it.
        const out = await readAll(bytes, { size: cuts, batchRows, delimiter: given || ncol === 1 ? (delim as ',' | ';' | '\t') : undefined });
        const expected = rows.map((r) => r.map((f) => (f === '' ? null : f)));
        t.same(out.header, header);
        t.same(out.rows, expected);
        t.same(out.rowNumbers, expected.map((_, k) => k + 1));
        t.equal(out.stats.rowsRejected, 0);
        return out.delimiter === delim;
      },
    ),
    { seed: 2024, numRuns: 300 },
  );
});

// ---- dialect -----------------------------------------------------------------------------------

t.test('detects the delimiter from the header, quoted names included', async (t) => {
  t.equal((await readAll('a;b;c\n1;2;3\n')).delimiter, ';');
  t.equal((await readAll('a\tb\n1\t2\n')).delimiter, '\t');
  t.equal((await readAll('a,b\n1,2\n')).delimiter, ',');
  const quoted = await readAll('"a,b";c\n1;2\n');
  t.equal(quoted.delimiter, ';', 'a comma inside a quoted name does not count');
  t.same(quoted.header, ['a,b', 'c']);
  t.equal((await readAll('only\nx\n')).delimiter, ',', 'one column: comma by default');
});

t.test('strips a BOM, also when it arrives one byte at a time', async (t) => {
  const out = await readAll('\ufeffa,b\n1,2\n', { size: 1 });
  t.same(out.header, ['a', 'b']);
  t.same(out.rows, [['1', '2']]);
});

t.test('reads LF, CRLF and bare CR line ends, with CRLF cut between chunks', async (t) => {
  for (const size of [1, 2, 3, 100]) {
    const out = await readAll('a,b\r\n1,2\r\n3,4\r5,6\n7,8', { size });
    t.same(out.rows, [['1', '2'], ['3', '4'], ['5', '6'], ['7', '8']], `chunks of ${size}`);
    t.same(out.rowNumbers, [1, 2, 3, 4]);
  }
});

t.test('makes empty fields null, quoted or not', async (t) => {
  const csv = await openCsv(chunked('a,b,c\n,"",x\n'), { maxBytes: LIMIT });
  const [batch] = await collect(csv.batches());
  t.same(batch.columns.map(utf8ToStrings), [[null], [null], ['x']]);
  t.equal(batch.columns[0].nullCount, 1);
  t.equal(batch.columns[2].nullCount, 0);
});

t.test('keeps stray quotes as data instead of failing', async (t) => {
  const out = await readAll('a,b\nx"y,"p"q\n');
  t.same(out.rows, [['x"y', 'pq']]);
});

t.test('ignores trailing blank lines and skips blank lines before the header', async (t) => {
  const out = await readAll('\n\r\na,b\n1,2\n\n\r\n\n');
  t.same(out.header, ['a', 'b']);
  t.same(out.rows, [['1', '2']]);
  t.equal(out.stats.rowsRead, 1);
  t.equal(out.stats.rowsRejected, 0);
});

t.test('counts a blank line between records as a short row, or a null in a one-column file', async (t) => {
  const multi = await readAll('a,b\n1,2\n\n3,4\n');
  t.same(multi.rows, [['1', '2'], ['3', '4']]);
  t.same(multi.rowNumbers, [1, 3]);
  t.same(multi.stats.fieldCountFaults, [{ row: 2, expected: 2, actual: 1 }]);
  const single = await readAll('a\n1\n\n3\n\n');
  t.same(single.rows, [['1'], [null], ['3']]);
  t.same(single.rowNumbers, [1, 2, 3]);
});

t.test('rejects a row with too few or too many fields, counts it and goes on', async (t) => {
  const out = await readAll('a,b,c\n1,2,3\n4,5\n6,7,8,9\n"x,y",z,w\n10,11,12', { size: 5, batchRows: 2 });
  t.same(out.rows, [['1', '2', '3'], ['x,y', 'z', 'w'], ['10', '11', '12']]);
  t.same(out.rowNumbers, [1, 4, 5]);
  t.equal(out.stats.rowsRead, 5);
  t.equal(out.stats.rowsRejected, 2);
  t.same(out.stats.fieldCountFaults, [
    { row: 2, expected: 3, actual: 2 },
    { row: 3, expected: 3, actual: 4 },
  ]);
});

t.test('keeps the first ten field-count faults but counts them all', async (t) => {
  const lines = ['a,b'];
  for (let i = 0; i < 30; i++) lines.push(i % 2 === 0 ? 'x' : 'x,y');
  const out = await readAll(lines.join('\n'));
  t.equal(out.stats.rowsRejected, 15);
  t.equal(out.stats.fieldCountFaults.length, 10);
  t.same(out.stats.fieldCountFaults.map((f) => f.row), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
});

t.test('fills batches of the requested size and numbers rows across them', async (t) => {
  const lines = ['n'];
  for (let i = 1; i <= 1000; i++) lines.push(String(i));
  const out = await readAll(lines.join('\n'), { batchRows: 300, size: 97 });
  t.same(out.batches.map((b) => b.length), [300, 300, 300, 100]);
  t.same(out.rowNumbers, Array.from({ length: 1000 }, (_, k) => k + 1));
  t.same(out.rows.map((r) => r[0]), Array.from({ length: 1000 }, (_, k) => String(k + 1)));
});

t.test('grows column buffers for long fields (under a raised field limit), and refuses one over it naming where', async (t) => {
  const long = 'é'.repeat(100_000);
  const out = await readAll(`a,b\n"${long}",x\n${long},y\n`, { size: 4096, maxFieldBytes: 1 << 20 });
  t.same(out.rows, [[long, 'x'], [long, 'y']]);
  const err = await caught(() => readAll(`a,b\nx,y\nx,"${long}"\n`, { size: 4096 }));
  t.equal(err.code, 'KOPPEL_ERR_INGEST_FIELD_TOO_LARGE', 'the default is 64 KiB');
  t.same([err.details.row, err.details.column_name], [2, 'b']);
});

t.test('a header-only file has no rows', async (t) => {
  const out = await readAll('a,b\n');
  t.same(out.header, ['a', 'b']);
  t.same(out.rows, []);
});

// ---- file faults -------------------------------------------------------------------------------

t.test('rejects an empty body or one without a header', async (t) => {
  for (const body of ['', '\ufeff', '\n\r\n\n']) {
    const err = await caught(() => readAll(body));
    t.equal(err.code, 'KOPPEL_ERR_INGEST_EMPTY', JSON.stringify(body));
  }
});

t.test('rejects an unterminated quote with the row and column where it opened', async (t) => {
  for (const size of [1, 7, 65536]) {
    const err = await caught(() => readAll('id,naam,x\n1,a,b\n2,"SECRETNAME,b\n3,c,d\n', { size }));
    t.equal(err.code, 'KOPPEL_ERR_INGEST_UNTERMINATED_QUOTE');
    t.same(err.details, { row: 2, column: 2, column_name: 'naam' });
    t.notMatch(err.message, /SECRETNAME/);
  }
  const inHeader = await caught(() => readAll('a,"b\n1,2\n'));
  t.equal(inHeader.code, 'KOPPEL_ERR_INGEST_UNTERMINATED_QUOTE');
  t.same(inHeader.details, { row: 0, column: 2 });
});

t.test('rejects bytes that are not UTF-8 and names the row and column', async (t) => {
  const enc = new TextEncoder();
  const body = new Uint8Array([...enc.encode('a,b\n1,2\n3,M'), 0xfc, ...enc.encode('LLER\n5,6\n')]);
  for (const size of [1, 2, 5, 1000]) {
    const err = await caught(() => readAll(body, { size }));
    t.equal(err.code, 'KOPPEL_ERR_INGEST_ENCODING', `chunks of ${size}`);
    t.same(err.details, { row: 2, column: 2, column_name: 'b' });
    t.notMatch(err.message, /LLER/);
  }
  const cut = await caught(() => readAll(new Uint8Array([...enc.encode('a,b\n1,'), 0xe2, 0x82])));
  t.equal(cut.code, 'KOPPEL_ERR_INGEST_ENCODING', 'a character cut off at the end');
  const overlong = await caught(() => readAll(new Uint8Array([...enc.encode('a\n'), 0xc0, 0xaf, 0x0a])));
  t.equal(overlong.code, 'KOPPEL_ERR_INGEST_ENCODING', 'an overlong encoding');
  t.same(overlong.details, { row: 1, column: 1, column_name: 'a' });
  const header = await caught(() => readAll(new Uint8Array([0x61, 0x2c, 0xff, 0x0a, 0x31, 0x2c, 0x32])));
  t.equal(header.code, 'KOPPEL_ERR_INGEST_ENCODING');
  t.same(header.details, { row: 0, column: 2 });
});

t.test('rejects a body over the byte limit', async (t) => {
  const err = await caught(() => readAll('a,b\n' + '1,2\n'.repeat(1000), { maxBytes: 1000, size: 64 }));
  t.equal(err.code, 'KOPPEL_ERR_INGEST_TOO_LARGE');
  t.same(err.details, { max_bytes: 1000 });
});

t.test('gives up on a first line that never ends', async (t) => {
  const err = await caught(() => readAll('x'.repeat(MAX_HEADER_BYTES + 10), { size: 1 << 16 }));
  t.equal(err.code, 'KOPPEL_ERR_INGEST_HEADER');
});

// ---- sources -----------------------------------------------------------------------------------

t.test('reads Latin-1 (windows-1252) files when told', async (t) => {
  const bytes = new Uint8Array([...new TextEncoder().encode('naam;bedrag\n'), 0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x3b, 0x80, 0x35, 0x0a]);
  const out = await readAll(bytes, { encoding: 'latin1', size: 3 });
  t.same(out.rows, [['Müller', '€5']]);
});

t.test('releases the source when the consumer stops early', async (t) => {
  let released = false;
  async function* source() {
    try {
      yield new TextEncoder().encode('a\n');
      for (let i = 0; i < 100; i++) yield new TextEncoder().encode('1\n'.repeat(10));
    } finally {
      released = true;
    }
  }
  const csv = await openCsv(source(), { maxBytes: LIMIT, batchRows: 5 });
  for await (const batch of csv.batches()) {
    t.equal(batch.length, 5);
    break;
  }
  t.ok(released);
});

t.test('the synchronous parser gives the same rows as the stream', async (t) => {
  const p = new CsvParser({ batchRows: 2 });
  p.push(new TextEncoder().encode('a;b\n1;2\n3;4\n5;6'));
  p.end();
  t.same(p.header, ['a', 'b']);
  t.same(flatten(p.takeBatches(), 2).rows, [['1', '2'], ['3', '4'], ['5', '6']]);
});
