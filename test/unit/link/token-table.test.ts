import t from 'tap';
import fc from 'fast-check';
import { TokenTable } from '../../../src/link/token-table.js';

t.test('equal tokens get equal dense ids, different tokens different ids, across growth', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3 })), { maxLength: 300 }), (keys) => {
    const table = new TokenTable(4);
    const seen = new Map<string, number>();
    for (const [lo, hi] of keys) {
      const id = table.add(lo * 2654435761 >>> 0, hi);
      const k = `${lo}/${hi}`;
      if (seen.has(k) && seen.get(k) !== id) return false;
      if (!seen.has(k) && [...seen.values()].includes(id)) return false;
      seen.set(k, id);
    }
    return table.size === seen.size && [...seen.entries()].every(([k, id]) => {
      const [lo, hi] = k.split('/').map(Number);
      return table.find(lo * 2654435761 >>> 0, hi) === id;
    });
  }));
  const table = new TokenTable();
  table.add(1, 2); table.add(1, 2); table.add(3, 4);
  t.same([...table.countsView()], [2, 1]);
  t.equal(table.find(9, 9), -1);
});
