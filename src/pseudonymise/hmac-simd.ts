/**
 * HMAC-SHA256 of fixed-width short messages, four at a time, in WebAssembly SIMD.
 *
 * Why: the JS kernel (`hmac-batch.ts`) runs one SHA-256 lane in 32-bit scalar registers; a
 * WebAssembly `v128` holds four 32-bit lanes, so one instruction advances four messages. The
 * module is generated here, per message width, from the same FIPS 180-4 steps as
 * `sha256-block.ts` (no compiled blob in the repository, nothing to rebuild):
 *
 * ```
 * memory  [0, 32) inner chaining value (K ^ ipad), [32, 64) outer (K ^ opad), little-endian words
 *         [64, ...) rows of `width` bytes back to back, then 4 rows + 4 bytes of slack
 *         [out, ...) 32-byte HMACs
 * hmac(in, count, out): for each group of 4 rows
 *   lanes  <- word j of rows r..r+3 (load32_lane, byte swap)   message words; padding is constant
 *   state  <- compress(inner, block)      64 rounds on v128, names rotated at generation time
 *   block  <- state words 0..7 + constant padding of a 32-byte message
 *   state  <- compress(outer, block)
 *   out    <- byte-swapped lanes, one 32-bit store per row and word
 * ```
 * Words known at generation time (padding, length) are folded into the round constants.
 * The caller (`hmacFixedWidth`) checks the result bit for bit against the JS kernel in tests.
 */
import { SHA256_K } from './sha256-block.js';
import { Body, I32, V128, moduleBytes } from './wasm-emit.js';

/** Round constants K0..K63 (FIPS 180-4 §4.2.2), as unsigned 32-bit values. */
const K = Array.from(SHA256_K, (k) => k >>> 0);

/** Longest message whose padding fits one block (64 - 1 - 8). */
export const SIMD_MAX_WIDTH = 55;
export const LANES = 4;
const INNER_IV_AT = 0;
const OUTER_IV_AT = 32;
export const ROWS_AT = 64;
const BSWAP32 = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

// Locals: params first, then i32 scratch, then v128 registers.
const P_IN = 0, P_COUNT = 1, P_OUT = 2;
const L_ROW = 3;
const V_BASE = 4;
const STATE = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => V_BASE + i);
const W = Array.from({ length: 16 }, (_, i) => V_BASE + 8 + i);
const T1 = V_BASE + 24;
const TMP = V_BASE + 25;
/** b ^ c of the coming round, which is a ^ b of the round before (Maj's shared term). */
const XOR = [V_BASE + 26, V_BASE + 27];
const LOCALS = [I32, ...Array.from({ length: 28 }, () => V128)];

/** A schedule word: in a local, or known when the module is generated. */
type Word = { readonly local: number } | { readonly value: number };

const rotr = (x: number, n: number) => ((x >>> n) | (x << (32 - n))) >>> 0;
const sigma0 = (x: number) => (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) >>> 0;
const sigma1 = (x: number) => (rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10)) >>> 0;

class Kernel {
  constructor(readonly b: Body) {}

  push(w: Word): void {
    if ('local' in w) this.b.localGet(w.local);
    else this.b.splatConst(w.value);
  }

  /** Pushes rotr(x, n) for x in a local. */
  rotr(x: number, n: number): void {
    this.b.localGet(x).i32Const(n).shrU().localGet(x).i32Const(32 - n).shl().or();
  }

  /** Pushes rotr(x, r0) ^ rotr(x, r1) ^ (r2 < 0 ? rotr(x, -r2) : x >>> r2). */
  mix(x: number, r0: number, r1: number, shift: number, rotateLast: boolean): void {
    this.rotr(x, r0);
    this.rotr(x, r1);
    this.b.xor();
    if (rotateLast) this.rotr(x, shift);
    else this.b.localGet(x).i32Const(shift).shrU();
    this.b.xor();
  }

  /** Pushes σ0 or σ1 of a schedule word. */
  smallSigma(w: Word, which: 0 | 1): void {
    if ('value' in w) { this.b.splatConst(which === 0 ? sigma0(w.value) : sigma1(w.value)); return; }
    if (which === 0) this.mix(w.local, 7, 18, 3, false);
    else this.mix(w.local, 17, 19, 10, false);
  }

