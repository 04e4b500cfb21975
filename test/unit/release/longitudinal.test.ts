import t from 'tap';
import fc from 'fast-check';
import { Int32, Utf8, vectorFromArray, type Table } from 'apache-arrow';
import { assembleRelease, type AssembleInput } from '../../../src/release/assemble.js';
import type { LedgerEntry } from '../../../src/release/longitudinal.js';
import { isKoppelError } from '../../../src/errors.js';
import type { ReleaseMetadataRules } from '../../../src/release/metadata-keys.js';

const NO_METADATA: ReleaseMetadataRules = { match_probability: 'omit', link_method: 'omit', period_pattern: 'omit' };
const pseudonymOf = (person: number) => person.toString(16).padStart(32, '0');

interface Wave {
  /** Persons in this release, and their values. */
  readonly persons: number[];
  readonly age: (number | null)[];
  readonly town: (string | null)[];
}

function release(wave: Wave, k: number, history: readonly LedgerEntry[], prior: number, hierarchies?: AssembleInput['hierarchies']) {
  const n = wave.persons.length;
  return assembleRelease({
    personCount: n,
    pseudonyms: vectorFromArray(wave.persons.map(pseudonymOf), new Utf8()),
    keyVariables: ['age', 'town'],
    k,
    sources: [{
      name: 'src', personOfRow: Int32Array.from({ length: n }, (_, i) => i), periods: [{ period: '2024', rows: n }], approved: ['age', 'town'],
      columns: { age: vectorFromArray(wave.age, new Int32()), town: vectorFromArray(wave.town, new Utf8()) },
      linkMethod: new Uint8Array(n),
    }],
    metadata: NO_METADATA,
    suppressionLimit: 1,
    ...(hierarchies === undefined ? {} : { hierarchies }),
    ledger: { history, priorReleases: prior },
  });
}

function columns(table: Table): { pseudonym: string; age: string | null; town: string | null }[] {
  return table.toArray().map((r) => {
    const row = r.toJSON() as Record<string, unknown>;
    return { pseudonym: row.pseudonym as string, age: row.age === null ? null : String(row.age), town: row.town === null ? null : String(row.town) };
  });
}

t.test('a value suppressed for a person once stays suppressed in the next release', async (t) => {
  // 20 persons of age 30 in town A, one of age 99: the one is suppressed on age in release 1.
  const persons = Array.from({ length: 21 }, (_, i) => i);
  const first = release({ persons, age: persons.map((p) => (p === 20 ? 99 : 30)), town: persons.map(() => 'A') }, 5, [], 0);
  const loner = pseudonymOf(20);
  t.equal(columns(first.tables[0].table).find((r) => r.pseudonym === loner)?.age, null, 'suppressed in release 1');
  t.ok(first.ledger!.entries.some((e) => e.pseudonym === loner && e.variable === 'age' && e.suppressed), 'the ledger says so');
  // Release 2: five more persons of age 99 would make the value safe on its own; it stays withheld.
  const more = [...persons, 21, 22, 23, 24, 25];
  const second = release({ persons: more, age: more.map((p) => (p >= 20 ? 99 : 30)), town: more.map(() => 'A') }, 5, first.ledger!.entries, 1);
  t.equal(columns(second.tables[0].table).find((r) => r.pseudonym === loner)?.age, null, 'still suppressed in release 2');
  const before = Object.values(first.disclosure_control.suppressed_values).reduce((a, b) => a + b, 0);
  t.equal(second.ledger!.report.suppressed_as_before, before, 'every value withheld in release 1 is withheld again');
  t.equal(second.ledger!.report.combined_persons, 26);
});

t.test('a value that changes for one person is withheld when it alone would single them out in the union', async (t) => {
  // Six persons in town A, six in B, five whose town nobody knows.
  const persons = Array.from({ length: 17 }, (_, i) => i);
  const townOf = (p: number) => (p < 6 ? 'A' : p < 12 ? 'B' : null);
  const first = release({ persons, age: persons.map(() => 40), town: persons.map(townOf) }, 5, [], 0);
  t.equal(first.disclosure_control.records_affected, 0);
  // Person 0 moves from A to B: in release 2 alone, B has 7 persons; joined, 0 is the only {A, B}.
  const second = release({ persons, age: persons.map(() => 40), town: persons.map((p) => (p === 0 ? 'B' : townOf(p))) }, 5, first.ledger!.entries, 1);
  const moved = columns(second.tables[0].table).find((r) => r.pseudonym === pseudonymOf(0));
  t.equal(moved?.town, null, 'the new town is withheld');
  t.equal(moved?.age, '40', 'the unchanged value stays');
  t.equal(second.ledger!.report.suppressed_for_union, 1);
});

