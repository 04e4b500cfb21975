import t from 'tap';
import fc from 'fast-check';
import { civilFromDays } from '../../../src/util/civil-date.js';

t.test('gives the calendar date JavaScript gives, from year 1 to 9999 and across leap days', async (t) => {
  const out = { y: 0, m: 0, d: 0 };
  t.same(civilFromDays(0, out), { y: 1970, m: 1, d: 1 });
  t.same(civilFromDays(-1, out), { y: 1969, m: 12, d: 31 });
  t.same(civilFromDays(11016, out), { y: 2000, m: 2, d: 29 }, 'a leap day of a year divisible by 400');
  const min = Math.floor(Date.UTC(1, 0, 1) / 86_400_000) + 366; // Date.UTC maps years 0-99 to 1900-1999
  const max = Math.floor(Date.UTC(9999, 11, 31) / 86_400_000);
  fc.assert(fc.property(fc.integer({ min, max }), (days) => {
    const d = new Date(days * 86_400_000);
    civilFromDays(days, out);
    return out.y === d.getUTCFullYear() && out.m === d.getUTCMonth() + 1 && out.d === d.getUTCDate();
  }), { seed: 3, numRuns: 2000 });
  t.pass('2000 random days');
});
