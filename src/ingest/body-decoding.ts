/**
 * Byte-stream adapters in front of the CSV reader: a size limit, gzip decoding that enforces the
 * limit on the decompressed bytes (a small zip bomb must not fill memory), optionally before any
 * byte is passed on (`gunzipWithinLimit`: nor fill staging), and Latin-1 to UTF-8
 * transcoding. Each takes and returns `AsyncIterable<Uint8Array>`, so an HTTP body, a file
 * stream or a test array all fit, and nothing is ever buffered whole.
 */
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { KoppelError, isKoppelError } from '../errors.js';

function tooLarge(maxBytes: number, what: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_INGEST_TOO_LARGE', `The ${what} is larger than the limit of ${maxBytes} bytes.`, { max_bytes: maxBytes });
}

/** Pass chunks through, failing with KOPPEL_ERR_INGEST_TOO_LARGE once more than `maxBytes` have passed. */
export async function* limitBytes(source: AsyncIterable<Uint8Array>, maxBytes: number, what = 'upload'): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(maxBytes, what);
    yield chunk;
  }
}

/**
 * Decompress a gzip body (`Content-Encoding: gzip`; concatenated members are allowed).
 * More than `maxBytes` of compressed input or of decompressed output fails with
 * KOPPEL_ERR_INGEST_TOO_LARGE; a corrupt or truncated stream with KOPPEL_ERR_INGEST_BAD_GZIP.
 */
export async function* gunzipStream(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip();
  const pumping = pipeline(limitBytes(source, maxBytes), gunzip);
  // The consumer below sees every error first (pipeline destroys gunzip with it); this promise
  // only has to settle quietly, including after an early exit.
  pumping.catch(() => undefined);
  let total = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge(maxBytes, 'decompressed upload');
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    await pumping;
  } catch (err) {
    if (isKoppelError(err)) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new KoppelError('KOPPEL_ERR_INGEST_BAD_GZIP', 'The gzip stream is corrupt or truncated.', { after_bytes: total }, { cause: err });
    }
    throw err;
  } finally {
    gunzip.destroy();
  }
}

/**
 * A gzip body whose decompressed size is known to be within `maxBytes` before any of it is passed
 * on: the compressed bytes are held (in memory: the body carries cleartext, which never rests on
 * disk) while they are inflated once only to be counted, then inflated again for the caller. A
 * bomb (7 MiB that inflate to 2 GiB of valid rows) is thus refused with KOPPEL_ERR_INGEST_TOO_LARGE
 * before ingest stages a single row, where counting as the rows went by let staging grow to
 * several times the limit (each row's pseudonym and encodings outweigh its text). The price is a
 * second inflation and the compressed body in memory (at most `maxBytes`).
 */
const NOTHING = new Uint8Array(0);

export async function gunzipWithinLimit(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<AsyncIterable<Uint8Array>> {
  const held: Uint8Array[] = [];
  async function* holding(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      held.push(chunk);
      yield chunk;
    }
  }
  for await (const inflated of gunzipStream(holding(), maxBytes)) void inflated;
  async function* replay(): AsyncGenerator<Uint8Array> {
    // Let go of each compressed chunk as it is inflated again.
    for (let i = 0; i < held.length; i++) {
      const chunk = held[i];
      held[i] = NOTHING;
      yield chunk;
    }
  }
  return gunzipStream(replay(), maxBytes);
}

/**
 * windows-1252 code points of bytes 0x80-0x9F. Files called "Latin-1" come from Windows tools
 * that write windows-1252 (the euro sign is 0x80), and WHATWG's encoding standard reads the label
 * `latin1` the same way; the five bytes that windows-1252 leaves undefined stay C1 controls.
 */
const CP1252_HIGH = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/** UTF-8 bytes of every byte value, 4 slots each, and their lengths. */
const UTF8_OF = new Uint8Array(256 * 4);
const UTF8_LEN = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const cp = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : b;
  const bytes = new TextEncoder().encode(String.fromCodePoint(cp));
  UTF8_OF.set(bytes, b * 4);
  UTF8_LEN[b] = bytes.length;
}

/** Transcode one chunk of Latin-1 (windows-1252) bytes to UTF-8. Pure ASCII is returned as is. */
export function latin1ToUtf8(chunk: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < chunk.length; i++) extra += UTF8_LEN[chunk[i]] - 1;
  if (extra === 0) return chunk;
  const out = new Uint8Array(chunk.length + extra);
  let j = 0;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if (b < 0x80) {
      out[j++] = b;
      continue;
    }
    const len = UTF8_LEN[b];
    for (let k = 0; k < len; k++) out[j++] = UTF8_OF[b * 4 + k];
  }
  return out;
}

/** Latin-1 (windows-1252) to UTF-8, chunk by chunk; every byte is one character, so chunks never cut one. */
export async function* transcodeLatin1(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) yield latin1ToUtf8(chunk);
}
