/**
 * The turnaround benchmark's data: three suppliers' quarterly CSV extracts about the same
 * synthetic people, with the truth (which person each row is) kept beside them, never in them.
 *
 * Every column of person p is a pure function of (seed, p), so no table of people is held: at
 * N = 11.8M the generator keeps only the truth (one Int32 per row) and one batch of CSV text.
 * - National numbers are unique and valid: a seeded bijection spreads the people over
 *   36,524 birth days (1925-2024) and, per day, over the serials 1..998 (odd: men).
 * - Names: 120 given names (a second one for 25% of people) and ~30,000 surnames built from
 *   parts, so that names and birth date identify people nearly as well as they do in Belgium.
 * - Each supplier covers about 99% of the people (a different 1% missing), in its own row order
 *   (another bijection), with the national number empty in 5% of its rows and one of the two
 *   names mistyped in 2% (each supplier independently); a second supplier writes names in
 *   capitals or without accents now and then, as real registers do.
 * All of it is synthetic.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { inszCheckDigits } from '../src/ingest/insz.js';
import { GIVEN_NAMES_FEMALE, GIVEN_NAMES_MALE } from '../examples/generator/names.js';
import { MUNICIPALITIES, MUNICIPALITY_WEIGHTS } from '../examples/generator/municipalities.js';

export const SUPPLIERS = ['vdab_jobseekers', 'rsz_employment', 'agodi_diplomas'] as const;
export type SupplierName = typeof SUPPLIERS[number];

/** Largest population the national-number bijection covers (36,524 days x 998 serials). */
export const MAX_PEOPLE = 36_000_000;
const DAYS = 36_524;
const EPOCH_1925 = Date.UTC(1925, 0, 1);
const BATCH_ROWS = 16_384;

export const SHARE_ABSENT = 0.01;
export const SHARE_NO_NATIONAL_ID = 0.05;
export const SHARE_MISTYPED = 0.02;

/** A small integer hash (xorshift-multiply): every column of a person is a function of its index. */
export function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** An affine bijection of [0, n): i -> (a i + b) mod n, with a coprime to n. */
function bijection(n: number, salt: number): (i: number) => number {
  let a = (mix(salt) % n) | 1;
  while (gcd(a, n) !== 1) a += 2;
  const b = mix(salt ^ 0x5bd1e995) % n;
  // a * i can pass 2^53 for n > 2^26: split i so every product stays exact.
  const aHi = (a * 65_536) % n;
  return (i) => ((aHi * Math.floor(i / 65_536)) % n + (a * (i % 65_536)) % n + b) % n;
}

const SURNAME_HEADS = ['Van ', 'De ', 'Van de ', 'Van den ', 'Ver', 'Vande', 'D\'', 'El ', '', '', '', '', ''];
const SURNAME_STEMS = ['Broek', 'Berg', 'Velde', 'Hove', 'Donck', 'Acker', 'Meulen', 'Straete', 'Poel', 'Heyden',
  'Bosch', 'Kerck', 'Linden', 'Hout', 'Dael', 'Steen', 'Camp', 'Mol', 'Laer', 'Eycken', 'Wijn', 'Brugg', 'Haute',
  'Gaer', 'Roey', 'Bempt', 'Molen', 'Hulst', 'Peet', 'Jans', 'Maes', 'Claes', 'Goos', 'Wout', 'Smet', 'Dubo',
  'Lamb', 'Herm', 'Aert', 'Cool', 'Segh', 'Pauw', 'Lemm', 'Hoof', 'Amr', 'Idriss', 'Benal', 'Öztür', 'Yılm',
  'Kay', 'Demir', 'Çel', 'Şah', 'Nguy', 'Kowal', 'Nowa', 'Ross', 'Garc', 'Müll', 'Lefèv', 'Gérar', 'Renar',
  'Laur', 'Leroy', 'Thir', 'Coll', 'Noël', 'Wuyt', 'Huyb', 'Stev', 'Hend', 'Baer', 'Dewul', 'Copp', 'Lauw',
  'Dierck', 'Thys', 'Verh', 'Celis', 'Waut', 'Groot', 'Vlaem', 'Host', 'Hautek'];
