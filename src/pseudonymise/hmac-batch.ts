/**
 * HMAC-SHA256 (RFC 2104) over whole columns of short messages.
 *
 * Why a kernel of our own: a linkage pseudonym is the HMAC of an 11-byte message. RFC 2104
 * computes H((K ^ opad) || H((K ^ ipad) || m)); the two key blocks do not depend on m, so
 * their chaining values are computed once per key (`HmacSha256Key`, the same idea as noble's
 * pre-keyed `clone`). What is left per message of at most 55 bytes is exactly two compressions:
 *
 *   inner: [ m (len bytes) | 0x80 | 0 ... 0 | bit length of (64 + len) ]   one 64-byte block
 *   outer: [ inner digest (32 bytes) | 0x80 | 0 ... 0 | bit length 768 ]   one 64-byte block
 *
 * The constant words of both padded blocks are written once per batch; the loop only loads
 * the message words, compresses twice and stores 8 words. No allocation per row.
 * Messages longer than 55 bytes need more blocks and go to noble's hmac (rare: long names).
 * hmac-columns.ts applies these kernels to Arrow columns.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SHA256_IV, compressBlock, loadBlock } from './sha256-block.js';
import { SIMD_MAX_WIDTH, hmacFixedWidthSimd } from './hmac-simd.js';

export const HMAC_SHA256_BYTES = 32;
/** Longest message whose padding still fits one block: 64 - 1 (0x80) - 8 (length). */
export const SINGLE_BLOCK_MAX_BYTES = 55;

const BLOCK_BYTES = 64;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** A key with its RFC 2104 inner and outer chaining values precomputed. */
export class HmacSha256Key {
  /** Chaining value after compressing K ^ ipad. */
  readonly inner: Int32Array;
  /** Chaining value after compressing K ^ opad. */
  readonly outer: Int32Array;
  /** Kept only for the multi-block fallback; never leaves this object. */
  readonly #key: Uint8Array;
  #noble: ReturnType<typeof hmac.create> | undefined;

  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array)) throw new TypeError('HMAC key must be a Uint8Array');
    this.#key = Uint8Array.from(key);
    // RFC 2104 §2: keys longer than the block are hashed first, shorter ones zero-padded.
    const block = new Uint8Array(BLOCK_BYTES);
    block.set(key.length > BLOCK_BYTES ? sha256(key) : key);
    const w = new Int32Array(16);
    const xored = new Uint8Array(BLOCK_BYTES);
    for (let i = 0; i < BLOCK_BYTES; i++) xored[i] = block[i] ^ 0x36;
    loadBlock(xored, 0, w);
    this.inner = new Int32Array(8);
    compressBlock(SHA256_IV, w, this.inner, 0);
    for (let i = 0; i < BLOCK_BYTES; i++) xored[i] = block[i] ^ 0x5c;
    loadBlock(xored, 0, w);
    this.outer = new Int32Array(8);
    compressBlock(SHA256_IV, w, this.outer, 0);
    block.fill(0);
    xored.fill(0);
  }

  /** HMAC of a message of any length through noble (pre-keyed once, cloned per message). */
  digestLongInto(msg: Uint8Array, out: Uint8Array, outOffset: number): void {
    this.#noble ??= hmac.create(sha256, this.#key);
    const digest = this.#noble.clone().update(msg).digest();
    out.set(digest, outOffset);
  }
}

export type HmacKeyInput = Uint8Array | HmacSha256Key;

export function prepareHmacKey(key: HmacKeyInput): HmacSha256Key {
  return key instanceof HmacSha256Key ? key : new HmacSha256Key(key);
}

/**
 * The two-compression HMAC pipeline over reusable scratch, shared by the fixed- and
 * variable-width entry points. `wi` is the inner block (caller fills words 0..15),
 * `wo` the outer block whose padding words 8..15 are set here once.
 */
class TwoBlockHmac {
  readonly wi = new Int32Array(16);
  readonly wo = new Int32Array(16);
  readonly res = new Int32Array(8);
  readonly out32: Int32Array | null;

  constructor(readonly key: HmacSha256Key, readonly out: Uint8Array) {
    this.wo[8] = 0x80000000 | 0;
    this.wo[15] = (BLOCK_BYTES + HMAC_SHA256_BYTES) * 8;
    // Storing words instead of bytes is ~4x fewer writes; needs alignment and a byte swap.
    this.out32 = LITTLE_ENDIAN && out.byteOffset % 4 === 0
      ? new Int32Array(out.buffer, out.byteOffset, out.length >>> 2)
      : null;
  }

