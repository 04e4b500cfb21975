/**
 * Streaming CSV reader: an upload's byte chunks (size-limited, latin1 transcoded when asked)
 * through the CSV state machine (csv-parser.ts, which describes the dialect and its faults),
 * as a batch source (batch-source.ts). A body over the size limit fails the delivery with
 * KOPPEL_ERR_INGEST_TOO_LARGE.
 */
import { limitBytes, transcodeLatin1 } from './body-decoding.js';
import { DELIMITERS } from './csv-header.js';
import { CsvParser, type CsvBatch, type CsvDelimiter, type CsvParserOptions } from './csv-parser.js';
import type { Utf8BatchSource } from './utf8-batch-source.js';

export interface CsvOptions extends CsvParserOptions {
  /** Limit on the bytes read from `source` (before any transcoding). */
  readonly maxBytes: number;
  /** `utf-8` (default) or `latin1` (read as windows-1252, transcoded to UTF-8). */
  readonly encoding?: 'utf-8' | 'latin1';
}

/** Parsing per turn of the event loop, in ms. */
const TURN_MS = 20;

/** The CSV reader as a batch source (batch-source.ts), plus the delimiter it read. */
export interface CsvStream extends Utf8BatchSource {
  /** The delimiter in use, detected or given. */
  readonly delimiter: CsvDelimiter;
}

/**
 * Read the header from `source`, then stream its records in batches. Fails with
 * KOPPEL_ERR_INGEST_EMPTY, _UNTERMINATED_QUOTE, _ENCODING (see csv-parser.ts) or _TOO_LARGE.
 */
export async function openCsv(source: AsyncIterable<Uint8Array>, options: CsvOptions): Promise<CsvStream> {
  const limited = limitBytes(source, options.maxBytes);
  const it = (options.encoding === 'latin1' ? transcodeLatin1(limited) : limited)[Symbol.asyncIterator]();
  const parser = new CsvParser(options);
  let done = false;
  try {
    while (parser.header === null) {
      const r = await it.next();
      if (r.done) {
        done = true;
        parser.end();
        break;
      }
      parser.push(r.value);
    }
  } catch (err) {
    await it.return?.(undefined);
    throw err;
  }
  const delimiter = (Object.keys(DELIMITERS) as CsvDelimiter[]).find((d) => DELIMITERS[d] === parser.delimiter) ?? ',';
  let started = false;
  async function* batches(): AsyncGenerator<CsvBatch> {
    if (started) throw new Error('CsvStream.batches() can be iterated only once');
    started = true;
    try {
      yield* parser.takeBatches();
      let turnStart = performance.now();
      while (!done) {
        // Buffered chunks come back as microtasks: without a turn of the event loop now and
        // then, a fast upload would hold the server's other requests for as long as it lasts.
        if (performance.now() - turnStart > TURN_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          turnStart = performance.now();
        }
        const r = await it.next();
        if (r.done) {
          done = true;
          parser.end();
        } else parser.push(r.value);
        yield* parser.takeBatches();
      }
    } finally {
      if (!done) {
        done = true;
        await it.return?.(undefined);
      }
    }
  }
  async function close(): Promise<void> {
    if (done) return;
    done = true;
    await it.return?.(undefined);
  }
  return { header: parser.header as string[], delimiter, stats: parser.stats, batches, close };
}
