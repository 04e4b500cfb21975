/**
 * A minimal WebAssembly binary writer: just what the SIMD HMAC kernel needs (one memory, a few
 * functions, i32 and v128 instructions), so that the kernel is generated from TypeScript at
 * start-up instead of shipping a compiled blob nobody can review or rebuild.
 *
 * Encodings follow the WebAssembly core spec §5 (binary format) and the fixed-width SIMD
 * opcode table (prefix 0xFD, LEB128 sub-opcode).
 */

export const I32 = 0x7f;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number, out: number[] = []): number[] {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number, out: number[] = []): number[] {
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const SIMD = 0xfd;

/** SIMD sub-opcodes used here. */
const Op = {
  v128Load32Zero: 0x5c,
  v128Load32Splat: 0x09,
  v128Load32Lane: 0x56,
  v128Store32Lane: 0x5a,
  v128Const: 0x0c,
  i8x16Shuffle: 0x0d,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128Bitselect: 0x52,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;

/** A function body under construction: a stack-machine instruction stream. */
export class Body {
  readonly bytes: number[] = [];

  localGet(i: number): this { this.bytes.push(0x20); uleb(i, this.bytes); return this; }
  localSet(i: number): this { this.bytes.push(0x21); uleb(i, this.bytes); return this; }
  localTee(i: number): this { this.bytes.push(0x22); uleb(i, this.bytes); return this; }
  i32Const(n: number): this { this.bytes.push(0x41); sleb(n, this.bytes); return this; }
  i32Add(): this { this.bytes.push(0x6a); return this; }
  i32GeU(): this { this.bytes.push(0x4f); return this; }
  block(): this { this.bytes.push(0x02, 0x40); return this; }
  loop(): this { this.bytes.push(0x03, 0x40); return this; }
  br(depth: number): this { this.bytes.push(0x0c); uleb(depth, this.bytes); return this; }
  brIf(depth: number): this { this.bytes.push(0x0d); uleb(depth, this.bytes); return this; }
  end(): this { this.bytes.push(0x0b); return this; }

  #simd(op: number): this { this.bytes.push(SIMD); uleb(op, this.bytes); return this; }
  #memarg(offset: number): void { this.bytes.push(0); uleb(offset, this.bytes); } // align hint 2^0: rows are not aligned

  /** [addr] -> v128 with the 32-bit word at addr+offset in lane 0, zeros elsewhere. */
  load32Zero(offset: number): this { this.#simd(Op.v128Load32Zero); this.#memarg(offset); return this; }
  /** [addr] -> v128 with the 32-bit word at addr+offset in every lane. */
  load32Splat(offset: number): this { this.#simd(Op.v128Load32Splat); this.#memarg(offset); return this; }
  /** [addr, v] -> v with lane `lane` replaced by the word at addr+offset. */
  load32Lane(offset: number, lane: number): this { this.#simd(Op.v128Load32Lane); this.#memarg(offset); this.bytes.push(lane); return this; }
  /** [addr, v] -> (), stores lane `lane` of v at addr+offset. */
  store32Lane(offset: number, lane: number): this { this.#simd(Op.v128Store32Lane); this.#memarg(offset); this.bytes.push(lane); return this; }
  /** -> v128 with the same 32-bit value in all four lanes. */
  splatConst(value: number): this {
    this.#simd(Op.v128Const);
    for (let lane = 0; lane < 4; lane++) this.bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
    return this;
  }
  /** [a, b] -> 16 bytes picked from a (0..15) and b (16..31). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new RangeError('i8x16.shuffle takes 16 lane indices');
    this.#simd(Op.i8x16Shuffle);
    this.bytes.push(...lanes);
    return this;
  }
  and(): this { return this.#simd(Op.v128And); }
  or(): this { return this.#simd(Op.v128Or); }
  xor(): this { return this.#simd(Op.v128Xor); }
  /** [v1, v2, mask] -> (v1 & mask) | (v2 & ~mask). */
  bitselect(): this { return this.#simd(Op.v128Bitselect); }
  /** [v, i32 n] -> each lane shifted left by n. */
  shl(): this { return this.#simd(Op.i32x4Shl); }
  /** [v, i32 n] -> each lane shifted right (logical) by n. */
  shrU(): this { return this.#simd(Op.i32x4ShrU); }
  add32x4(): this { return this.#simd(Op.i32x4Add); }
}

export interface FunctionDef {
  readonly name: string;
  readonly params: readonly number[];
  /** Extra locals after the params, in order, as value types. */
  readonly locals: readonly number[];
  readonly body: Body;
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vector(items: number[][]): number[] {
  const out = uleb(items.length);
  for (const item of items) out.push(...item);
  return out;
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

/** A module with one exported memory of `pages` 64 KiB pages and the given exported functions (no results). */
export function moduleBytes(pages: number, functions: readonly FunctionDef[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...uleb(f.params.length), ...f.params, 0x00]);
  const funcs = functions.map((_, i) => uleb(i));
  const memory = [[0x00, ...uleb(pages)]];
  const exports = [
    [...name('memory'), 0x02, 0x00],
    ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
  ];
  const codes = functions.map((f) => {
    // Locals are declared as runs of the same type.
    const runs: number[][] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const body = [...vector(runs), ...f.body.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  });
  // Large arrays: build with push loops rather than spreads of the big body.
  const parts = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vector(types)),
    section(3, vector(funcs)),
    section(5, vector(memory)),
    section(7, vector(exports)),
    section(10, vector(codes)),
  ];
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
