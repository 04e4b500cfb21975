import t from 'tap';
import fc from 'fast-check';
import { Vector } from 'apache-arrow';
import { buildSpine } from '../../../src/link/person-spine.js';
import { pseudonymColumnOf } from '../../../src/link/pseudonym-join.js';
import { pseudonymPool, sourceData, columnOf, sourcesArb, POOL, type SourceSpec } from './spine-fixtures.js';

/** Naive spine over hex strings read through apache-arrow's accessor: the oracle. */
function naiveSpine(pool: Uint8Array, specs: readonly SourceSpec[]) {
  const personOfHex = new Map<string, number>();
  const personOfRow: number[][] = [];
  const firstOf: [number, number][] = [];
  const pseudonymRow: number[] = [];
  const sourcesOf: Set<number>[] = [];
  const recordsOf: number[] = [];
  let global = 0;
  let withoutPseudonym = 0;
  specs.forEach((spec, s) => {
    const v = new Vector([sourceData(pool, spec)]);
    const rows: number[] = [];
    for (let i = 0; i < v.length; i++, global++) {
      const b = v.get(i);
      let p: number;
      if (b === null) {
        withoutPseudonym++;
        p = firstOf.length;
        firstOf.push([s, i]); pseudonymRow.push(-1); sourcesOf.push(new Set()); recordsOf.push(0);
      } else {
        const hex = Buffer.from(b).toString('hex');
        const known = personOfHex.get(hex);
        if (known === undefined) {
          p = firstOf.length;
          personOfHex.set(hex, p);
          firstOf.push([s, i]); pseudonymRow.push(global); sourcesOf.push(new Set()); recordsOf.push(0);
        } else p = known;
      }
      sourcesOf[p].add(s);
      recordsOf[p]++;
      rows.push(p);
    }
    personOfRow.push(rows);
  });
  return { personOfRow, firstOf, pseudonymRow, sourcesOf, recordsOf, withoutPseudonym };
}

t.test('matches a naive map-of-hex spine on random sources (nulls, prefix collisions, slices, empty sources)', async (t) => {
  const pool = pseudonymPool(new Uint8Array([42, 0, 7, 1]), POOL);
  fc.assert(fc.property(sourcesArb, (specs) => {
    const spine = buildSpine(specs.map((s) => columnOf(pool, s)));
    const naive = naiveSpine(pool, specs);
    const persons = naive.firstOf.length;
    if (spine.personCount !== persons || spine.stats.persons !== persons) return false;
    for (let s = 0; s < specs.length; s++) {
      if (JSON.stringify(Array.from(spine.personOfRow[s])) !== JSON.stringify(naive.personOfRow[s])) return false;
    }
    for (let p = 0; p < persons; p++) {
      if (spine.personFirstSource[p] !== naive.firstOf[p][0] || spine.personFirstRow[p] !== naive.firstOf[p][1]) return false;
      if (spine.personPseudonymRow[p] !== naive.pseudonymRow[p]) return false;
      if (spine.sourcesPerPerson[p] !== naive.sourcesOf[p].size) return false;
      if (spine.recordsPerPerson[p] !== naive.recordsOf[p]) return false;
    }
    if (spine.stats.recordsWithoutPseudonym !== naive.withoutPseudonym) return false;
    if (spine.stats.linkedAcrossSources !== naive.sourcesOf.filter((x) => x.size >= 2).length) return false;
    for (let s = 0; s < specs.length; s++) {
      const st = spine.stats.perSource[s];
      const rows = naive.personOfRow[s];
      if (st.records !== rows.length) return false;
      if (st.withPseudonym !== specs[s].rows.filter((r) => r !== null).length) return false;
      if (st.matchedOtherSource !== rows.filter((p) => naive.sourcesOf[p].size >= 2).length) return false;
    }
    return true;
  }), { numRuns: 300 });
  t.pass('300 random spines agree with the oracle');
});

t.test('gives each record without a pseudonym its own person', async (t) => {
  const pool = pseudonymPool(new Uint8Array([1, 1, 1, 1]), 4);
  const spine = buildSpine([columnOf(pool, { rows: [null, 0, null], lead: 2 }), columnOf(pool, { rows: [null, 0], lead: 0 })]);
  t.same(Array.from(spine.personOfRow[0]), [0, 1, 2]);
  t.same(Array.from(spine.personOfRow[1]), [3, 1]);
  t.same(Array.from(spine.personPseudonymRow), [-1, 1, -1, -1]);
  t.same(Array.from(spine.sourcesPerPerson), [1, 2, 1, 1]);
  t.same(Array.from(spine.sourceRowStart), [0, 3, 5]);
  t.same(spine.stats, {
    persons: 4, linkedAcrossSources: 1, recordsWithoutPseudonym: 3,
    perSource: [{ records: 3, withPseudonym: 1, matchedOtherSource: 1 }, { records: 2, withPseudonym: 1, matchedOtherSource: 1 }],
  });
});

t.test('links prefix-colliding pseudonyms to different persons', async (t) => {
  const pool = pseudonymPool(new Uint8Array([8, 8, 8, 8]), 2); // entry 1 shares entry 0's first 8 bytes
  const spine = buildSpine([columnOf(pool, { rows: [0], lead: 0 }), columnOf(pool, { rows: [1, 0], lead: 0 })]);
  t.equal(spine.personCount, 2);
  t.same(Array.from(spine.personOfRow[1]), [1, 0]);
});

t.test('builds an empty spine from no sources or only empty sources', async (t) => {
  t.equal(buildSpine([]).personCount, 0);
  const pool = pseudonymPool(new Uint8Array([1, 2, 3, 4]), 2);
  const spine = buildSpine([columnOf(pool, { rows: [], lead: 3 }), columnOf(pool, { rows: [], lead: 0 })]);
  t.equal(spine.personCount, 0);
  t.same(spine.stats.perSource, [{ records: 0, withPseudonym: 0, matchedOtherSource: 0 }, { records: 0, withPseudonym: 0, matchedOtherSource: 0 }]);
});

t.test('handles more persons than the initial arrays hold', async (t) => {
  const n = 3000;
  const pool = pseudonymPool(new Uint8Array([6, 6, 6, 6]), n);
  const rows = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : i));
  const spine = buildSpine([pseudonymColumnOf(sourceData(pool, { rows, lead: 1 })), columnOf(pool, { rows: rows.slice().reverse(), lead: 0 })]);
  t.equal(spine.personCount, n + n / 10);
  t.equal(spine.stats.linkedAcrossSources, n - n / 10);
});
