import t from 'tap';
import bench, { checkCounts, csvParseRecords, koppelIngest, koppelParseRows } from '../../../benchmarks/csv-ingest.js';
import { extractCsv } from '../../../benchmarks/data/extract-csv.js';

t.test('all three competitors read every row, and ingest counts the national numbers the generator wrote', async (t) => {
  const data = extractCsv(5000, 8);
  const parsed = await koppelParseRows(data.bytes);
  const ingested = await koppelIngest(data.bytes);
  const records = await csvParseRecords(data.bytes);
  t.equal(parsed, 5000);
  t.equal(ingested.rows, 5000);
  t.equal(records, 5001, 'csv-parse counts the header as a record');
  t.equal(ingested.report.national_id.missing, data.counts.missingId);
  t.equal(ingested.report.national_id.bad_check, data.counts.badCheck);
  t.doesNotThrow(() => checkCounts(data, { parse: parsed, ingest: ingested.rows, report: ingested.report, csvParse: records }));
});

t.test('the count check refuses a competitor that lost a row or a miscounted report', async (t) => {
  const data = extractCsv(1000, 9);
  const { report } = await koppelIngest(data.bytes);
  const good = { parse: 1000, ingest: 1000, report, csvParse: 1001 };
  t.throws(() => checkCounts(data, { ...good, parse: 999 }), /koppel parse read 999 rows/);
  t.throws(() => checkCounts(data, { ...good, csvParse: 1000 }), /csv-parse read 1000 records/);
  const miscounted = { ...report, national_id: { ...report.national_id, bad_check: report.national_id.bad_check + 1 } };
  t.throws(() => checkCounts(data, { ...good, report: miscounted }), /national_id counts/);
});

t.test('reports parse-only and full ingest against csv-parse in M rows/s', async (t) => {
  const results = await bench.run({ n: 3000, runs: 5, warmup: 0 });
  t.same(results.map((r) => [r.bench, r.metric, r.unit, r.peer]), [
    ['csv-ingest', 'csv_parse', 'M rows/s', 'csv-parse streaming, default options'],
    ['csv-ingest', 'csv_ingest_validated', 'M rows/s', 'csv-parse streaming, default options'],
  ]);
  for (const r of results) t.ok(r.value > 0 && (r.ratio ?? 0) > 0);
});
