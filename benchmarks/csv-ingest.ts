/**
 * CSV ingest throughput: a four-column supplier extract (insz, given name, birth date, amount;
 * default 1,000,000 rows, ~37 MB) generated in memory and fed in 64 KiB chunks, as an upload
 * arrives. Competitors, timed round-robin in one process:
 * - koppel_parse: `openCsv` (src/ingest/csv-reader.ts) alone, bytes -> Arrow Utf8 batches,
 *   counting rows;
 * - koppel_ingest: the whole ingest stage, `ingestDelivery` with a four-column schema: national
 *   number validated and normalised, given name kept as a linkage column, the date and the
 *   amount typed (date parsed and checked, amount parsed to float64), quality report counted;
 * - csv-parse, streaming with default options (one array of strings per record), records read in
 *   the documented `readable` / `read()` loop and counted.
 * csv-parse does the least work of the three (no validation, no typing), so the ingest ratio
 * flatters it. Row counts and the quality report are checked against the generator's counts.
 */
import { once } from 'node:events';
import { parse } from 'csv-parse';
import type { DatasetSchema } from '../src/model.js';
import { openCsv } from '../src/ingest/csv-reader.js';
import { ingestDelivery } from '../src/ingest/ingest-delivery.js';
import type { QualityReport } from '../src/ingest/quality-report.js';
import { chunked, extractCsv, type ExtractCsv } from './data/extract-csv.js';
import {
  compared, millionsPerSecond, timeAsyncMediansInterleaved, type BenchOptions, type BenchResult, type Benchmark,
} from './harness.js';

const DEFAULT_ROWS = 1_000_000;
const CHUNK_BYTES = 65_536;

export const EXTRACT_SCHEMA: DatasetSchema = {
  name: 'bench_extract',
  supplier: 'bench',
  schedule: 'quarterly',
  columns: [
    { name: 'insz', role: 'national_id' },
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'geboortedatum', role: 'attribute', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'bedrag', role: 'attribute', type: 'number', unit: 'EUR' },
  ],
};

export async function koppelParseRows(bytes: Uint8Array): Promise<number> {
  const csv = await openCsv(chunked(bytes, CHUNK_BYTES), { maxBytes: bytes.length });
  let rows = 0;
  for await (const batch of csv.batches()) rows += batch.length;
  return rows;
}

export async function koppelIngest(bytes: Uint8Array): Promise<{ rows: number; report: QualityReport }> {
  const ingest = ingestDelivery(chunked(bytes, CHUNK_BYTES), EXTRACT_SCHEMA, { maxBytes: bytes.length });
  let rows = 0;
  for await (const batch of ingest.batches()) rows += batch.length;
  return { rows, report: ingest.report() };
}

/** Records csv-parse yields, the header included. */
export async function csvParseRecords(bytes: Uint8Array): Promise<number> {
  const parser = parse();
  let records = 0;
  parser.on('readable', () => {
    while (parser.read() !== null) records++;
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.once('end', resolve);
    parser.once('error', reject);
  });
  for await (const chunk of chunked(bytes, CHUNK_BYTES)) {
    if (!parser.write(chunk)) await once(parser, 'drain');
  }
  parser.end();
  await ended;
  return records;
}

/** Throws unless every competitor read every row and ingest counted what the generator wrote. */
export function checkCounts(data: ExtractCsv, got: { parse: number; ingest: number; report: QualityReport; csvParse: number }): void {
  const problems: string[] = [];
  if (got.parse !== data.rows) problems.push(`koppel parse read ${got.parse} rows`);
  if (got.ingest !== data.rows) problems.push(`koppel ingest kept ${got.ingest} rows`);
  if (got.csvParse !== data.rows + 1) problems.push(`csv-parse read ${got.csvParse} records (header included)`);
  const r = got.report;
  const { valid, punctuated, unpadded, missingId, badCheck } = data.counts;
  if (r.rows_read !== data.rows || r.rows_rejected !== 0) problems.push(`quality report: ${r.rows_read} read, ${r.rows_rejected} rejected`);
  if (r.national_id.valid !== valid + punctuated + unpadded || r.national_id.missing !== missingId || r.national_id.bad_check !== badCheck) {
    problems.push(`national_id counts ${JSON.stringify(r.national_id)}`);
  }
  if (problems.length > 0) throw new Error(`csv-ingest benchmark: ${data.rows} rows generated, but ${problems.join('; ')}`);
}

const bench: Benchmark = {
  name: 'csv-ingest',
  description: 'four-column CSV extract in 64 KiB chunks: Koppel openCsv and ingestDelivery vs csv-parse (streaming)',
  async run(opts: BenchOptions): Promise<BenchResult[]> {
    const data = extractCsv(opts.n ?? DEFAULT_ROWS);
    const bytes = data.bytes;
    const got = { parse: 0, ingest: 0, csvParse: 0, report: null as QualityReport | null };
    const ms = await timeAsyncMediansInterleaved({
      koppelParse: { run: async () => { got.parse = await koppelParseRows(bytes); } },
      koppelIngest: {
        run: async () => {
          const r = await koppelIngest(bytes);
          got.ingest = r.rows;
          got.report = r.report;
        },
      },
      csvParse: { run: async () => { got.csvParse = await csvParseRecords(bytes); } },
    }, opts);
    checkCounts(data, { ...got, report: got.report as QualityReport });

    const rate = (t: number): number => millionsPerSecond(data.rows, t);
    const peer = { name: 'csv-parse streaming, default options', value: rate(ms.csvParse) };
    process.stderr.write(`csv-ingest: ${data.rows} rows, ${(bytes.length / 1e6).toFixed(1)} MB in ${CHUNK_BYTES}-byte chunks\n`);
    return [
      compared('csv-ingest', 'csv_parse', 'M rows/s', rate(ms.koppelParse), peer),
      compared('csv-ingest', 'csv_ingest_validated', 'M rows/s', rate(ms.koppelIngest), peer),
    ];
  },
};

export default bench;
