import t from 'tap';
import { linkRecords, type LinkResult } from '../../../src/link/link-records.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC } from '../../../src/link/link-method.js';
import { linkSettings } from '../../../src/link/link-settings.js';
import { generateBelgian } from '../../../benchmarks/data/belgian.js';
import { encodeRows, insz, type Row, type TestField } from './link-fixtures.js';

const FIELDS: TestField[] = [
  { name: 'insz', type: 'national_id' }, { name: 'given_name', type: 'given_name' }, { name: 'surname', type: 'surname' },
  { name: 'date_of_birth', type: 'date', format: 'YYYY-MM-DD' }, { name: 'sex', type: 'sex' }, { name: 'postcode', type: 'postcode' },
];

/** A generated population as rows, so the model has enough pairs to estimate from. */
function population(people: number, seed: number, sources = 2): { name: string; rows: Row[]; person: Int32Array }[] {
  const data = generateBelgian({ people, seed, sources });
  const header = data.sources[0].header;
  return data.sources.map((s) => ({ name: s.name, person: s.person, rows: s.rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])) as Row) }));
}

function linkPairs(result: LinkResult): { a: number; b: number; method: number }[] {
  const out: { a: number; b: number; method: number }[] = [];
  for (let i = 0; i < result.links.length; i++) out.push({ a: result.links.left[i], b: result.links.right[i], method: result.links.method[i] });
  return out;
}

t.test('equal valid national numbers link deterministically; the rest link probabilistically', async (t) => {
  const pop = population(1500, 21);
  const sources = encodeRows(pop, FIELDS);
  const result = linkRecords(sources, linkSettings());
  const offset = result.offsets[1];
  let correct = 0; let det = 0; let prob = 0;
  for (const l of linkPairs(result)) {
    if (pop[0].person[l.a] === pop[1].person[l.b - offset]) correct++;
    if (l.method === LINK_DETERMINISTIC) det++; else if (l.method === LINK_PROBABILISTIC) prob++;
  }
  t.ok(det > 500, `${det} deterministic links`);
  t.ok(prob > 100, `${prob} probabilistic links`);
  t.ok(correct / result.links.length > 0.99, `precision ${(correct / result.links.length).toFixed(4)}`);
  t.equal(result.report.links.total, result.links.length);
  t.equal(result.report.sources[1].linked_deterministic + result.report.sources[1].linked_probabilistic + result.report.sources[1].unlinked, sources[1].size);
  t.ok(result.report.model.m_from_deterministic_links);
  t.ok(result.report.settings.threshold > 0 && result.report.settings.threshold < 1);
});

t.test('a deterministic link whose names and date clearly disagree is counted, and a number shared twice in a unique source is refused', async (t) => {
  const pop = population(400, 5);
  const shared = insz(1970, 1, 1, 101);
  pop[0].rows[0] = { insz: shared, given_name: 'Jan', surname: 'Peeters', date_of_birth: '1970-01-01', sex: 'M', postcode: '9000' };
  pop[0].rows[1] = { insz: shared, given_name: 'Jan', surname: 'Peeters', date_of_birth: '1970-01-01', sex: 'M', postcode: '9000' };
  pop[1].rows[0] = { insz: shared, given_name: 'Fatima', surname: 'El Amrani', date_of_birth: '1999-12-24', sex: 'V', postcode: '2000' };
  const result = linkRecords(encodeRows(pop, FIELDS), linkSettings());
  t.ok(result.report.deterministic.conflicts >= 1, 'second record of the unique source refused');
  t.ok(result.report.deterministic.disagreeing.names >= 1);
  t.ok(result.report.deterministic.disagreeing.dates >= 1);
  t.not(result.clusters[0], result.clusters[1], 'the two records of source 0 stay apart');
});

