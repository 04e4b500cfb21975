import t from 'tap';
import fc from 'fast-check';
import { Float64, Int32, Utf8, Vector, tableFromIPC, tableToIPC, vectorFromArray, type Table } from 'apache-arrow';
import { assembleRelease, describeTables, type AssembleInput, type ReleaseSourceInput } from '../../../src/release/assemble.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC, LINK_UNLINKED } from '../../../src/link/link-method.js';
import type { ReleaseMetadataRules } from '../../../src/release/metadata-keys.js';

const utf8 = (values: (string | null)[]) => vectorFromArray(values, new Utf8());
const int32 = (values: (number | null)[]) => vectorFromArray(values, new Int32());
const rowsOf = (table: Table) => table.toArray().map((r) => r.toJSON());

/** Release pseudonyms: synthetic 32-hex strings, deliberately not in person order. */
const pseudonymsFor = (n: number) => utf8(Array.from({ length: n }, (_, p) => ((p * 7919 + 13) % 65536).toString(16).padStart(32, 'f')));

const PERIODS_ONLY: ReleaseMetadataRules = { match_probability: 'omit', link_method: 'omit', period_pattern: 'key' };
const NO_METADATA: ReleaseMetadataRules = { match_probability: 'omit', link_method: 'omit', period_pattern: 'omit' };

function fixture(k: number, batchRows?: number, metadata: ReleaseMetadataRules = PERIODS_ONLY): AssembleInput {
  // Two sources, vdab (5 rows) and rsz (4 rows), and six persons: 0 and 1 in both (linked
  // deterministically), 2, 3 and 4 in vdab only, 5 in rsz only.
  const D = LINK_DETERMINISTIC;
  const U = LINK_UNLINKED;
  const personCount = 6;
  const vdab: ReleaseSourceInput = {
    name: 'vdab_jobseekers',
    personOfRow: Int32Array.of(0, 1, 2, 3, 4),
    periods: [{ period: '2024Q1', rows: 3 }, { period: '2024Q2', rows: 2 }],
    approved: ['sex', 'municipality', 'duration_days'],
    columns: {
      sex: utf8([null, 'M', 'F', 'M', 'F']),
      municipality: utf8(['11002', '11002', '11002', 'ZZRARE', '11002']),
      duration_days: int32([10, 20, null, 40, 50]),
      insz_hidden: utf8(['never', 'released', 'x', 'y', 'z']),
    },
    linkMethod: Uint8Array.of(D, D, U, U, U),
  };
  const rsz: ReleaseSourceInput = {
    name: 'rsz_wages',
    personOfRow: Int32Array.of(1, 1, 0, 5),
    periods: utf8(['2024Q1', '2024Q2', '2024Q1', '2024Q1']),
    approved: ['wage', 'sex'],
    columns: { wage: vectorFromArray([1000.5, 2000, 3000, 4000], new Float64()), sex: utf8(['F', 'F', 'F', 'M']) },
    linkMethod: Uint8Array.of(D, D, D, U),
  };
  return { personCount, pseudonyms: pseudonymsFor(personCount), keyVariables: ['sex', 'municipality'], k, sources: [vdab, rsz], batchRows, metadata };
}

t.test('builds persons with key variables only there, first non-null value in source order', async (t) => {
  const input = fixture(1);
  const release = assembleRelease(input);
  t.same(release.tables.map((x) => x.name), ['persons', 'vdab_jobseekers', 'rsz_wages']);
  const persons = release.tables[0].table;
  t.same(persons.schema.fields.map((f) => f.name), ['pseudonym', 'sex', 'municipality', 'period_pattern']);
  const pseudonyms = (input.pseudonyms as Vector).toArray() as string[];
  const byPseudonym = new Map(rowsOf(persons).map((r) => [r.pseudonym as string, r]));
  t.same(byPseudonym.get(pseudonyms[0]), { pseudonym: pseudonyms[0], sex: 'F', municipality: '11002', period_pattern: '2024Q1' }, 'vdab sex is null, so rsz supplies F');
  t.same(byPseudonym.get(pseudonyms[1]), { pseudonym: pseudonyms[1], sex: 'M', municipality: '11002', period_pattern: '2024Q1|2024Q2' }, 'vdab M wins over rsz F; the periods of both datasets');
  t.same(byPseudonym.get(pseudonyms[5]), { pseudonym: pseudonyms[5], sex: 'M', municipality: null, period_pattern: '2024Q1' }, 'rsz-only person has no municipality');
  const sorted = rowsOf(persons).map((r) => r.pseudonym as string);
  t.same(sorted, [...sorted].sort(), 'persons are ordered by pseudonym');
  t.equal(release.disclosure_control.records, 6);
});

