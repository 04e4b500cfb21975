import t from 'tap';
import { gzipSync } from 'node:zlib';
import { gunzipStream, gunzipWithinLimit, latin1ToUtf8, limitBytes, transcodeLatin1 } from '../../../src/ingest/body-decoding.js';
import { caught, chunked, collect, seededRandom } from './synthetic.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomText(seed: number, length: number): Uint8Array {
  const rnd = seededRandom(seed);
  const words = ['Peeters', 'Janssens', 'Öztürk', '2024Q1', '85.07.30', ';', '\n'];
  const parts: string[] = [];
  let n = 0;
  while (n < length) {
    const w = words[Math.floor(rnd() * words.length)];
    parts.push(w);
    n += w.length;
  }
  return new TextEncoder().encode(parts.join(''));
}

t.test('gunzips a body arriving in small chunks, concatenated members too', async (t) => {
  const a = randomText(1, 200_000);
  const b = randomText(2, 1000);
  const gz = concat([gzipSync(a), gzipSync(b)]);
  const out = concat(await collect(gunzipStream(chunked(gz, 777), 1 << 24)));
  t.same(Buffer.from(out), Buffer.from(concat([a, b])));
});

t.test('stops a zip bomb at the decompressed limit', async (t) => {
  const bomb = gzipSync(new Uint8Array(50 * 1024 * 1024)); // 50 MiB of zeros, ~50 KiB compressed
  t.ok(bomb.length < 100_000);
  let seen = 0;
  const err = await caught(async () => {
    for await (const chunk of gunzipStream(chunked(bomb, 4096), 1 << 20)) seen += chunk.length;
  });
  t.equal(err.code, 'KOPPEL_ERR_INGEST_TOO_LARGE');
  t.same(err.details, { max_bytes: 1 << 20 });
  t.ok(seen <= 1 << 20, 'nothing past the limit was handed on');
});

t.test('maps a corrupt or truncated gzip stream to KOPPEL_ERR_INGEST_BAD_GZIP', async (t) => {
  const gz = gzipSync(randomText(3, 10_000));
  const truncated = await caught(() => collect(gunzipStream(chunked(gz.subarray(0, gz.length - 20), 100), 1 << 24)));
  t.equal(truncated.code, 'KOPPEL_ERR_INGEST_BAD_GZIP', 'truncated');
  const flipped = Uint8Array.from(gz);
  flipped[200] ^= 0xff;
  flipped[201] ^= 0xff;
  const corrupt = await caught(() => collect(gunzipStream(chunked(flipped, 100), 1 << 24)));
  t.equal(corrupt.code, 'KOPPEL_ERR_INGEST_BAD_GZIP', 'corrupt');
  const notGzip = await caught(() => collect(gunzipStream(chunked('a,b\n1,2\n'), 1 << 24)));
  t.equal(notGzip.code, 'KOPPEL_ERR_INGEST_BAD_GZIP', 'plain text');
});

t.test('passes the source\'s own errors through unchanged', async (t) => {
  async function* failing() {
    yield gzipSync(randomText(4, 1000)).subarray(0, 50);
    throw new Error('client went away');
  }
  const err = await caught(() => collect(gunzipStream(failing(), 1 << 24)));
  t.equal(err.message, 'client went away');
});

t.test('limits the bytes of any source', async (t) => {
  t.equal((await collect(limitBytes(chunked('x'.repeat(100), 10), 100))).length, 10);
  const err = await caught(() => collect(limitBytes(chunked('x'.repeat(101), 10), 100)));
  t.equal(err.code, 'KOPPEL_ERR_INGEST_TOO_LARGE');
});

t.test('transcodes Latin-1 bytes, reading 0x80-0x9F as windows-1252 does', async (t) => {
  const all = Uint8Array.from({ length: 256 }, (_, b) => b);
  const text = new TextDecoder().decode(latin1ToUtf8(all));
  const codePoints = Array.from(text, (c) => c.codePointAt(0));
  t.equal(codePoints.length, 256);
  for (let b = 0; b < 256; b++) if (b < 0x80 || b > 0x9f) t.equal(codePoints[b], b, `byte ${b}`);
  t.equal(text[0x80], '€');
  t.equal(text[0x8a], 'Š');
  t.equal(text[0x93], '\u201c');
  t.equal(text[0x9f], 'Ÿ');
  t.equal(codePoints[0x81], 0x81, 'undefined in windows-1252: stays a C1 control');
  const ascii = new TextEncoder().encode('plain ascii');
  t.equal(latin1ToUtf8(ascii), ascii, 'ASCII is passed through without a copy');
  const out = concat(await collect(transcodeLatin1(chunked(all, 7))));
  t.equal(new TextDecoder().decode(out), text, 'chunking does not matter');
});

t.test('gunzipWithinLimit refuses a bomb before passing on a byte, and passes a body within the limit whole', async (t) => {
  const text = randomText(5, 20_000);
  const bomb = gzipSync(Buffer.concat(Array.from({ length: 64 }, () => Buffer.from(text))));
  let pulled = 0;
  const err = await caught(async () => {
    for await (const chunk of await gunzipWithinLimit(chunked(bomb, 512), 200_000)) pulled += chunk.length;
  });
  t.equal(err.code, 'KOPPEL_ERR_INGEST_TOO_LARGE');
  t.equal(pulled, 0, 'nothing reached the consumer');
  const fine = concat(await collect(await gunzipWithinLimit(chunked(gzipSync(text), 333), 200_000)));
  t.same(fine, text, 'the same bytes as gunzipStream gives');
  t.equal((await caught(async () => gunzipWithinLimit(chunked(gzipSync(text).subarray(0, 50), 20), 200_000))).code, 'KOPPEL_ERR_INGEST_BAD_GZIP');
});
