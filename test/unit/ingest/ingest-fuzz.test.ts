/**
 * Fuzzing the ingest path with fast-check: arbitrary bytes and mutated valid bodies (CSV, gzip,
 * Arrow stream and file, Parquet) must each end in a stored-able result or a KoppelError with a
 * 4xx code: no other exception (a crash, a 500), and no case running past 5 s (a hang).
 * `npm test` runs a few hundred cases; `npm run test:fuzz` runs KOPPEL_FUZZ_RUNS (default there
 * 20,000).
 */
import t from 'tap';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { tableToIPC } from 'apache-arrow';
import { ERROR_CATALOGUE, isKoppelError } from '../../../src/errors.js';
import type { DatasetSchema } from '../../../src/model.js';
import { ingestDelivery } from '../../../src/ingest/ingest-delivery.js';
import { gunzipWithinLimit } from '../../../src/ingest/body-decoding.js';
import type { UploadFormat } from '../../../src/ingest/batch-source.js';
import { testDatasetSchema } from '../../fixtures/synthetic.js';
import { CORPUS_LIMITS, validCsv, validTable } from '../../fixtures/hostile/corpus.js';

const parquet = await import('parquet-wasm/node');
const RUNS = Number(process.env.KOPPEL_FUZZ_RUNS ?? 200);
/**
 * `npm test` runs a fixed seed, so a red run is reproducible; `npm run test:fuzz` draws a fresh
 * seed (or KOPPEL_FUZZ_SEED). What the long runs found is kept in test/regression/.
 */
const SEED = process.env.KOPPEL_FUZZ_SEED !== undefined ? Number(process.env.KOPPEL_FUZZ_SEED) : process.env.KOPPEL_FUZZ_RUNS === undefined ? 7 : undefined;
const HANG_MS = 5000;
const schema = testDatasetSchema('fuzz_set', 'acme') as DatasetSchema;

interface Body { readonly format: UploadFormat; readonly gzip: boolean; readonly bytes: Uint8Array }

const table = validTable(40, 8);
const SEEDS: Body[] = [
  { format: 'csv', gzip: false, bytes: new TextEncoder().encode(validCsv(40, 8)) },
  { format: 'csv', gzip: true, bytes: gzipSync(validCsv(40, 8)) },
  { format: 'arrow', gzip: false, bytes: tableToIPC(table, 'stream') },
  { format: 'arrow', gzip: false, bytes: tableToIPC(table, 'file') },
  { format: 'arrow', gzip: true, bytes: gzipSync(tableToIPC(table, 'stream')) },
  { format: 'parquet', gzip: false, bytes: parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream'))) },
];

type Mutation = readonly [kind: 'flip' | 'set' | 'cut' | 'insert' | 'repeat', at: number, value: number];

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const [kind, at, value] of mutations) {
    if (out.length === 0) break;
    const i = at % out.length;
    if (kind === 'flip') out[i] ^= 1 << (value & 7);
    else if (kind === 'set') out[i] = value;
    else if (kind === 'cut') out = out.subarray(0, i);
    else if (kind === 'insert') out = Uint8Array.from([...out.subarray(0, i), value, ...out.subarray(i)]);
    else out = Uint8Array.from([...out.subarray(0, i), ...out.subarray(i, Math.min(out.length, i + 64)), ...out.subarray(i)]);
  }
  return out;
}

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The ingest path of an upload (pipeline/deliveries.ts without the store): to the end, or a 4xx KoppelError. */
async function ingestOnce(body: Body, chunkSize: number): Promise<void> {
  const options = { format: body.format, maxBytes: CORPUS_LIMITS.maxUploadBytes, maxRows: CORPUS_LIMITS.maxRowsPerDelivery, maxFieldBytes: CORPUS_LIMITS.maxFieldBytes, maxRowBytes: CORPUS_LIMITS.maxRowBytes, batchRows: 16 };
  try {
    const source = body.gzip ? await gunzipWithinLimit(chunks(body.bytes, chunkSize), options.maxBytes) : chunks(body.bytes, chunkSize);
    for await (const batch of ingestDelivery(source, schema, options).batches()) void batch;
  } catch (err) {
    if (isKoppelError(err) && ERROR_CATALOGUE[err.code].status < 500) return;
    throw err;
  }
}

async function withinTime(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`a case ran past ${HANG_MS} ms`)), HANG_MS); });
  try {
    await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

const arbitraryBody = fc.record({
  format: fc.constantFrom<UploadFormat>('csv', 'arrow', 'parquet'),
  gzip: fc.boolean(),
  bytes: fc.uint8Array({ maxLength: 2048 }),
});
const mutatedBody = fc.record({
  seed: fc.constantFrom(...SEEDS),
  mutations: fc.array(fc.tuple(fc.constantFrom('flip', 'set', 'cut', 'insert', 'repeat'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
}).map(({ seed, mutations }): Body => ({ ...seed, bytes: mutate(seed.bytes, mutations as Mutation[]) }));

t.test('the seeds themselves ingest cleanly', async (t) => {
  for (const seed of SEEDS) await t.resolves(ingestOnce(seed, 97), `${seed.format}${seed.gzip ? '+gzip' : ''}`);
});

t.test(`arbitrary and mutated bodies: no crash, no 5xx, no hang (${RUNS} cases)`, async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(arbitraryBody, mutatedBody, mutatedBody), fc.integer({ min: 1, max: 4096 }), (body, chunkSize) => withinTime(ingestOnce(body, chunkSize))),
    { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  t.pass(`${RUNS} cases`);
});