t.test('a new release that cannot keep the union k-anonymous is refused by code', async (t) => {
  const persons = Array.from({ length: 10 }, (_, i) => i);
  const first = release({ persons, age: persons.map(() => 40), town: persons.map(() => 'A') }, 5, [], 0);
  // Two persons who were never released before, with nothing known: the all-null group of two.
  const err = (() => {
    try {
      release({ persons: [100, 101, ...persons], age: [null, null, ...persons.map(() => 40)], town: [null, null, ...persons.map(() => 'A')] }, 5, first.ledger!.entries, 1);
      return null;
    } catch (e) { return e; }
  })();
  t.ok(isKoppelError(err) && err.code === 'KOPPEL_ERR_RELEASE_LONGITUDINAL_UNSAFE', 'KOPPEL_ERR_RELEASE_LONGITUDINAL_UNSAFE');
});

/** Random populations and release sequences: each release approved (or not) at random. */
const caseArb = fc.record({
  n: fc.integer({ min: 0, max: 60 }),
  k: fc.integer({ min: 2, max: 6 }),
  ages: fc.integer({ min: 1, max: 12 }),
  towns: fc.integer({ min: 1, max: 5 }),
  waves: fc.array(fc.record({ share: fc.double({ min: 0.2, max: 1, noNaN: true }), change: fc.double({ min: 0, max: 0.4, noNaN: true }), approve: fc.boolean() }), { minLength: 1, maxLength: 5 }),
  bands: fc.boolean(),
  seed: fc.integer(),
});

type Case = typeof caseArb extends fc.Arbitrary<infer C> ? C : never;

/** The failure as text, or null when the combined approved releases are k-anonymous. */
function check(c: Case): string | null {
  let x = c.seed | 1;
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
  const age = Array.from({ length: c.n }, () => (next() < 0.05 ? null : 20 + Math.floor(next() ** 2 * c.ages)));
  const town = Array.from({ length: c.n }, () => (next() < 0.05 ? null : `T${Math.floor(next() * c.towns)}`));
  const ledger: LedgerEntry[] = [];
  const approved: { pseudonym: string; age: string | null; town: string | null }[][] = [];
  const entriesOf: LedgerEntry[][] = [];
  for (const wave of c.waves) {
    const persons = Array.from({ length: c.n }, (_, i) => i).filter(() => next() < wave.share);
    for (const p of persons) {
      if (next() < wave.change) age[p] = 20 + Math.floor(next() * c.ages);
      if (next() < wave.change) town[p] = `T${Math.floor(next() * c.towns)}`;
    }
    let built;
    try {
      built = release({ persons, age: persons.map((p) => age[p]), town: persons.map((p) => town[p]) }, c.k, ledger, approved.length, c.bands ? { age: { bands: [5, 10] } } : undefined);
    } catch (e) {
      if (isKoppelError(e) && e.code === 'KOPPEL_ERR_RELEASE_LONGITUDINAL_UNSAFE') continue;
      throw e;
    }
    if (!wave.approve) continue;
    ledger.push(...built.ledger!.entries);
    entriesOf.push(built.ledger!.entries);
    approved.push(columns(built.tables[0].table));
  }
  // The intruder's view: per person, the set of values each variable took across releases.
  const sets = new Map<string, { age: Set<string>; town: Set<string> }>();
  const withheld = new Set<string>();
  for (const [at, rows] of approved.entries()) {
    const alone = new Map<string, number>();
    for (const r of rows) alone.set(JSON.stringify([r.age, r.town]), (alone.get(JSON.stringify([r.age, r.town])) ?? 0) + 1);
    for (const [key, size] of alone) if (size < c.k && (rows.length >= c.k || key !== '[null,null]')) return `release ${at} alone has group ${key} of ${size}`;
    for (const r of rows) {
      const s = sets.get(r.pseudonym) ?? { age: new Set<string>(), town: new Set<string>() };
      for (const v of ['age', 'town'] as const) {
        const value = r[v];
        if (value !== null) {
          if (withheld.has(`${r.pseudonym}/${v}`)) return `${v} of ${r.pseudonym} released after it was suppressed`;
          s[v].add(value);
        }
      }
      sets.set(r.pseudonym, s);
    }
    for (const e of entriesOf[at]) if (e.suppressed) withheld.add(`${e.pseudonym}/${e.variable}`);
  }
  if (sets.size < c.k) {
    for (const s of sets.values()) if (s.age.size + s.town.size > 0) return `a union of ${sets.size} < k persons with values released`;
    return null;
  }
  const groups = new Map<string, number>();
  for (const s of sets.values()) {
    const key = JSON.stringify([[...s.age].sort(), [...s.town].sort()]);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  for (const [key, size] of groups) if (size < c.k) return `combined group ${key} has ${size} < k = ${c.k} persons`;
  return null;
}

t.test('the combined approved releases of a project are k-anonymous (per person the set of values released; null its own category), each release too, and suppressed once is suppressed always', async (t) => {
  fc.assert(fc.property(caseArb, (c) => {
    const failure = check(c);
    if (failure !== null) throw new Error(`${failure} in ${JSON.stringify(c)}`);
  }), { numRuns: 150 });
  t.pass('150 random populations and release sequences');
});
