import t from 'tap';
import fc from 'fast-check';
import { groupPseudonyms } from '../../../src/link/pseudonym-groups.js';
import { TokenTable } from '../../../src/link/token-table.js';

/** n pseudonyms drawn from `distinct` random values (so many repeat), some rows absent. */
function column(n: number, pool: Uint8Array, picks: readonly number[], absent: readonly boolean[]) {
  const pseudonyms = new Uint8Array(n * 32);
  const present = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    if (absent[r]) continue;
    pseudonyms.set(pool.subarray(picks[r] * 32, picks[r] * 32 + 32), r * 32);
    present[r] = 1;
  }
  return { pseudonyms, present };
}

/** The ids the token table hands out for the same records in global order. */
function tokenIds(columns: { pseudonyms: Uint8Array; present: Uint8Array }[]): { ids: number[]; counts: number[] } {
  const table = new TokenTable(4);
  const ids: number[] = [];
  for (const c of columns) {
    const view = new DataView(c.pseudonyms.buffer);
    for (let r = 0; r < c.present.length; r++) ids.push(c.present[r] === 0 ? -1 : table.add(view.getUint32(r * 32, true), view.getUint32(r * 32 + 4, true)));
  }
  return { ids, counts: [...table.countsView()] };
}

t.test('gives the token table ids (first appearance over sources in order) and group sizes', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 8 * 32, maxLength: 8 * 32 }),
    fc.array(fc.tuple(fc.array(fc.nat({ max: 7 }), { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 })), { minLength: 1, maxLength: 4 }),
    (pool, sources) => {
      // Distinct pool entries: make each entry's first word unique.
      for (let i = 0; i < 8; i++) pool[i * 32] = i;
      const columns = sources.map(([picks, absent]) => column(picks.length, pool, picks, absent));
      const got = groupPseudonyms(columns);
      const want = tokenIds(columns);
      return JSON.stringify([...got.ids]) === JSON.stringify(want.ids) && JSON.stringify([...got.sizes]) === JSON.stringify(want.counts) && got.count === want.counts.length;
    },
  ));
});

t.test('pseudonyms sharing their first 8 bytes stay apart (all 32 bytes compared)', async (t) => {
  const a = new Uint8Array(32).fill(7);
  const b = Uint8Array.from(a); b[31] = 8;
  const pseudonyms = new Uint8Array(96);
  pseudonyms.set(a, 0); pseudonyms.set(b, 32); pseudonyms.set(a, 64);
  const got = groupPseudonyms([{ pseudonyms, present: Uint8Array.of(1, 1, 1) }]);
  t.same([...got.ids], [0, 1, 0]);
  t.same([...got.sizes], [2, 1]);
});

t.test('groups a few hundred thousand records across many partitions like the token table', async (t) => {
  const n = 150_000;
  const pool = new Uint8Array(100_000 * 32);
  let x = 7;
  for (let i = 0; i < pool.length; i += 4) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; new DataView(pool.buffer).setUint32(i, x, true); }
  const picks = Array.from({ length: n }, (_, i) => (i * 7919) % 100_000);
  const absent = Array.from({ length: n }, (_, i) => i % 37 === 0);
  const columns = [column(n, pool, picks, absent), column(n, pool, picks.map((p) => (p * 3) % 100_000), absent.map((v, i) => !v && i % 101 === 0))];
  const got = groupPseudonyms(columns);
  const want = tokenIds(columns);
  t.equal(got.count, want.counts.length);
  let diff = 0;
  for (let i = 0; i < want.ids.length; i++) if (got.ids[i] !== want.ids[i]) diff++;
  t.equal(diff, 0, 'same id for every record');
  t.same([...got.sizes], want.counts);
});

t.test('tells apart pseudonyms that differ in one byte only, at every byte position', async (t) => {
  // Key 0 and 32 variants of it, variant v with byte v - 1 flipped, in one source; the same keys
  // in reverse order in the other: only a full 32-byte comparison keeps them apart.
  const base = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
  const keys = new Uint8Array(33 * 32);
  for (let v = 0; v < 33; v++) {
    keys.set(base, v * 32);
    if (v > 0) keys[v * 32 + v - 1] ^= 0x01;
  }
  const reversed = new Uint8Array(keys.length);
  for (let v = 0; v < 33; v++) reversed.set(keys.subarray(v * 32, (v + 1) * 32), (32 - v) * 32);
  const present = new Uint8Array(33).fill(1);
  const got = groupPseudonyms([{ pseudonyms: keys, present }, { pseudonyms: reversed, present }]);
  t.equal(got.count, 33);
  t.same([...got.ids], [...Array.from({ length: 33 }, (_, v) => v), ...Array.from({ length: 33 }, (_, j) => 32 - j)]);
  t.same([...got.sizes], new Array(33).fill(2));
});

t.test('ignores the bytes of a record without a pseudonym', async (t) => {
  // Absent records hold real keys here (a reader need not zero them): they join no group.
  const a = new Uint8Array(32).fill(3);
  const b = new Uint8Array(32).fill(4);
  const pseudonyms = new Uint8Array(4 * 32);
  pseudonyms.set(a, 0); pseudonyms.set(b, 32); pseudonyms.set(a, 64); pseudonyms.set(b, 96);
  const got = groupPseudonyms([{ pseudonyms, present: Uint8Array.of(1, 0, 1, 0) }, { pseudonyms: Uint8Array.from(b), present: Uint8Array.of(1) }]);
  t.same([...got.ids], [0, -1, 0, -1, 1]);
  t.same([...got.sizes], [2, 1]);
});

t.test('reads pseudonyms that start at an unaligned byte offset', async (t) => {
  const rows = [new Uint8Array(32).fill(5), new Uint8Array(32).fill(6), new Uint8Array(32).fill(5)];
  const backing = new Uint8Array(1 + rows.length * 32);
  rows.forEach((r, i) => backing.set(r, 1 + i * 32));
  const odd = backing.subarray(1);
  t.equal(odd.byteOffset % 4, 1, 'the fixture really is unaligned');
  const got = groupPseudonyms([{ pseudonyms: odd, present: Uint8Array.of(1, 1, 1) }, { pseudonyms: Uint8Array.from(rows[1]), present: Uint8Array.of(1) }]);
  t.same([...got.ids], [0, 1, 0, 1]);
  t.same([...got.sizes], [2, 2]);
});
