import t from 'tap';
import { gzipSync } from 'node:zlib';
import { Table, Utf8, tableToIPC, vectorFromArray, type Data } from 'apache-arrow';
import type { DatasetSchema } from '../../../src/model.js';
import { ingestDelivery, type IngestBatch } from '../../../src/ingest/ingest-delivery.js';
import { gunzipStream } from '../../../src/ingest/body-decoding.js';
import { utf8ToStrings } from '../../../src/util/arrow-columns.js';
import { isValidAt } from '../../../src/util/null-bitmap.js';
import { INSZ_BAD_CHECK, INSZ_MISSING, INSZ_VALID } from '../../../src/ingest/insz.js';
import { caught, chunked, collect, makeInsz, seededRandom } from './synthetic.js';

const SCHEMA: DatasetSchema = {
  name: 'vdab_test',
  supplier: 'vdab',
  schedule: 'quarterly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'DD/MM/YYYY' },
    { name: 'gemeente', role: 'attribute', type: 'code', codes: ['11001', '44021'] },
    { name: 'bedrag', role: 'attribute', type: 'number', unit: 'EUR' },
    { name: 'dagen', role: 'attribute', type: 'integer', required: true },
    { name: 'start', role: 'attribute', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'opmerking', role: 'drop' },
    { name: 'birth_year', role: 'attribute', derive: 'birth_year(geboortedatum)' },
    { name: 'age', role: 'attribute', derive: 'age_on(geboortedatum, 2024-01-01)' },
    { name: 'sex', role: 'attribute', derive: 'sex(insz)' },
  ],
};
const HEADER = ['opmerking', 'insz', 'voornaam', 'geboortedatum', 'gemeente', 'bedrag', 'dagen', 'start'];

interface Row {
  insz?: string;
  voornaam?: string;
  geboortedatum?: string;
  gemeente?: string;
  bedrag?: string;
  dagen?: string;
  start?: string;
  opmerking?: string;
}

function good(k: number): Row {
  return {
    insz: makeInsz(1980 + (k % 30), 1 + (k % 12), 1 + (k % 28), 1 + (k % 997)),
    voornaam: `Naam${k}`,
    geboortedatum: `${String(1 + (k % 28)).padStart(2, '0')}/${String(1 + (k % 12)).padStart(2, '0')}/${1980 + (k % 30)}`,
    gemeente: k % 2 === 0 ? '11001' : '44021',
    bedrag: `${k},5`,
    dagen: String(k % 90),
    start: '2024-01-15',
    opmerking: 'vrij tekstveld',
  };
}

function csv(rows: Row[], header = HEADER, delim = ';'): string {
  const lines = [header.join(delim)];
  for (const r of rows) lines.push(header.map((h) => (r as Record<string, string | undefined>)[h] ?? '').join(delim));
  return lines.join('\n') + '\n';
}

async function ingest(text: string | Uint8Array, options: { batchRows?: number; maxRejectedShare?: number; size?: number } = {}) {
  const d = ingestDelivery(chunked(text, options.size ?? 4096), SCHEMA, { maxBytes: 1 << 24, batchRows: options.batchRows, maxRejectedShare: options.maxRejectedShare });
  const batches = await collect(d.batches());
  return { batches, report: d.report() };
}

function values(batches: IngestBatch[], name: string): unknown[] {
  const out: unknown[] = [];
  for (const b of batches) {
    const data = (b.attributes.get(name) ?? b.linkage.get(name)) as Data;
    if (data.type.toString() === 'Utf8') out.push(...utf8ToStrings(data as Data<any>));
    else for (let i = 0; i < data.length; i++) out.push(isValidAt(data, i) ? (data.values as ArrayLike<number>)[i] : null);
  }
  return out;
}