t.test('deduplication links a source with itself; left below right', async (t) => {
  const rows: Row[] = [];
  const pop = population(600, 9, 2)[0].rows;
  for (const r of pop) rows.push({ ...r, insz: null });
  for (let i = 0; i < 100; i++) rows.push({ ...pop[i], insz: null, given_name: pop[i].given_name?.toUpperCase() ?? null });
  const sources = encodeRows([{ name: 'only', rows }], FIELDS);
  const result = linkRecords(sources, linkSettings({ deduplicate: true }));
  let found = 0;
  for (const l of linkPairs(result)) {
    t.ok(l.a < l.b);
    if (l.b - l.a === pop.length) found++;
  }
  t.ok(found >= 95, `${found} of 100 duplicates found`);
});

t.test('three sources form one person spine', async (t) => {
  const pop = population(800, 13, 3);
  const result = linkRecords(encodeRows(pop, FIELDS), linkSettings());
  const personOfGlobal = (g: number) => { for (let s = 0; s < 3; s++) if (g < result.offsets[s + 1]) return pop[s].person[g - result.offsets[s]]; return -1; };
  let together = 0; let pairs = 0;
  for (let a = result.offsets[0]; a < result.offsets[1]; a++) {
    for (let c = result.offsets[2]; c < result.offsets[3]; c++) {
      if (personOfGlobal(a) !== personOfGlobal(c)) continue;
      pairs++;
      if (result.clusters[a] === result.clusters[c]) together++;
    }
  }
  t.ok(together / pairs > 0.97, `${together} of ${pairs} true first/third pairs share a cluster`);
  t.ok(result.report.clusters.multi_source > 0);
});

t.test('a non-unique source may give many records to one person', async (t) => {
  const person = { insz: insz(1980, 5, 17, 33), given_name: 'Els', surname: 'Maes', date_of_birth: '1980-05-17', sex: 'V', postcode: '3000' };
  const others = population(300, 17)[0].rows;
  const wages = [person, { ...person }, { ...person, insz: null }, ...others.slice(0, 50)];
  const result = linkRecords(encodeRows([{ name: 'people', rows: [person, ...others] }, { name: 'wages', rows: wages, unique: false }], FIELDS), linkSettings());
  const c = result.clusters[0];
  const n = result.offsets[1];
  t.equal(result.clusters[n], c);
  t.equal(result.clusters[n + 1], c);
  t.equal(result.clusters[n + 2], c, 'the row without a national number joins probabilistically');
});

t.test('rows of one number in a non-unique source are one person even with no record elsewhere, and no link', async (t) => {
  const person = { insz: insz(1975, 2, 3, 41), given_name: 'Jan', surname: 'Peeters', date_of_birth: '1975-02-03', sex: 'M', postcode: '2000' };
  const others = population(200, 5)[0].rows;
  const wages = [{ ...person }, { ...person }, { ...person }, ...others.slice(0, 30)];
  const result = linkRecords(encodeRows([{ name: 'people', rows: others.slice(40) }, { name: 'wages', rows: wages, unique: false }], FIELDS), linkSettings());
  const n = result.offsets[1];
  t.equal(result.clusters[n + 1], result.clusters[n], 'second quarter: same person');
  t.equal(result.clusters[n + 2], result.clusters[n], 'third quarter: same person');
  for (let i = 0; i < result.links.length; i++) {
    t.not(result.links.left[i] >= n && result.links.right[i] >= n, true, 'no link within the source');
  }
});

t.test('an empty source and an all-null field are reported, not a crash', async (t) => {
  const pop = population(200, 2);
  for (const r of pop[0].rows) r.postcode = null;
  for (const r of pop[1].rows) r.postcode = null;
  const result = linkRecords(encodeRows([...pop, { name: 'empty', rows: [], person: new Int32Array(0) }], FIELDS), linkSettings());
  t.equal(result.report.sources[2].records, 0);
  t.equal(result.report.sources[0].fields.postcode.nulls, pop[0].rows.length);
  t.ok(result.links.length > 0);
  const none = linkRecords(encodeRows([{ name: 'a', rows: [] }, { name: 'b', rows: [] }], FIELDS), linkSettings());
  t.equal(none.links.length, 0);
  t.equal(none.clusterCount, 0);
});