const SURNAME_TAILS = ['', 's', 'e', 'en', 'ens', 'x', 'ckx', 'aert', 'man', 'ers', 'ghem', 'ier', 'el', 'ot',
  'in', 'ard', 'eels', 'ik', 'oglu', 'ane', 'ski', 'er', 'y', 'ijn', 'ée', 'ois', 'ard'];
const GIVEN = [...GIVEN_NAMES_MALE, ...GIVEN_NAMES_FEMALE];
const MALE_COUNT = GIVEN_NAMES_MALE.length;
const FEMALE_COUNT = GIVEN_NAMES_FEMALE.length;

/** Cumulative municipality weights, to draw a municipality from a uniform number. */
const PLACE_CUMULATIVE = (() => {
  const c = new Float64Array(MUNICIPALITY_WEIGHTS.length);
  let sum = 0;
  for (let i = 0; i < c.length; i++) { sum += MUNICIPALITY_WEIGHTS[i]; c[i] = sum; }
  for (let i = 0; i < c.length; i++) c[i] /= sum;
  return c;
})();

function place(u: number): number {
  let lo = 0; let hi = PLACE_CUMULATIVE.length - 1;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (PLACE_CUMULATIVE[mid] < u) lo = mid + 1; else hi = mid; }
  return lo;
}

const pad2 = (v: number): string => (v < 10 ? `0${v}` : String(v));
const pad3 = (v: number): string => (v < 10 ? `00${v}` : v < 100 ? `0${v}` : String(v));

/** Per birth day: the ISO date and the first six INSZ digits (computed once, not per row). */
const DAY_TEXT = Array.from({ length: DAYS }, (_, d) => {
  const date = new Date(EPOCH_1925 + d * 86_400_000);
  const y = date.getUTCFullYear(); const m = date.getUTCMonth() + 1; const dd = date.getUTCDate();
  return { iso: `${y}-${pad2(m)}-${pad2(dd)}`, yymmdd: `${pad2(y % 100)}${pad2(m)}${pad2(dd)}`, from2000: y >= 2000, year: y };
});

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** One letter replaced by another (never by itself): a typing error that keeps the length. */
function mistype(name: string, h: number): string {
  const i = h % name.length;
  const c = LETTERS[(h >>> 8) % 26];
  const replacement = c === name[i].toLowerCase() ? LETTERS[((h >>> 8) + 1) % 26] : c;
  return name.slice(0, i) + replacement + name.slice(i + 1);
}

const stripAccents = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').replace(/ı/g, 'i');

export interface Population {
  readonly people: number;
  readonly seed: number;
}

/** Person p's fixed facts (the same in every supplier's extract). */
function person(pop: Population, p: number, toId: (i: number) => number) {
  const id = toId(p);
  const day = id % DAYS;
  const serial = 1 + Math.floor(id / DAYS);
  const male = serial % 2 === 1;
  const h1 = mix(p ^ pop.seed);
  const h2 = mix(h1 ^ 0x27d4eb2d);
  const t = DAY_TEXT[day];
  const first9 = `${t.yymmdd}${pad3(serial)}`;
  const given1 = male ? GIVEN[h1 % MALE_COUNT] : GIVEN[MALE_COUNT + (h1 % FEMALE_COUNT)];
  const given = (h1 >>> 20) % 4 === 0 ? `${given1} ${male ? GIVEN[(h2 >>> 3) % MALE_COUNT] : GIVEN[MALE_COUNT + ((h2 >>> 3) % FEMALE_COUNT)]}` : given1;
  const head = SURNAME_HEADS[h2 % SURNAME_HEADS.length];
  const stem = SURNAME_STEMS[(h2 >>> 5) % SURNAME_STEMS.length];
  const tail = SURNAME_TAILS[(h2 >>> 13) % SURNAME_TAILS.length];
  const surname = head === 'Ver' || head === 'Vande' ? head + stem.toLowerCase() + tail : head + stem + tail;
  return { insz: first9 + inszCheckDigits(first9, t.from2000), iso: t.iso, year: t.year, male, given, surname, place: place(h2 / 2 ** 32), h: mix(h2 ^ 0x165667b1) };
}