t.test('reads a clean delivery into typed, derived and linkage columns', async (t) => {
  const rows = Array.from({ length: 25 }, (_, k) => good(k));
  rows[3].bedrag = '';
  rows[4].gemeente = '';
  const { batches, report } = await ingest(csv(rows), { batchRows: 10, size: 37 });
  t.same(batches.map((b) => b.length), [10, 10, 5]);
  t.same(values(batches, 'bedrag').slice(0, 6), [0.5, 1.5, 2.5, null, 4.5, 5.5]);
  t.same(values(batches, 'dagen').slice(0, 3), [0, 1, 2]);
  t.same(values(batches, 'gemeente').slice(0, 5), ['11001', '44021', '11001', '44021', null]);
  t.same(values(batches, 'start')[0], '2024-01-15');
  t.same(values(batches, 'birth_year').slice(0, 3), [1980, 1981, 1982]);
  t.same(values(batches, 'age').slice(0, 3), [44, 42, 41], 'a birthday on the day itself counts');
  t.same(values(batches, 'sex').slice(0, 3), ['M', 'F', 'M']);
  t.same(values(batches, 'voornaam').slice(0, 2), ['Naam0', 'Naam1'], 'linkage values as read');
  t.same(values(batches, 'geboortedatum')[0], '01/01/1980', 'linkage dates are not rewritten');
  t.notOk(batches[0].attributes.has('opmerking'), 'drop columns are dropped');
  t.notOk(batches[0].attributes.has('voornaam'), 'linkage columns are not attributes');
  t.same([...batches[2].rows], [21, 22, 23, 24, 25]);
  const first = batches[0].nationalId!;
  t.equal(String.fromCharCode(...first.digits.subarray(0, 11)), rows[0].insz);
  t.same(report, {
    rows_read: 25,
    rows_kept: 25,
    rows_rejected: 0,
    national_id: { valid: 25, missing: 0, malformed: 0, bad_date: 0, bad_check: 0 },
    faults: [],
  });
});

t.test('rejects rows whose values do not fit, counts per reason and column, keeps the rest', async (t) => {
  const rows = Array.from({ length: 40 }, (_, k) => good(k));
  rows[1].bedrag = 'SENTINEL-1.234,5';
  rows[2].dagen = '12.5';
  rows[3].gemeente = '99999';
  rows[4].start = '2024-02-30';
  rows[5].dagen = '';
  rows[6].bedrag = 'x';
  rows[6].dagen = 'y'; // two faults, one rejected row
  for (let k = 10; k < 22; k++) rows[k].bedrag = 'n/a'; // more than ten of one kind
  const { batches, report } = await ingest(csv(rows), { batchRows: 8 });
  const kept = batches.flatMap((b) => [...b.rows]);
  const rejectedRows = [2, 3, 4, 5, 6, 7, ...Array.from({ length: 12 }, (_, k) => k + 11)];
  t.same(kept, Array.from({ length: 40 }, (_, k) => k + 1).filter((r) => !rejectedRows.includes(r)));
  t.equal(report.rows_read, 40);
  t.equal(report.rows_rejected, rejectedRows.length);
  t.equal(report.rows_kept, 40 - rejectedRows.length);
  // Per column in schema order (the order faults are first met), then per reason.
  t.same(report.faults, [
    { reason: 'not_in_code_list', column: 'gemeente', count: 1, first_rows: [4] },
    { reason: 'not_a_number', column: 'bedrag', count: 14, first_rows: [2, 7, 11, 12, 13, 14, 15, 16, 17, 18] },
    { reason: 'not_an_integer', column: 'dagen', count: 2, first_rows: [3, 7] },
    { reason: 'missing_required', column: 'dagen', count: 1, first_rows: [6] },
    { reason: 'bad_date', column: 'start', count: 1, first_rows: [5] },
  ]);
  t.equal(report.national_id.valid, report.rows_kept, 'national numbers are counted over kept rows');
  // The other columns of a batch stay aligned with its rows after rejection.
  const byRow = new Map<number, unknown>();
  const dagen = values(batches, 'dagen');
  kept.forEach((r, i) => byRow.set(r, dagen[i]));
  t.equal(byRow.get(9), 8, 'row 9 still has its own value');
  t.equal(values(batches, 'voornaam')[kept.indexOf(23)], 'Naam22');
  t.notMatch(JSON.stringify(report), /SENTINEL|n\/a|99999/, 'the report carries no values');
});

t.test('keeps rows with a missing or invalid national number and counts why', async (t) => {
  const rows = Array.from({ length: 6 }, (_, k) => good(k));
  rows[0].insz = '';
  rows[1].insz = rows[1].insz!.slice(0, 9) + '00';
  rows[2].insz = 'ABC';
  rows[3].insz = rows[3].insz!.replace(/^(\d\d)\d\d/, '$114');
  rows[4].insz = `${rows[4].insz!.slice(0, 2)}.${rows[4].insz!.slice(2, 4)}.${rows[4].insz!.slice(4, 6)}-${rows[4].insz!.slice(6, 9)}.${rows[4].insz!.slice(9)}`;
  const { batches, report } = await ingest(csv(rows));
  t.equal(batches[0].length, 6);
  t.same([...batches[0].nationalId!.status].slice(0, 2), [INSZ_MISSING, INSZ_BAD_CHECK]);
  t.equal(batches[0].nationalId!.status[4], INSZ_VALID);
  t.same(values(batches, 'sex').slice(0, 4), [null, null, null, null], 'no sex from an invalid number');
  t.same(report.national_id, { valid: 2, missing: 1, malformed: 1, bad_date: 0, bad_check: 2 });
});

