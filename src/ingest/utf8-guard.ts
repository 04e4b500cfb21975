/**
 * Streaming UTF-8 validation of an upload, chunk by chunk.
 *
 * The fast path is `isUtf8` (node:buffer, SIMD) over each whole chunk. A character may be cut
 * between two chunks, so up to 3 trailing bytes of an incomplete sequence are held back and
 * validated together with the start of the next chunk. Only when a chunk fails does the slow
 * JavaScript scan run, to find the offset of the first bad byte so the reader can name its row
 * and column.
 */
import { isUtf8 } from 'node:buffer';

/** Length of the sequence a lead byte starts (1-4), or 0 for a byte that cannot lead. */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/**
 * Offset of the first ill-formed sequence in `buf[start, end)`, or -1. Follows Unicode's table
 * of well-formed byte sequences (Table 3-7): no overlongs, no surrogates, nothing past U+10FFFF.
 * A sequence cut off by `end` counts as ill-formed.
 */
export function firstInvalidUtf8(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = sequenceLength(b);
    if (len === 0 || i + len > end) return i;
    const b1 = buf[i + 1];
    let lo = 0x80;
    let hi = 0xbf;
    if (b === 0xe0) lo = 0xa0;
    else if (b === 0xed) hi = 0x9f;
    else if (b === 0xf0) lo = 0x90;
    else if (b === 0xf4) hi = 0x8f;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k < len; k++) {
      const c = buf[i + k];
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}

export class Utf8Guard {
  private readonly tail = new Uint8Array(4);
  private tailLength = 0;

  /** Validate the next chunk; returns the offset in it of the first bad byte, or -1. */
  check(chunk: Uint8Array): number {
    let start = 0;
    if (this.tailLength > 0) {
      const need = sequenceLength(this.tail[0]) - this.tailLength;
      const take = Math.min(need, chunk.length);
      for (let k = 0; k < take; k++) this.tail[this.tailLength++] = chunk[k];
      start = take;
      if (take < need) return -1;
      const ok = isUtf8(this.tail.subarray(0, this.tailLength));
      this.tailLength = 0;
      if (!ok) return 0;
    }
    // Hold back a trailing lead byte followed only by continuation bytes, if its sequence is cut.
    let cut = chunk.length;
    for (let k = chunk.length - 1; k >= start && k >= chunk.length - 3; k--) {
      const b = chunk[k];
      if ((b & 0xc0) === 0x80) continue;
      if (sequenceLength(b) > chunk.length - k) cut = k;
      break;
    }
    if (cut < chunk.length) {
      this.tail.set(chunk.subarray(cut));
      this.tailLength = chunk.length - cut;
    }
    if (isUtf8(chunk.subarray(start, cut))) return -1;
    const bad = firstInvalidUtf8(chunk, start, cut);
    return bad < 0 ? start : bad;
  }

  /** True when the stream did not end inside a character. */
  finish(): boolean {
    return this.tailLength === 0;
  }
}
