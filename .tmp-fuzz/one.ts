import { readFileSync } from 'node:fs';
import { ingestDelivery } from '../src/ingest/ingest-delivery.js';
import { testDatasetSchema } from '../test/fixtures/synthetic.js';
import { CORPUS_LIMITS } from '../test/fixtures/hostile/corpus.js';
import type { DatasetSchema } from '../src/model.js';
const c = JSON.parse(readFileSync('/tmp/fuzz-oom.json', 'utf8'));
const bytes = Buffer.from(c.bytes, 'base64');
async function* chunks(b: Uint8Array, size: number) { for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size); }
const options = { format: c.format, maxBytes: CORPUS_LIMITS.maxUploadBytes, maxRows: CORPUS_LIMITS.maxRowsPerDelivery, maxFieldBytes: CORPUS_LIMITS.maxFieldBytes, maxRowBytes: CORPUS_LIMITS.maxRowBytes, batchRows: 16 };
try {
  for await (const batch of ingestDelivery(chunks(bytes, c.chunkSize), testDatasetSchema('fuzz_set', 'acme') as DatasetSchema, options).batches()) console.log('batch', batch.length);
  console.log('done');
} catch (err) { console.log('ERR', (err as any).code, (err as Error).message, (err as Error).stack?.split('\n').slice(0,8).join('\n')); }