t.test('reports rows with the wrong number of fields with expected and actual counts', async (t) => {
  const text = csv([good(0), good(1)]) + '1;2;3\n' + csv([good(2)]).split('\n')[1] + ';extra\n';
  const { report } = await ingest(text);
  t.same(report.faults, [{ reason: 'field_count', count: 2, first_rows: [3, 4], expected_fields: 8, actual_fields: [3, 9] }]);
  t.equal(report.rows_read, 4);
  t.equal(report.rows_kept, 2);
});

t.test('fails the delivery at the end when too many rows are rejected, and still reports', async (t) => {
  const rows = Array.from({ length: 10 }, (_, k) => good(k));
  for (let k = 0; k < 6; k++) rows[k].dagen = 'x';
  const d = ingestDelivery(chunked(csv(rows)), SCHEMA, { maxBytes: 1 << 20 });
  let yielded = 0;
  const err = await caught(async () => {
    for await (const b of d.batches()) yielded += b.length;
  });
  t.equal(err.code, 'KOPPEL_ERR_INGEST_TOO_MANY_REJECTED');
  t.same(err.details, { rows_read: 10, rows_rejected: 6, max_rejected_share: 0.5 });
  t.equal(yielded, 4);
  t.equal(d.report().rows_rejected, 6);
  const lenient = await ingest(csv(rows), { maxRejectedShare: 0.6 });
  t.equal(lenient.report.rows_kept, 4, 'a higher share lets it through');
  const strict = await caught(() => ingest(csv(rows.slice(6).concat(rows.slice(0, 1))), { maxRejectedShare: 0.1 }));
  t.equal(strict.code, 'KOPPEL_ERR_INGEST_TOO_MANY_REJECTED', '1 of 5 is over 0.1');
});

t.test('checks the header: order is free, names are trimmed, problems are named', async (t) => {
  const shuffled = [...HEADER].reverse().map((h) => ` ${h} `);
  const ok = await ingest(csv([good(0)], HEADER).replace(HEADER.join(';'), shuffled.join(';')).replace(/^(.*)\n(.*)\n$/, (_, h, r) => `${h}\n${r.split(';').reverse().join(';')}\n`));
  t.equal(ok.report.rows_kept, 1);
  t.same(values(ok.batches, 'dagen'), [0]);

  const err = await caught(() => ingest(csv([good(0)], [...HEADER.filter((h) => h !== 'dagen'), 'extra', 'insz'])));
  t.equal(err.code, 'KOPPEL_ERR_INGEST_HEADER');
  t.same(err.details.missing, ['dagen']);
  t.same(err.details.unknown, ['extra']);
  t.same(err.details.duplicate, ['insz']);

  const derived = await caught(() => ingest(csv([good(0)], [...HEADER, 'birth_year'])));
  t.same(derived.details.unknown, ['birth_year'], 'derived columns are computed, not read');
});

t.test('releases the upload when the header is refused', async (t) => {
  let released = false;
  async function* source() {
    try {
      yield new TextEncoder().encode('wrong;header\n');
      for (;;) yield new TextEncoder().encode('1;2\n');
    } finally {
      released = true;
    }
  }
  const err = await caught(() => collect(ingestDelivery(source(), SCHEMA, { maxBytes: 1 << 20 }).batches()));
  t.equal(err.code, 'KOPPEL_ERR_INGEST_HEADER');
  t.ok(released);
});

t.test('never echoes a data row mistaken for a header', async (t) => {
  const row = good(0);
  const text = HEADER.map((h) => (row as Record<string, string>)[h]).join(';') + '\n';
  const err = await caught(() => ingest(text));
  t.equal(err.code, 'KOPPEL_ERR_INGEST_HEADER');
  const shown = JSON.stringify({ message: err.message, details: err.details });
  for (const v of [row.insz!, row.voornaam!, row.geboortedatum!]) t.notOk(shown.includes(v), 'no value in the error');
  t.same(err.details.unknown_positions, [1, 2, 3, 4, 5, 6, 7, 8]);
});

t.test('refuses a schema it cannot ingest before reading anything', async (t) => {
  let read = false;
  async function* source() {
    read = true;
    yield new Uint8Array(0);
  }
  t.throws(
    () => ingestDelivery(source(), { ...SCHEMA, columns: [...SCHEMA.columns, { name: 'bad', role: 'attribute', derive: 'shoe_size(insz)' }] }, { maxBytes: 100 }),
    { code: 'KOPPEL_ERR_SCHEMA_INVALID' },
  );
  t.notOk(read);
});