t.test('blocking rules and the threshold from the job are used and reported', async (t) => {
  const pop = population(500, 4);
  const result = linkRecords(encodeRows(pop, FIELDS), linkSettings({ blocking: [['surname'], ['date_of_birth', 'sex']], threshold: 0.9 }));
  t.same(result.report.blocking.rules.map((r) => r.rule), ['surname', 'date_of_birth & sex']);
  t.equal(result.report.settings.threshold, 0.9);
  t.equal(result.report.settings.threshold_chosen_by, 'job');
  for (let i = 0; i < result.links.length; i++) t.ok(result.links.probability[i] >= 0.9 || result.links.method[i] === LINK_DETERMINISTIC);
});

t.test('with a thousand deterministic links or more, m is measured on them and held, whatever the blocking', async (t) => {
  const pop = population(3000, 8);
  const sources = encodeRows(pop, FIELDS);
  const auto = linkRecords(sources, linkSettings());
  const given = linkRecords(sources, linkSettings({ blocking: [['surname', 'postcode'], ['given_name', 'date_of_birth']] }));
  t.ok(auto.report.deterministic.links >= 1000, `${auto.report.deterministic.links} deterministic links`);
  t.ok(auto.report.model.m_held, 'the report says m is held');
  // EM ran (for the share of matches) over different candidate pairs, yet m did not move.
  const m = (r: LinkResult) => r.report.model.fields.map((f) => f.levels.map((l) => l.m));
  t.same(m(given), m(auto), 'the same m under other blocking rules');
  for (const f of auto.report.model.fields) for (const l of f.levels.slice(1)) t.ok(l.m >= 0.0009, `${f.name} ${l.label}: m ${l.m} keeps the floor`);

  const few = linkRecords(encodeRows(population(600, 8), FIELDS), linkSettings());
  t.ok(few.report.deterministic.links < 1000 && few.report.deterministic.links >= 30);
  t.notOk(few.report.model.m_held, 'fewer links: m only starts from them, EM refines it');
  t.ok(few.report.model.m_from_deterministic_links);
});

t.test('the share of matches whose valid national numbers differ is measured on pairs alike in every other field', async (t) => {
  const differentM = (r: LinkResult) => r.report.model.fields.find((f) => f.type === 'national_id')!.levels[2].m;
  const pop = population(3000, 12);
  const plain = linkRecords(encodeRows(pop, FIELDS), linkSettings());
  t.equal(differentM(plain), 0.001, 'no such match in the data: the floor');
  // One in ten second-source records got another valid number (as a BIS number replaced by a
  // national register number would): the measured share follows.
  let changed = 0;
  const rows = pop[1].rows.map((row, i) => {
    if (i % 10 !== 0 || row.insz === '') return row;
    changed++;
    return { ...row, insz: insz(1930 + (i % 60), 1 + (i % 12), 1 + (i % 28), 900 + (i % 90)) };
  });
  const moved = linkRecords(encodeRows([pop[0], { ...pop[1], rows }], FIELDS), linkSettings());
  t.ok(changed > 100, `${changed} numbers changed`);
  const m = differentM(moved);
  t.ok(m > 0.03 && m < 0.2, `m of "different" ${m.toFixed(4)}, near the share changed among linkable records`);
});

t.test('a caller that gives its sources up gets the same links, and the indexed tokens and pseudonyms are dropped', async (t) => {
  const pop = population(800, 33);
  const kept = linkRecords(encodeRows(pop, FIELDS), linkSettings());
  const given = encodeRows(pop, FIELDS);
  const released = linkRecords(given, linkSettings(), { releaseInputs: true });
  t.same(linkPairs(released), linkPairs(kept), 'the same links');
  t.same([...released.clusters], [...kept.clusters], 'the same persons');
  for (const src of given) {
    t.equal(src.pseudonyms, null, `${src.name}: pseudonyms dropped`);
    t.ok(src.fields.every((f) => f.tokens.length === 0), `${src.name}: tokens dropped`);
    t.ok(src.fields.every((f) => f.present.length === src.size), `${src.name}: presence kept`);
    t.ok(src.fields.filter((f) => f.bloomWords > 0).every((f) => f.bloom!.length === src.size * f.bloomWords), `${src.name}: Bloom filters kept`);
  }
});
