import t from 'tap';
import { Body, I32, V128, moduleBytes, sleb, uleb } from '../../../src/pseudonymise/wasm-emit.js';

t.test('writes unsigned and signed LEB128 as the WebAssembly spec examples give them', async (t) => {
  t.same(uleb(0), [0x00]);
  t.same(uleb(127), [0x7f]);
  t.same(uleb(128), [0x80, 0x01]);
  t.same(uleb(624485), [0xe5, 0x8e, 0x26]);
  t.same(sleb(0), [0x00]);
  t.same(sleb(-1), [0x7f]);
  t.same(sleb(63), [0x3f]);
  t.same(sleb(64), [0xc0, 0x00], '64 needs a second byte, else it would read as negative');
  t.same(sleb(-123456), [0xc0, 0xbb, 0x78]);
  t.same(sleb(0x80000000 | 0), [0x80, 0x80, 0x80, 0x80, 0x78]);
});

t.test('builds a module the engine validates and runs: a SIMD add of splatted words', async (t) => {
  // add(p): memory[p..p+16) = splat(word at 0) + splat(7), as four 32-bit lanes
  const b = new Body();
  const lanes = [0, 1, 2, 3];
  b.i32Const(0).load32Splat(0).splatConst(7).add32x4().localSet(1);
  for (const lane of lanes) b.localGet(0).localGet(1).store32Lane(4 * lane, lane);
  const bytes = moduleBytes(1, [{ name: 'add', params: [I32], locals: [V128], body: b }]);
  const api = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean; Instance: new (m: object) => { exports: Record<string, unknown> }; Module: new (b: Uint8Array) => object } }).WebAssembly;
  t.ok(api.validate(bytes));
  const inst = new api.Instance(new api.Module(bytes));
  const memory = inst.exports.memory as { buffer: ArrayBuffer };
  new DataView(memory.buffer).setInt32(0, 35, true);
  (inst.exports.add as (p: number) => void)(16);
  t.same([...new Int32Array(memory.buffer, 16, 4)], [42, 42, 42, 42]);
});

t.test('refuses a shuffle without exactly 16 lane indices', async (t) => {
  t.throws(() => new Body().shuffle([0, 1, 2]), RangeError);
});
