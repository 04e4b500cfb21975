import t from 'tap';
import fc from 'fast-check';
import { heldRuleKeys, ruleKeysHeldBy } from '../../../src/link/held-keys.js';
import { ruleKeys } from '../../../src/link/rule-keys.js';

t.test('an incremental run\'s rule keys agree with the full keys on every pair with a held record, and give no other key', async (t) => {
  // Three fields of small id spaces (-1 absent, -2 a spine value no new record holds), sources of
  // random sizes; a source is spine (null) or new, each of its records held or not (a saturated
  // new record is not held: it can pair with nothing).
  const column = fc.array(fc.integer({ min: -2, max: 4 }), { minLength: 0, maxLength: 30 });
  const source = fc.tuple(column, column, column, fc.option(fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), { nil: null })).map(([x, y, z, held]) => {
    const n = Math.min(x.length, y.length, z.length);
    return { cols: [x, y, z].map((c) => Int32Array.from(c.slice(0, n))), held: held === null ? null : Uint8Array.from(held.slice(0, n), Number) };
  });
  fc.assert(fc.property(
    fc.array(source, { minLength: 1, maxLength: 4 }),
    fc.subarray([0, 1, 2], { minLength: 1 }),
    (data, fields) => {
      const held = data.map((d) => d.held);
      const index = [0, 1, 2].map((f) => ({
        field: f, name: `f${f}`, type: 'text' as const, ids: [data.map((d) => d.cols[f])], wholeCounts: new Int32Array(0), present: 0, globalIds: null,
      }));
      const rule = fields.map((f) => ({ field: f, slot: 0 }));
      const full = ruleKeys(rule, index, data.length);
      const { keys: mine, withKey } = heldRuleKeys(rule, index, held);
      // Listed records, where listed, are exactly the records with a key, ascending.
      const listedRight = withKey.every((w, s) => w === null || w.join() === [...mine[s].keys()].filter((r) => mine[s][r] >= 0).join());
      if (!listedRight || ruleKeysHeldBy(rule, index, held).join() !== mine.join()) return false;
      const isHeld = (s: number, i: number) => held[s] !== null && held[s]![i] === 1;
      const heldKeys = new Set<number>();
      full.forEach((k, s) => k.forEach((v, i) => { if (v >= 0 && isHeld(s, i)) heldKeys.add(v); }));
      for (let s = 0; s < data.length; s++) {
        for (let i = 0; i < full[s].length; i++) {
          const kept = held[s] === null ? heldKeys.has(full[s][i]) : isHeld(s, i) && full[s][i] >= 0;
          if ((mine[s][i] >= 0) !== kept) return false;
          if (held[s] !== null && !isHeld(s, i)) continue; // pairs with nothing
          for (let u = 0; u < data.length; u++) {
            for (let j = 0; j < full[u].length; j++) {
              if (!isHeld(u, j)) continue;
              const same = full[s][i] >= 0 && full[s][i] === full[u][j];
              if (same !== (mine[s][i] >= 0 && mine[s][i] === mine[u][j])) return false;
            }
          }
        }
      }
      return true;
    },
  ), { numRuns: 500 });
  t.pass('keys agree on 500 random cases');
});
