/**
 * Two columns of synthetic linkage pseudonyms (32 random bytes each, as HMAC-SHA256 outputs
 * are) with a known overlap, for join benchmarks.
 *
 *   left:  n rows, all distinct
 *   right: n rows, all distinct; `matches` of them repeat a left pseudonym, scattered over a
 *          random permutation of the right rows (so neither side is in the other's order)
 *
 * The generator writes 32-bit words straight into the byte buffers (no object per row) and
 * keeps the ground truth as a typed array, so a 10M-row pair costs two 320 MB buffers and
 * a 40 MB truth array, nothing else. Random 256-bit values collide with probability ~n²/2²⁵⁶:
 * the overlap is exactly `matches`.
 */
import { seeded } from './corruption.js';

export interface PseudonymPair {
  /** n * 32 bytes; row i at [32 i, 32 i + 32). */
  readonly left: Uint8Array;
  readonly right: Uint8Array;
  readonly n: number;
  /** Rows of `right` that repeat a left pseudonym. */
  readonly matches: number;
  /** For each left row, the right row with the same pseudonym, or -1. */
  readonly rightOfLeft: Int32Array;
}

/** `n` x `n` pseudonyms of which `round(n * matchShare)` match; the same seed gives the same bytes. */
export function pseudonymPair(n: number, matchShare = 0.8, seed = 4): PseudonymPair {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
  if (!(matchShare >= 0 && matchShare <= 1)) throw new RangeError('matchShare must be within [0, 1]');
  const rnd = seeded(seed);
  const word = (): number => (rnd() * 4294967296) >>> 0;
  const left = new Uint8Array(n * 32);
  const right = new Uint8Array(n * 32);
  // Fresh byte buffers start at offset 0, so whole-word views are aligned.
  const leftWords = new Uint32Array(left.buffer, 0, n * 8);
  const rightWords = new Uint32Array(right.buffer, 0, n * 8);
  for (let i = 0; i < leftWords.length; i++) leftWords[i] = word();
  for (let i = 0; i < rightWords.length; i++) rightWords[i] = word();

  // Fisher-Yates: left row j < matches goes to right row perm[j].
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const matches = Math.round(n * matchShare);
  const rightOfLeft = new Int32Array(n).fill(-1);
  for (let j = 0; j < matches; j++) {
    const r = perm[j];
    rightWords.set(leftWords.subarray(j * 8, j * 8 + 8), r * 8);
    rightOfLeft[j] = r;
  }
  // The matched left rows are the first `matches`; shuffle which left rows match too, so the
  // probe side meets its hits at random left positions rather than in one block.
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    if (i === j) continue;
    swapRows(leftWords, i, j);
    const t = rightOfLeft[i];
    rightOfLeft[i] = rightOfLeft[j];
    rightOfLeft[j] = t;
  }
  return { left, right, n, matches, rightOfLeft };
}

function swapRows(words: Uint32Array, a: number, b: number): void {
  const pa = a * 8;
  const pb = b * 8;
  for (let k = 0; k < 8; k++) {
    const t = words[pa + k];
    words[pa + k] = words[pb + k];
    words[pb + k] = t;
  }
}