t.test('builds source tables without key variables or linkage metadata, ordered by pseudonym', async (t) => {
  const input = fixture(1);
  const release = assembleRelease(input);
  const pseudonyms = (input.pseudonyms as Vector).toArray() as string[];
  const vdab = release.tables[1].table;
  t.same(vdab.schema.fields.map((f) => f.name), ['pseudonym', 'period', 'duration_days']);
  const rows = rowsOf(vdab);
  const expected = [
    { p: 0, period: '2024Q1', duration_days: 10 },
    { p: 1, period: '2024Q1', duration_days: 20 },
    { p: 2, period: '2024Q1', duration_days: null },
    { p: 3, period: '2024Q2', duration_days: 40 },
    { p: 4, period: '2024Q2', duration_days: 50 },
  ].map(({ p, ...rest }) => ({ pseudonym: pseudonyms[p], ...rest })).sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : 1));
  t.same(rows, expected);
  const rsz = rowsOf(release.tables[2].table);
  t.same(rsz.map((r) => r.wage).sort(), [1000.5, 2000, 3000, 4000], 'every wage row is released once');
  const twoRows = rsz.filter((r) => r.pseudonym === pseudonyms[1]);
  t.same(twoRows.map((r) => r.period), ['2024Q1', '2024Q2'], 'rows of one person keep their order');
  t.same(describeTables(release)[2], { name: 'rsz_wages', rows: 4, columns: ['pseudonym', 'period', 'wage'] });
});

t.test('suppresses rare key values in persons and leaves no trace of them in any file', async (t) => {
  const release = assembleRelease(fixture(2, 2));
  const persons = release.tables[0].table;
  t.ok(persons.batches.length >= 3, 'cut into batches of 2 rows');
  const counts = new Map<string, number>();
  for (const r of rowsOf(persons)) counts.set(`${r.sex}|${r.municipality}`, (counts.get(`${r.sex}|${r.municipality}`) ?? 0) + 1);
  for (const [combination, n] of counts) t.ok(n >= 2, `combination ${combination} occurs ${n} times`);
  t.ok(release.disclosure_control.records_affected > 0);
  for (const { name, table } of release.tables) {
    const bytes = Buffer.from(tableToIPC(table, 'file'));
    t.notOk(bytes.includes(Buffer.from('ZZRARE')), `${name}.arrow does not contain the suppressed value`);
    t.notOk(bytes.includes(Buffer.from('released')), `${name}.arrow does not contain an unapproved column`);
    const back = tableFromIPC(bytes);
    t.same(rowsOf(back), rowsOf(table), `${name} round-trips through the IPC file format`);
  }
});

t.test('releases linkage metadata once per person, in persons, as key variables: bands, least certain method, period pattern', async (t) => {
  const input = fixture(1, undefined, { match_probability: 'bands', link_method: 'key', period_pattern: 'key' });
  const rsz = input.sources[1];
  const linkMethod = Uint8Array.from([LINK_DETERMINISTIC, LINK_DETERMINISTIC, LINK_DETERMINISTIC, LINK_PROBABILISTIC]);
  const matchProbability = Float64Array.from([0.5, 0, 0, 0.97]); // only probabilistic rows are read
  const release = assembleRelease({ ...input, sources: [input.sources[0], { ...rsz, linkMethod, matchProbability }] });
  const persons = release.tables[0].table;
  t.same(persons.schema.fields.map((f) => f.name), ['pseudonym', 'sex', 'municipality', 'match_probability', 'link_method', 'period_pattern']);
  t.same(release.disclosure_control.key_variables, ['sex', 'municipality', 'match_probability', 'link_method', 'period_pattern'], 'counted in the k-check');
  const pseudonyms = (input.pseudonyms as Vector).toArray() as string[];
  const byPseudonym = new Map(rowsOf(persons).map((r) => [r.pseudonym as string, r]));
  const meta = (p: number) => { const r = byPseudonym.get(pseudonyms[p])!; return [r.match_probability, r.link_method, r.period_pattern]; };
  t.same(meta(0), ['1', 'deterministic', '2024Q1'], 'linked by national number in both datasets');
  t.same(meta(3), ['unlinked', 'unlinked', '2024Q2'], 'one record that linked to nothing');
  t.same(meta(5), ['0.95-0.99', 'probabilistic', '2024Q1'], 'a probabilistic link of 0.97 is released as its band only');
  for (const { name, table } of release.tables.slice(1)) {
    t.same(table.schema.fields.map((f) => f.name).filter((n) => n === 'link_method' || n === 'match_probability'), [], `${name} has no metadata per row`);
  }
  t.same(release.metadata, { match_probability: 'bands', link_method: 'key', period_pattern: 'key' });
});

