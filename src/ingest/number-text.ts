/**
 * Numbers and booleans as text (see arrow-text.ts): integers of every width and decimals as
 * exact decimal text, floats as JavaScript's shortest round-trip text, booleans `true`/`false`.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { SAFE_HI, TWO_32, TextBuilder, words64, writeAscii, writeInteger } from './text-builder.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

/** Integers of 8 to 32 bits (exact as doubles). */
export function intText(data: Data): Data<Utf8> {
  const maxBytes = 11;
  const n = data.length;
  const values = data.values as ArrayLike<number>;
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const out = new TextBuilder(n, n * maxBytes);
  const bytes = out.room(n * maxBytes);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) pos = writeInteger(bytes, pos, values[i]);
    out.pos = pos;
    out.end(i);
  }
  return out.finish();
}

export function int64Text(data: Data, signed: boolean): Data<Utf8> {
  const n = data.length;
  const words = words64(data);
  const big = data.values as BigInt64Array | BigUint64Array;
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const out = new TextBuilder(n, n * 21);
  const bytes = out.room(n * 21);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) {
      const lo = words[2 * i] >>> 0;
      const hi = signed ? words[2 * i + 1] : words[2 * i + 1] >>> 0;
      pos = hi >= -SAFE_HI && hi < SAFE_HI ? writeInteger(bytes, pos, hi * TWO_32 + lo) : writeAscii(bytes, pos, String(big[i]));
    }
    out.pos = pos;
    out.end(i);
  }
  return out.finish();
}

const PRECISION_HALF = 0;

export function floatText(data: Data, precision: number): Data<Utf8> {
  const half = precision === PRECISION_HALF;
  const values = data.values as Float32Array | Float64Array | Uint16Array;
  const n = data.length;
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const out = new TextBuilder(n, n * 24);
  const bytes = out.room(n * 24);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) {
      const x = half ? halfToFloat(values[i]) : values[i];
      // NaN is how dataframes spell "missing" in float columns: null, like an empty CSV field.
      if (x === x) pos = writeAscii(bytes, pos, String(x));
    }
    out.pos = pos;
    out.end(i);
  }
  return out.finish();
}

/** IEEE 754 binary16 to a double. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];

export function boolText(data: Data): Data<Utf8> {
  const n = data.length;
  // Booleans are bit-packed and not sliced: row i is bit `offset + i` of values and validity.
  const bits = data.values as Uint8Array;
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const out = new TextBuilder(n, n * 5);
  const bytes = out.room(n * 5);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) {
      const word = isBitSet(bits, k) ? TRUE : FALSE;
      for (let c = 0; c < word.length; c++) bytes[pos++] = word[c];
    }
    out.pos = pos;
    out.end(i);
  }
  return out.finish();
}

/** Decimals: two's complement little-endian 32-bit words, `stride` per value, and a scale. */
export function decimalText(data: Data, scale: number, stride: number): Data<Utf8> {
  const n = data.length;
  const words = data.values as Uint32Array;
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const maxDigits = Math.ceil(stride * 32 * Math.log10(2)) + 1;
  const rowMax = maxDigits + 3 + Math.max(0, scale, -scale);
  const digits = new Uint8Array(maxDigits + 1);
  const out = new TextBuilder(n, n * Math.min(rowMax, 24));
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) {
      const base = i * stride;
      let negative = false;
      let len: number;
      const small = smallDecimal(words, base, stride);
      if (small !== null) {
        negative = small < 0;
        len = writeInteger(digits, 0, negative ? -small : small);
      } else {
        let v = 0n;
        for (let w = stride - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[base + w]);
        if (words[base + stride - 1] >= 0x80000000) v -= 1n << BigInt(32 * stride);
        negative = v < 0n;
        len = writeAscii(digits, 0, String(negative ? -v : v));
      }
      const bytes = out.room(rowMax);
      let pos = out.pos;
      if (negative) bytes[pos++] = 0x2d;
      if (scale <= 0) {
        bytes.set(digits.subarray(0, len), pos);
        pos += len;
        if (!(len === 1 && digits[0] === 0x30)) for (let z = 0; z < -scale; z++) bytes[pos++] = 0x30;
      } else if (len > scale) {
        bytes.set(digits.subarray(0, len - scale), pos);
        pos += len - scale;
        bytes[pos++] = 0x2e;
        bytes.set(digits.subarray(len - scale, len), pos);
        pos += scale;
      } else {
        bytes[pos++] = 0x30;
        bytes[pos++] = 0x2e;
        for (let z = len; z < scale; z++) bytes[pos++] = 0x30;
        bytes.set(digits.subarray(0, len), pos);
        pos += len;
      }
      out.pos = pos;
    }
    out.end(i);
  }
  return out.finish();
}

/** The decimal's unscaled value when it is a safe integer, else null. */
function smallDecimal(words: Uint32Array, base: number, stride: number): number | null {
  if (stride === 1) return words[base] | 0;
  const hi = words[base + 1] | 0;
  if (hi < -SAFE_HI || hi >= SAFE_HI) return null;
  const ext = hi < 0 ? 0xffffffff : 0;
  for (let w = 2; w < stride; w++) if (words[base + w] !== ext) return null;
  return hi * TWO_32 + words[base];
}