  /** Compress the prepared inner block and store the HMAC as row `row` of `out`. */
  finish(row: number): void {
    const { wi, wo, res, key } = this;
    compressBlock(key.inner, wi, wo, 0); // the inner digest becomes words 0..7 of the outer block
    compressBlock(key.outer, wo, res, 0);
    const out32 = this.out32;
    if (out32 !== null) {
      const o = row << 3;
      for (let j = 0; j < 8; j++) {
        const x = res[j];
        out32[o + j] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
      }
    } else {
      const out = this.out;
      for (let j = 0, o = row * HMAC_SHA256_BYTES; j < 8; j++, o += 4) {
        const x = res[j];
        out[o] = x >>> 24; out[o + 1] = x >>> 16; out[o + 2] = x >>> 8; out[o + 3] = x;
      }
    }
  }
}

/**
 * Write message bytes `input[p..p+len)` plus the 0x80 marker into words 0..len/4 of `w`.
 * Words after that are the caller's business (zero for a fixed width, set once).
 */
function loadMessage(w: Int32Array, input: Uint8Array, p: number, len: number): void {
  const full = len >>> 2;
  for (let j = 0; j < full; j++, p += 4) {
    w[j] = (input[p] << 24) | (input[p + 1] << 16) | (input[p + 2] << 8) | input[p + 3];
  }
  const rem = len & 3;
  let last = 0x80 << (24 - 8 * rem);
  if (rem > 0) last |= input[p] << 24;
  if (rem > 1) last |= input[p + 1] << 16;
  if (rem > 2) last |= input[p + 2] << 8;
  w[full] = last;
}

function checkOut(out: Uint8Array, count: number): void {
  if (out.length < count * HMAC_SHA256_BYTES) {
    throw new RangeError(`output buffer holds ${out.length} bytes, ${count * HMAC_SHA256_BYTES} needed for ${count} rows`);
  }
}

/** Below this many rows the JS kernel is as fast: the SIMD call copies rows in and out. */
const SIMD_MIN_ROWS = 16;

function checkFixedWidth(input: Uint8Array, width: number, count: number, out: Uint8Array, skip?: Uint8Array): void {
  if (!Number.isInteger(width) || width < 0) throw new RangeError('width must be a non-negative integer');
  if (input.length < width * count) throw new RangeError(`input holds ${input.length} bytes, ${width * count} needed for ${count} rows of width ${width}`);
  if (skip !== undefined && skip.length < count) throw new RangeError(`skip holds ${skip.length} entries, ${count} needed`);
  checkOut(out, count);
}

/**
 * HMAC-SHA256 of `count` messages of `width` bytes stored back to back in `input`, into
 * `out` (`count * 32` bytes, owned by the caller). Rows whose `skip` entry is non-zero are
 * not hashed and get 32 zero bytes, so output files stay deterministic.
 *
 * Runs the WebAssembly SIMD kernel (`hmac-simd.ts`, four rows per instruction) where the
 * engine has it, else the JS kernel; both give the same bytes (the tests pin it).
 */
export function hmacFixedWidth(
  key: HmacKeyInput, input: Uint8Array, width: number, count: number, out: Uint8Array, skip?: Uint8Array,
): void {
  checkFixedWidth(input, width, count, out, skip);
  const k = prepareHmacKey(key);
  if (width <= SIMD_MAX_WIDTH && count >= SIMD_MIN_ROWS && hmacFixedWidthSimd(k.inner, k.outer, input, width, count, out)) {
    // Skipped rows were hashed with the others (cheaper than compacting); their output is blanked.
    if (skip !== undefined) {
      for (let i = 0; i < count; i++) if (skip[i] !== 0) out.fill(0, i * HMAC_SHA256_BYTES, (i + 1) * HMAC_SHA256_BYTES);
    }
    return;
  }
  hmacFixedWidthScalar(k, input, width, count, out, skip);
}

/** `hmacFixedWidth` on the JS kernel only: the fallback, and the benchmark's reference. */
export function hmacFixedWidthScalar(
  key: HmacKeyInput, input: Uint8Array, width: number, count: number, out: Uint8Array, skip?: Uint8Array,
): void {
  checkFixedWidth(input, width, count, out, skip);
  const k = prepareHmacKey(key);
  if (width > SINGLE_BLOCK_MAX_BYTES) {
    for (let i = 0, p = 0; i < count; i++, p += width) {
      if (skip !== undefined && skip[i] !== 0) out.fill(0, i * HMAC_SHA256_BYTES, (i + 1) * HMAC_SHA256_BYTES);
      else k.digestLongInto(input.subarray(p, p + width), out, i * HMAC_SHA256_BYTES);
    }
    return;
  }
  const run = new TwoBlockHmac(k, out);
  const wi = run.wi;
  wi[15] = (BLOCK_BYTES + width) * 8; // words between the marker and 15 stay zero for every row
  for (let i = 0, p = 0; i < count; i++, p += width) {
    if (skip !== undefined && skip[i] !== 0) {
      out.fill(0, i * HMAC_SHA256_BYTES, (i + 1) * HMAC_SHA256_BYTES);
      continue;
    }
    loadMessage(wi, input, p, width);
    run.finish(i);
  }
}