t.test('with the period pattern omitted, no file carries a period', async (t) => {
  const release = assembleRelease(fixture(1, undefined, { match_probability: 'omit', link_method: 'omit', period_pattern: 'omit' }));
  t.same(release.tables.map((x) => x.table.schema.fields.map((f) => f.name)), [['pseudonym', 'sex', 'municipality'], ['pseudonym', 'duration_days'], ['pseudonym', 'wage']]);
});

t.test('a suppressed period pattern leaves the person\'s rows without a period', async (t) => {
  // 2024Q2 alone is one person's pattern (person 3, vdab): at k = 2 it must go, and with it the row's period.
  const input = fixture(2, undefined, { match_probability: 'omit', link_method: 'omit', period_pattern: 'key' });
  const release = assembleRelease({ ...input, keyVariables: [] });
  const persons = rowsOf(release.tables[0].table);
  const suppressed = new Set(persons.filter((r) => r.period_pattern === null).map((r) => r.pseudonym as string));
  t.ok(suppressed.size > 0, 'some pattern was suppressed');
  for (const { name, table } of release.tables.slice(1)) {
    for (const r of rowsOf(table)) if (suppressed.has(r.pseudonym as string)) t.equal(r.period, null, `${name}: no period for a suppressed pattern`);
  }
});

t.test('refuses a non-key column that copies or recodes a key variable', async (t) => {
  const n = 60;
  const places = ['11002', '44021', '24062', '31005', '12025'];
  const names = ['Antwerpen', 'Gent', 'Leuven', 'Brugge', 'Mechelen'];
  const personOfRow = Int32Array.from({ length: n }, (_, i) => i);
  const source = (columns: Record<string, Vector>, approved: string[]): ReleaseSourceInput => ({
    name: 'ds', personOfRow, periods: [{ period: '2024', rows: n }], approved, columns, linkMethod: new Uint8Array(n),
  });
  const nis = utf8(Array.from(personOfRow, (i) => places[i % 5]));
  const base = { personCount: n, pseudonyms: pseudonymsFor(n), keyVariables: ['nis'], k: 2, metadata: PERIODS_ONLY };
  const gemeente = utf8(Array.from(personOfRow, (i) => names[i % 5]));
  t.throws(() => assembleRelease({ ...base, sources: [source({ nis, gemeente }, ['nis', 'gemeente'])] }), { code: 'KOPPEL_ERR_RELEASE_KEY_VARIABLE_COPY' }, 'a renamed copy');
  const province = utf8(Array.from(personOfRow, (i) => (i % 5 < 2 ? 'A' : 'B')));
  t.throws(() => assembleRelease({ ...base, sources: [source({ nis, province }, ['nis', 'province'])] }), { code: 'KOPPEL_ERR_RELEASE_KEY_VARIABLE_COPY' }, 'a coarser recoding');
  const wage = int32(Array.from(personOfRow, (i) => 1000 + i));
  const release = assembleRelease({ ...base, sources: [source({ nis, wage }, ['nis', 'wage'])] });
  t.equal(release.tables[1].table.numRows, n, 'a column unique per person teaches no mapping and is released');
});