  /**
   * 64 rounds over the state locals with the block in `w` (16 words, changed in place as the
   * schedule ring). The state is NOT fed forward here: the caller adds the chaining value.
   */
  rounds(w: Word[]): void {
    const b = this.b;
    let s = [...STATE]; // names a..h rotate by one per round instead of moving eight values
    b.localGet(s[1]).localGet(s[2]).xor().localSet(XOR[0]);
    for (let t = 0; t < 64; t++) {
      const slot = t & 15;
      if (t >= 16) {
        const w2 = w[(t - 2) & 15], w7 = w[(t - 7) & 15], w15 = w[(t - 15) & 15], w16 = w[slot];
        if ('value' in w2 && 'value' in w7 && 'value' in w15 && 'value' in w16) {
          w[slot] = { value: (sigma1(w2.value) + w7.value + sigma0(w15.value) + w16.value) >>> 0 };
        } else {
          this.smallSigma(w2, 1);
          this.push(w7); b.add32x4();
          this.smallSigma(w15, 0); b.add32x4();
          this.push(w16); b.add32x4();
          b.localSet(W[slot]);
          w[slot] = { local: W[slot] };
        }
      }
      const [a, bb, c, d, e, f, g, h] = s;
      // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + w[t]; Ch = bitselect(f, g, e)
      b.localGet(h);
      this.mix(e, 6, 11, 25, true); b.add32x4();
      b.localGet(f).localGet(g).localGet(e).bitselect().add32x4();
      const wt = w[slot];
      if ('value' in wt) b.splatConst((K[t] + wt.value) >>> 0);
      else b.localGet(wt.local).splatConst(K[t]).add32x4();
      b.add32x4().localTee(T1);
      // d += T1
      b.localGet(d).add32x4().localSet(d);
      // h = T1 + Σ0(a) + Maj(a, b, c); Maj = b ^ ((a ^ b) & (b ^ c)), and a ^ b is the next round's b ^ c
      b.localGet(T1);
      this.mix(a, 2, 13, 22, true); b.add32x4();
      b.localGet(bb).localGet(a).localGet(bb).xor().localTee(XOR[(t + 1) & 1]).localGet(XOR[t & 1]).and().xor().add32x4();
      b.localSet(h);
      s = [h, a, bb, c, d, e, f, g];
    }
  }

  /** state[j] <- chaining value word j (splat from memory at `at`). */
  loadState(at: number): void {
    for (let j = 0; j < 8; j++) this.b.i32Const(0).load32Splat(at + 4 * j).localSet(STATE[j]);
  }

  /** Pushes state[j] + chaining value word j. */
  fedForward(j: number, at: number): void {
    this.b.localGet(STATE[j]).i32Const(0).load32Splat(at + 4 * j).add32x4();
  }
}

/** The module's bytes for messages of exactly `width` bytes (0..55). */
export function hmacSimdModuleBytes(width: number): Uint8Array {
  if (!Number.isInteger(width) || width < 0 || width > SIMD_MAX_WIDTH) throw new RangeError(`width must be 0..${SIMD_MAX_WIDTH}`);
  const b = new Body();
  const k = new Kernel(b);
  const full = width >>> 2;
  const rem = width & 3;

  b.i32Const(0).localSet(L_ROW);
  b.block().loop();
  b.localGet(L_ROW).localGet(P_COUNT).i32GeU().brIf(1);

  // Inner block: message words from the four rows, then constant padding and length.
  const inner: Word[] = [];
  for (let j = 0; j < 16; j++) {
    if (j < full || (j === full && rem > 0)) {
      b.localGet(P_IN).load32Zero(4 * j).localSet(TMP);
      for (let lane = 1; lane < LANES; lane++) b.localGet(P_IN).localGet(TMP).load32Lane(lane * width + 4 * j, lane).localSet(TMP);
      b.localGet(TMP).localGet(TMP).shuffle(BSWAP32);
      if (j === full) {
        // Keep the row's last `rem` bytes (the rest belong to the next row) and append 0x80.
        b.splatConst((0xffffffff << (32 - 8 * rem)) >>> 0).and();
        b.splatConst((0x80 << (24 - 8 * rem)) >>> 0).or();
      }
      b.localSet(W[j]);
      inner.push({ local: W[j] });
    } else if (j === full) {
      inner.push({ value: 0x80000000 });
    } else if (j === 15) {
      inner.push({ value: (64 + width) * 8 });
    } else {
      inner.push({ value: 0 });
    }
  }
  k.loadState(INNER_IV_AT);
  k.rounds(inner);

  // Outer block: the inner digest, then the padding of a 32-byte message after the key block.
  const outer: Word[] = [];
  for (let j = 0; j < 8; j++) {
    k.fedForward(j, INNER_IV_AT);
    b.localSet(W[j]);
    outer.push({ local: W[j] });
  }
  outer.push({ value: 0x80000000 });
  for (let j = 9; j < 15; j++) outer.push({ value: 0 });
  outer.push({ value: (64 + 32) * 8 });
  k.loadState(OUTER_IV_AT);
  k.rounds(outer);

  for (let j = 0; j < 8; j++) {
    k.fedForward(j, OUTER_IV_AT);
    b.localTee(TMP).localGet(TMP).shuffle(BSWAP32).localSet(TMP);
    for (let lane = 0; lane < LANES; lane++) b.localGet(P_OUT).localGet(TMP).store32Lane(32 * lane + 4 * j, lane);
  }

  b.localGet(P_IN).i32Const(LANES * width).i32Add().localSet(P_IN);
  b.localGet(P_OUT).i32Const(LANES * 32).i32Add().localSet(P_OUT);
  b.localGet(L_ROW).i32Const(LANES).i32Add().localSet(L_ROW);
  b.br(0).end().end();

  return moduleBytes(pagesFor(width), [{ name: 'hmac', params: [I32, I32, I32], locals: LOCALS, body: b }]);
}