t.test('reads a gzip-encoded delivery through gunzipStream', async (t) => {
  const rows = Array.from({ length: 300 }, (_, k) => good(k));
  const gz = gzipSync(new TextEncoder().encode(csv(rows)));
  const d = ingestDelivery(gunzipStream(chunked(gz, 1000), 1 << 20), SCHEMA, { maxBytes: 1 << 20, batchRows: 128 });
  const batches = await collect(d.batches());
  t.equal(batches.reduce((n, b) => n + b.length, 0), 300);
  t.equal(d.report().national_id.valid, 300);
});

t.test('no file fault message or detail carries a value from the extract', async (t) => {
  const rnd = seededRandom(99);
  const secret = makeInsz(1971, 3, 14, 101);
  const lines = csv([{ ...good(1), insz: secret, voornaam: 'Zeldzaamnaam' }]);
  const enc = new TextEncoder();
  const cases: [string, Uint8Array][] = [
    ['unterminated quote', enc.encode(lines + `"${secret};Zeldzaamnaam\n`)],
    ['encoding', new Uint8Array([...enc.encode(lines.slice(0, -1)), 0xff, ...enc.encode(`${secret}\n`)])],
    ['too large', enc.encode(lines.repeat(2000))],
  ];
  for (const [what, bytes] of cases) {
    const d = ingestDelivery(chunked(bytes, 1 + Math.floor(rnd() * 500)), SCHEMA, { maxBytes: 50_000 });
    const err = await caught(() => collect(d.batches()));
    t.match(err.code, /^KOPPEL_ERR_INGEST_/, what);
    const shown = JSON.stringify({ message: err.message, details: err.details });
    t.notOk(shown.includes(secret) || shown.includes('Zeldzaamnaam'), `${what}: ${shown}`);
  }
});

t.test('a delivery over the row limit is refused with TOO_MANY_ROWS before a batch past the limit is yielded', async (t) => {
  const rows = Array.from({ length: 10 }, (_, k) => good(k));
  const d = ingestDelivery(chunked(csv(rows), 64), SCHEMA, { maxBytes: 1 << 24, batchRows: 2, maxRows: 5 });
  let yielded = 0;
  const err = await caught(async () => {
    for await (const b of d.batches()) yielded += b.length;
  });
  t.equal(err.code, 'KOPPEL_ERR_INGEST_TOO_MANY_ROWS');
  t.equal(err.details.max_rows, 5);
  t.ok(yielded <= 5, `at most the limit reached staging (${yielded} rows)`);
  const exact = ingestDelivery(chunked(csv(rows.slice(0, 5)), 64), SCHEMA, { maxBytes: 1 << 24, batchRows: 2, maxRows: 5 });
  t.equal((await collect(exact.batches())).reduce((s, b) => s + b.length, 0), 5, 'exactly the limit is accepted');
});

t.test('a field or a row over its byte limit fails the delivery naming the row and column, in CSV and Arrow alike', async (t) => {
  const rows = Array.from({ length: 6 }, (_, k) => good(k));
  rows[4].voornaam = `"${'x'.repeat(100_000)}"`;
  const field = await caught(() => collect(ingestDelivery(chunked(csv(rows), 4096), SCHEMA, { maxBytes: 1 << 24, maxFieldBytes: 65_536 }).batches()));
  t.equal(field.code, 'KOPPEL_ERR_INGEST_FIELD_TOO_LARGE');
  t.same([field.details.row, field.details.column_name], [5, 'voornaam']);
  t.notMatch(field.message, /xxxx/, 'never the value');
  const wide = Array.from({ length: 3 }, (_, k) => good(k));
  wide[1].opmerking = 'y'.repeat(900);
  wide[1].voornaam = 'z'.repeat(900);
  const row = await caught(() => collect(ingestDelivery(chunked(csv(wide), 100), SCHEMA, { maxBytes: 1 << 24, maxFieldBytes: 1000, maxRowBytes: 1500 }).batches()));
  t.equal(row.code, 'KOPPEL_ERR_INGEST_ROW_TOO_LARGE');
  t.equal(row.details.row, 2);

  const columns = Object.fromEntries(HEADER.map((h) => [h, vectorFromArray(rows.map((r, i) => (h === 'voornaam' && i === 4 ? 'x'.repeat(100_000) : (r as Record<string, string | undefined>)[h] ?? null)), new Utf8())]));
  const arrow = tableToIPC(new Table(columns), 'stream');
  const viaArrow = await caught(() => collect(ingestDelivery(chunked(arrow, 4096), SCHEMA, { format: 'arrow', maxBytes: 1 << 24, maxFieldBytes: 65_536 }).batches()));
  t.equal(viaArrow.code, 'KOPPEL_ERR_INGEST_FIELD_TOO_LARGE');
  t.same([viaArrow.details.row, viaArrow.details.column_name], [5, 'voornaam']);
});