t.test('rejects policies the sources cannot satisfy, by code', async (t) => {
  const input = fixture(1);
  const [vdab, rsz] = input.sources;
  const bad = (sources: ReleaseSourceInput[], keyVariables = input.keyVariables) => () => assembleRelease({ ...input, sources, keyVariables });
  const code = { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' };
  t.throws(bad([{ ...vdab, approved: [...vdab.approved, 'missing'] }, rsz]), code, 'an approved attribute no column provides');
  t.throws(bad([vdab, rsz], ['sex', 'nationality']), code, 'a key variable no dataset approves');
  t.throws(bad([{ ...vdab, name: 'persons' }, rsz]), code, 'a dataset named like the persons file');
  t.throws(bad([vdab, { ...rsz, name: vdab.name }]), code, 'two datasets with one name');
  t.throws(bad([{ ...vdab, approved: ['period'], columns: { ...vdab.columns, period: utf8(['a', 'b', 'c', 'd', 'e']) } }, rsz]), code, 'a reserved column name');
  t.throws(bad([vdab, { ...rsz, columns: { ...rsz.columns, sex: int32([1, 2, 1, 2]) } }]), code, 'a key variable that is text in one dataset and a number in another');
  t.throws(() => assembleRelease({ ...input, personCount: 5 }), RangeError, 'pseudonyms must match the persons');
});

t.test('keeps every row and its attribute values on random populations', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 30 }),
    fc.array(fc.record({ person: fc.nat(), value: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }), sex: fc.option(fc.constantFrom('M', 'F', 'X'), { nil: null }) }), { maxLength: 60 }),
    fc.integer({ min: 1, max: 4 }),
    (personCount, rows, k) => {
      const personOfRow = Int32Array.from(rows.map((r) => r.person % personCount));
      const source: ReleaseSourceInput = {
        name: 'ds', personOfRow, periods: [{ period: '2024', rows: rows.length }], approved: ['v', 'sex'],
        columns: { v: int32(rows.map((r) => r.value)), sex: utf8(rows.map((r) => r.sex)) },
        linkMethod: new Uint8Array(rows.length),
      };
      const pseudonyms = pseudonymsFor(personCount);
      const release = assembleRelease({ personCount, pseudonyms, keyVariables: ['sex'], k, sources: [source], batchRows: 7 });
      const names = pseudonyms.toArray() as unknown as string[];
      const got = rowsOf(release.tables[1].table).map((r) => `${r.pseudonym}|${r.v}`).sort();
      const want = rows.map((r, i) => `${names[personOfRow[i]]}|${r.value}`).sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) return false;
      // Key variable: null or the first non-null value of the person (naive oracle).
      const first = new Map<string, string>();
      rows.forEach((r, i) => { const p = names[personOfRow[i]]; if (r.sex !== null && !first.has(p)) first.set(p, r.sex); });
      const persons = rowsOf(release.tables[0].table);
      if (persons.length !== personCount) return false;
      const sizes = new Map<string | null, number>();
      for (const p of persons) {
        if (p.sex !== null && p.sex !== first.get(p.pseudonym as string)) return false;
        sizes.set(p.sex as string | null, (sizes.get(p.sex as string | null) ?? 0) + 1);
      }
      return personCount < k || [...sizes.values()].every((n) => n >= k);
    },
  ), { numRuns: 150 });
  t.pass('agrees with the oracle');
});

t.test('releases a key variable at the level the lattice search chose, as its group labels', async (t) => {
  const input = fixture(2, undefined, NO_METADATA);
  const vdab = input.sources[0];
  const municipality = utf8(['11002', '11004', '11001', '44021', '11003']);
  const release = assembleRelease({
    ...input, keyVariables: ['municipality'], hierarchies: { municipality: { prefixes: [2, 1] } }, suppressionLimit: 0.5,
    sources: [{ ...vdab, columns: { ...vdab.columns, municipality } }, input.sources[1]],
  });
  const dc = release.disclosure_control;
  t.same(dc.generalisation_levels, { municipality: 'first 2 characters' }, 'arrondissement 11 holds four persons; 44021 alone is suppressed');
  t.same(rowsOf(release.tables[0].table).map((r) => r.municipality).sort(), ['11', '11', '11', '11', null, null]);
  t.equal(dc.suppressed_values.municipality, 1);
  t.equal(dc.generalised_values.municipality, 4);
  const bytes = Buffer.from(tableToIPC(release.tables[0].table, 'file'));
  t.notOk(bytes.includes(Buffer.from('44021')) || bytes.includes(Buffer.from('11002')), 'no municipality code is in the persons file');
});

t.test('l-diversity on a sensitive attribute and the hierarchy type check, by code', async (t) => {
  const input = fixture(1, undefined, NO_METADATA);
  const release = assembleRelease({ ...input, keyVariables: ['sex'], sensitive: { attribute: 'duration_days', l: 2 } });
  t.same(release.disclosure_control.l_diversity, { attribute: 'duration_days', l: 2 });
  t.throws(() => assembleRelease({ ...input, hierarchies: { sex: { bands: [5] } } }), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
  t.throws(() => assembleRelease({ ...input, sensitive: { attribute: 'nope', l: 2 } }), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
});