interface Supplier {
  readonly header: string;
  /** Attribute cells after the shared columns (no leading comma). */
  attributes(p: PersonFacts, h: number): string;
}

const EDUCATION = ['laag', 'middel', 'hoog'];
const COMMITTEES = ['200', '124', '302', '330', '111', '140', '322', '118'];
const DIPLOMAS = ['secundair', 'hbo5', 'bachelor', 'master', 'doctor'];

const SUPPLIER_COLUMNS: Record<SupplierName, Supplier> = {
  vdab_jobseekers: {
    header: 'opleidingsniveau,werkloosheidsduur_maanden',
    attributes: (_p, h) => `${EDUCATION[h % 3]},${(h >>> 4) % 60}`,
  },
  rsz_employment: {
    header: 'paritair_comite,loon_cent',
    attributes: (_p, h) => `${COMMITTEES[h % COMMITTEES.length]},${600_000 + ((h >>> 4) % 900_000)}`,
  },
  agodi_diplomas: {
    header: 'diploma_niveau,behaald_jaar',
    attributes: (p, h) => `${DIPLOMAS[h % DIPLOMAS.length]},${Math.min(2024, p.year + 18 + ((h >>> 4) % 10))}`,
  },
};

/** The dataset schema a supplier's extract is registered with (POST /v1/datasets). */
export function datasetSchema(name: SupplierName) {
  const attrs = SUPPLIER_COLUMNS[name].header.split(',');
  const typed: Record<string, { type: string; unit?: string }> = {
    opleidingsniveau: { type: 'code' }, werkloosheidsduur_maanden: { type: 'integer', unit: 'months' },
    paritair_comite: { type: 'code' }, loon_cent: { type: 'integer', unit: 'EUR cent' },
    diploma_niveau: { type: 'code' }, behaald_jaar: { type: 'integer' },
  };
  return {
    name, supplier: name.split('_')[0], schedule: 'quarterly',
    columns: [
      { name: 'insz', role: 'national_id' },
      { name: 'voornaam', role: 'linkage', type: 'given_name' },
      { name: 'familienaam', role: 'linkage', type: 'surname' },
      { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'YYYY-MM-DD' },
      { name: 'geslacht', role: 'attribute', type: 'code', codes: ['M', 'V'] },
      { name: 'postcode', role: 'attribute', type: 'code' },
      { name: 'nis_code', role: 'attribute', type: 'code' },
      ...attrs.map((a) => ({ name: a, role: 'attribute', ...typed[a] })),
      ...(name === 'vdab_jobseekers' ? [{ name: 'birth_year', role: 'attribute', derive: 'birth_year(geboortedatum)' }] : []),
    ],
  };
}

export interface Extract {
  readonly supplier: SupplierName;
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  /** Person index of each data row (row 0 = the first line after the header). */
  readonly truth: Int32Array;
  readonly missingNationalIds: number;
  readonly mistypedNames: number;
}

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Person p's fixed facts (the same in every supplier's extract). */
export type PersonFacts = ReturnType<typeof person>;

/** One row of a supplier's extract as field values, as the supplier wrote them. */
export interface SupplierRow {
  /** The generated person: the truth, never in the extract. */
  readonly person: number;
  /** '' when the supplier left it out. */
  readonly nationalId: string;
  readonly givenName: string;
  readonly surname: string;
  /** ISO date (YYYY-MM-DD). */
  readonly birthDate: string;
  readonly mistyped: boolean;
  /** The person's facts behind the row (sex, place, attributes): what an extract writes besides. */
  readonly facts: PersonFacts;
}