/**
 * HMAC-SHA256 of `count` variable-length messages: row i is `values[offsets[i]..offsets[i+1])`
 * (the layout of an Arrow Utf8/Binary column). Skipped rows get 32 zero bytes.
 */
export function hmacVarWidth(
  key: HmacKeyInput, values: Uint8Array, offsets: Int32Array, count: number, out: Uint8Array, skip?: Uint8Array,
): void {
  if (offsets.length < count + 1) throw new RangeError(`offsets hold ${offsets.length} entries, ${count + 1} needed`);
  if (skip !== undefined && skip.length < count) throw new RangeError(`skip holds ${skip.length} entries, ${count} needed`);
  checkOut(out, count);
  const k = prepareHmacKey(key);
  const done = count >= SIMD_MIN_ROWS ? hmacByLengthSimd(k, values, offsets, count, out, skip) : null;
  const run = new TwoBlockHmac(k, out);
  const wi = run.wi;
  for (let i = 0; i < count; i++) {
    if (done !== null && done[i] !== 0) continue;
    const start = offsets[i];
    const len = offsets[i + 1] - start;
    if (skip !== undefined && skip[i] !== 0) {
      out.fill(0, i * HMAC_SHA256_BYTES, (i + 1) * HMAC_SHA256_BYTES);
    } else if (len <= SINGLE_BLOCK_MAX_BYTES) {
      loadMessage(wi, values, start, len);
      wi.fill(0, (len >>> 2) + 1, 15);
      wi[15] = (BLOCK_BYTES + len) * 8;
      run.finish(i);
    } else {
      k.digestLongInto(values.subarray(start, start + len), out, i * HMAC_SHA256_BYTES);
    }
  }
}

/**
 * The rows of `hmacVarWidth` whose length is shared by at least `SIMD_MIN_ROWS` rows, through the
 * SIMD kernel one length at a time (gathered back to back, then scattered back). Returns which
 * rows are done, or null when SIMD is unavailable; the caller hashes the rest.
 */
function hmacByLengthSimd(
  k: HmacSha256Key, values: Uint8Array, offsets: Int32Array, count: number, out: Uint8Array, skip?: Uint8Array,
): Uint8Array | null {
  // Rows bucketed by length in one counting sort: start[len]..start[len + 1] in `byLength`.
  const start = new Int32Array(SIMD_MAX_WIDTH + 2);
  for (let i = 0; i < count; i++) {
    const len = offsets[i + 1] - offsets[i];
    if (len <= SIMD_MAX_WIDTH && (skip === undefined || skip[i] === 0)) start[len + 1]++;
  }
  for (let len = 0; len <= SIMD_MAX_WIDTH; len++) start[len + 1] += start[len];
  const fill = start.slice(0, SIMD_MAX_WIDTH + 1);
  const byLength = new Int32Array(start[SIMD_MAX_WIDTH + 1]);
  for (let i = 0; i < count; i++) {
    const len = offsets[i + 1] - offsets[i];
    if (len <= SIMD_MAX_WIDTH && (skip === undefined || skip[i] === 0)) byLength[fill[len]++] = i;
  }
  const done = new Uint8Array(count);
  for (let len = 0; len <= SIMD_MAX_WIDTH; len++) {
    const from = start[len];
    const n = start[len + 1] - from;
    if (n < SIMD_MIN_ROWS) continue;
    const packed = new Uint8Array(n * len);
    for (let j = 0; j < n; j++) {
      const at = offsets[byLength[from + j]];
      for (let b = 0, to = j * len; b < len; b++) packed[to + b] = values[at + b];
    }
    const macs = new Uint8Array(n * HMAC_SHA256_BYTES);
    if (!hmacFixedWidthSimd(k.inner, k.outer, packed, len, n, macs)) return null;
    packed.fill(0); // cleartext copies do not outlive the call
    for (let j = 0; j < n; j++) {
      const row = byLength[from + j];
      for (let b = 0, src = j * HMAC_SHA256_BYTES, to = row * HMAC_SHA256_BYTES; b < HMAC_SHA256_BYTES; b++) out[to + b] = macs[src + b];
      done[row] = 1;
    }
  }
  return done;
}

/** HMAC-SHA256 of one message (tests, tokens, single values). */
export function hmacBytes(key: HmacKeyInput, msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(HMAC_SHA256_BYTES);
  hmacFixedWidth(key, msg, msg.length, 1, out);
  return out;
}