/** Rows per call: the memory holds one chunk of input and output. */
export const CHUNK_ROWS = 16384;

export function outputAt(width: number): number {
  // Input plus the slack the last group may read past its rows, rounded up to 16 bytes.
  return (ROWS_AT + (CHUNK_ROWS + LANES) * width + 4 + 15) & ~15;
}

function pagesFor(width: number): number {
  const bytes = outputAt(width) + (CHUNK_ROWS + LANES) * 32;
  return Math.ceil(bytes / 65536);
}

/** The part of the WebAssembly JS API used here (@types/node 20 does not declare the global). */
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Instance {
  readonly memory: WasmMemory;
  readonly hmac: (inPtr: number, count: number, outPtr: number) => void;
}

const instances = new Map<number, Instance | null>();

/** This thread's kernel for `width`, or null where the engine has no SIMD (then the JS kernel runs). */
function kernelFor(width: number): Instance | null {
  let k = instances.get(width);
  if (k === undefined) {
    const bytes = hmacSimdModuleBytes(width);
    if (wasm !== undefined && wasm.validate(bytes)) {
      const inst = new wasm.Instance(new wasm.Module(bytes));
      k = { memory: inst.exports.memory as WasmMemory, hmac: inst.exports.hmac as Instance['hmac'] };
    } else {
      k = null;
    }
    instances.set(width, k);
  }
  return k;
}

/** The kernel's memory for `width`, for tests that check nothing stays in it. */
export function simdKernelMemory(width: number): WasmMemory | null {
  return kernelFor(width)?.memory ?? null;
}

/** Whether this engine runs the SIMD kernel (false: the JS kernel serves every width). */
export function simdHmacAvailable(): boolean {
  return kernelFor(11) !== null;
}

/**
 * HMAC of `count` rows of `width` bytes from `input` into `out` (count x 32 bytes), given the
 * key's inner and outer chaining values. Returns false, having done nothing, when SIMD is
 * unavailable. The rows pass through the module's memory, which is zeroed afterwards: cleartext
 * does not outlive the call there.
 */
export function hmacFixedWidthSimd(
  inner: Int32Array, outer: Int32Array, input: Uint8Array, width: number, count: number, out: Uint8Array,
): boolean {
  const k = kernelFor(width);
  if (k === null) return false;
  const mem = new Uint8Array(k.memory.buffer);
  const view = new DataView(k.memory.buffer);
  for (let j = 0; j < 8; j++) {
    view.setInt32(INNER_IV_AT + 4 * j, inner[j], true);
    view.setInt32(OUTER_IV_AT + 4 * j, outer[j], true);
  }
  const outAt = outputAt(width);
  for (let from = 0; from < count; from += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, count - from);
    mem.set(input.subarray(from * width, (from + rows) * width), ROWS_AT);
    k.hmac(ROWS_AT, rows, outAt);
    out.set(mem.subarray(outAt, outAt + rows * 32), from * 32);
  }
  // The chaining values and every row this call wrote (a small call clears only its own rows).
  mem.fill(0, 0, ROWS_AT + Math.min(count, CHUNK_ROWS) * width);
  return true;
}