export interface RowRange {
  /** Positions in the supplier's row order, [from, to) of [0, people). */
  readonly from?: number;
  readonly to?: number;
  /**
   * Only these persons (on top of the supplier's own absences): a source over part of the
   * population (a spine of the first N persons) keeps everyone's national number and row order.
   */
  readonly include?: (p: number) => boolean;
}

function checkPopulation(pop: Population): void {
  if (!Number.isSafeInteger(pop.people) || pop.people < 1 || pop.people > MAX_PEOPLE) throw new RangeError(`people must be 1..${MAX_PEOPLE}`);
}

/** The supplier's row hash of person p: absence, missing number, typing error and style. */
const rowHash = (pop: Population, s: number, p: number): number => mix(p * 3 + s + 1 + pop.seed);

/** Whether supplier `s` has a row for person p (each supplier misses its own 1%). */
export function inSupplier(pop: Population, s: number, p: number): boolean {
  return rowHash(pop, s, p) % 100_000 >= SHARE_ABSENT * 100_000;
}

/**
 * Supplier `s`'s rows at positions [from, to) of its row order, lazily: one row's strings at a
 * time, so that a caller can encode or write them in batches of its choosing and hold none.
 */
export function* supplierRows(pop: Population, s: number, range: RowRange = {}): Generator<SupplierRow> {
  checkPopulation(pop);
  const { from = 0, to = pop.people, include } = range;
  const toId = bijection(pop.people, pop.seed ^ 0x9e3779b9);
  const order = bijection(pop.people, pop.seed + 101 * (s + 1));
  for (let i = from; i < to; i++) {
    const p = order(i);
    if (!inSupplier(pop, s, p) || (include !== undefined && !include(p))) continue;
    const h = rowHash(pop, s, p);
    const f = person(pop, p, toId);
    const noId = (h >>> 17) % 1000 < SHARE_NO_NATIONAL_ID * 1000;
    let given = f.given; let surname = f.surname;
    const mistyped = (mix(h) % 1000) < SHARE_MISTYPED * 1000;
    if (mistyped) {
      if (h & 1) given = mistype(given, mix(h ^ 7)); else surname = mistype(surname, mix(h ^ 7));
    }
    // The diplomas register writes names its own way: capitals, or accents dropped.
    if (s === 2) {
      const style = (h >>> 24) % 10;
      if (style === 0) { given = given.toUpperCase(); surname = surname.toUpperCase(); } else if (style < 4) { given = stripAccents(given); surname = stripAccents(surname); }
    }
    yield { person: p, nationalId: noId ? '' : f.insz, givenName: given, surname, birthDate: f.iso, mistyped, facts: f };
  }
}

/** Writes supplier `s`'s extract to `dir`, in batches of rows, waiting for the stream to drain. */
export async function writeExtract(pop: Population, s: number, dir: string): Promise<Extract> {
  checkPopulation(pop);
  const name = SUPPLIERS[s];
  const columns = SUPPLIER_COLUMNS[name];
  const path = join(dir, `${name}.csv`);
  const out = createWriteStream(path);
  const truth = new Int32Array(pop.people);
  let rows = 0; let bytes = 0; let missing = 0; let mistyped = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`insz,voornaam,familienaam,geboortedatum,geslacht,postcode,nis_code,${columns.header}\n`);
  const lines: string[] = [];
  for (const r of supplierRows(pop, s)) {
    const f = r.facts;
    if (r.mistyped) mistyped++;
    if (r.nationalId === '') missing++;
    const m = MUNICIPALITIES[f.place];
    lines.push(`${r.nationalId},${csvCell(r.givenName)},${csvCell(r.surname)},${r.birthDate},${f.male ? 'M' : 'V'},${m.postcode},${m.nis},${columns.attributes(f, f.h ^ s)}\n`);
    truth[rows++] = r.person;
    if (lines.length === BATCH_ROWS) { await write(lines.join('')); lines.length = 0; }
  }
  if (lines.length > 0) await write(lines.join(''));
  out.end();
  await once(out, 'close');
  return { supplier: name, path, rows, bytes, truth: truth.subarray(0, rows), missingNationalIds: missing, mistypedNames: mistyped };
}
