/**
 * A FEBRL-4-like benchmark generator: `n` original records (`rec-N-org`) and one corrupted
 * duplicate of each (`rec-N-dup-0`), with FEBRL's columns and corruption model (keyboard typos,
 * OCR errors, phonetic rewrites, split and merged words, missing values, swapped given name and
 * surname or address lines, values replaced by other values, several modifications per record
 * and up to two per field). Vocabularies are synthetic, with Zipf frequencies.
 */
import { corrupt, int, pick, seeded, toCsv, zipf, type Random } from './corruption.js';

export const FEBRL_COLUMNS = [
  'rec_id', 'given_name', 'surname', 'street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state', 'date_of_birth', 'soc_sec_id',
] as const;

const GIVEN = `jack thomas joshua william lachlan james ethan samuel daniel ryan benjamin matthew liam luke nicholas jacob alexander
noah dylan callum harrison cooper riley connor lucas michael jordan isaac oliver mitchell zachary tyler charlie jayden blake aidan
bailey kyle max henry hayden patrick john david jake tom harry adam nathan sebastian christopher jesse caleb hamish angus archie
emily chloe olivia sophie jessica emma ella georgia isabella hannah grace charlotte mia lily sarah ruby zoe madison lauren amy
caitlin isabelle jasmine abbey molly paige lucy holly jade maddison laura rebecca kate alexandra tahlia bianca brooke eliza
imogen amelia stephanie sienna abigail alyssa tayla samantha kiara claudia phoebe danielle elizabeth jennifer natasha annabel`.split(/\s+/);
const SURNAME_CORE = `smith white green brown wilson taylor johnson williams jones martin anderson thompson nguyen ryan walker harris
lee robinson kelly king campbell clarke mitchell young wright roberts morris davis murphy hall allen baker scott hill wood jackson
turner lewis evans james cooper edwards ward reid webb miller moore stewart collins parker watson cook bell morgan bennett hughes
shaw clark phillips turner lowe carter chandler bishop mason ross gibson hope noble dent berry lowry coulson donaldson mccarthy`.split(/\s+/);
const SYLL_A = ['ba', 'ker', 'mal', 'don', 'bris', 'har', 'wel', 'stan', 'gil', 'cor', 'fen', 'tho', 'mar', 'ril', 'ash', 'bur', 'lin', 'mor', 'pen', 'sel', 'wes', 'dal', 'kin', 'rob', 'stew', 'mcn', 'fitz', 'hol', 'ver', 'tsch'];
const SYLL_B = ['ton', 'ley', 'son', 'well', 'man', 'ford', 'wood', 'field', 'by', 'ridge', 'ham', 'lock', 'more', 'sey', 'ett', 'ard', 'ing', 'ell', 'off', 'ich', 'ini', 'zard', 'ock', 'stone'];
const STREET_A = ['stanley', 'pinkerton', 'salkauskas', 'macquoid', 'randwick', 'cutlack', 'caley', 'traeger', 'carpenter', 'corin', 'hawkesbury', 'willoughby', 'sinclair', 'cowcher', 'lienhop', 'wootton', 'bishopbourne', 'tweed', 'pelsart', 'araluen', 'ngunawal', 'elvire', 'clive steele', 'mcintyre', 'macgregor', 'abernethy', 'crease', 'hadleigh', 'darling', 'dryandra', 'leach', 'max henry', 'broadbent', 'coxen', 'rowntree', 'britten-jones', 'newman morris', 'vickery', 'sugarloaf', 'westall', 'sid barnes', 'mcgivern', 'marcus clarke', 'lamb', 'winder', 'tebbutt', 'hodgson', 'stenhouse', 'arid', 'smith', 'dugan', 'mimosa', 'homeleigh', 'fergusson', 'southern', 'mcintosh', 'federal', 'holroyd', 'stapylton', 'schofield', 'barraclough', 'parnell', 'namatjira', 'arabana', 'cobby', 'tanumbirini', 'barunga', 'bingham', 'cowie', 'de graaff', 'mcphail', 'quandong'];
const STREET_B = ['street', 'crescent', 'place', 'road', 'circuit', 'close', 'avenue', 'drive', 'court', 'way', 'terrace', 'loop', 'square'];
const PLACES = ['miami', 'bega flats', 'kela', 'broadbridge manor', 'avalind', 'belmont park', 'allandale', 'valley of springs', 'gold tyne', 'deergarden', 'donna valley', 'rosetta village', 'brentwood vlge', 'kassingbrook', 'sorrento', 'the manor garden', 'lismore road', 'five oaks', 'st francis vlge', 'bombowlee', 'whispering pines', 'narada', 'spq camp', 'stonyridge', 'kanangra hostel', 'edellen', 'rowethorpe', 'jeran', 'ferndale', 'plain view', 'willows trees', 'harlyn', 'belleview', 'the park', 'medical centre', 'yachting towers', 'wildefell', 'willaroo', 'campaspe', 'chanak', 'nuffield village', 'the blackhut', 'grammar school', 'willandra', 'kinloch court', 'tinaroo falls', 'palazz', 'boronia', 'kanjara', 'duck creek', 'brookvale', 'tolemac', 'sunbury', 'overnewton', 'mayfair', 'mindaree', 'cedarview', 'yacklin', 'chelsea house', 'spring creek'];
const SUBURBS = ['winston hills', 'richlands', 'dapto', 'south grafton', 'hoppers crossing', 'budgewoi', 'mill park', 'north ward', 'canterbury', 'clayfield', 'cooma', 'carrara', 'chelsea heights', 'ryde', 'surfers paradise', 'lalor', 'northmead', 'padstow', 'keilor', 'daisy hill', 'avoca', 'brighton', 'bronte', 'woongarra', 'woollahra', 'cecil plains', 'manunda', 'north ryde', 'rossmoyne', 'exton', 'west lakes', 'frankston', 'corio', 'tara', 'urangan', 'tallebudgera', 'warnbro', 'springwood', 'magill', 'windsor', 'moree', 'wingfield', 'highbury', 'lockleys', 'kilsyth', 'west wyalong', 'carnegie', 'macquarie fields', 'vermont', 'burwood', 'hawthorn', 'cranbourne', 'mittagong', 'embleton', 'currajong', 'stanley', 'slacks creek', 'kilcunda', 'pennant hills', 'roxburgh park', 'terrey hills', 'tolga', 'nedlands', 'armidale', 'revesby', 'christies beach', 'willetton', 'st peters', 'highett', 'glenmore park', 'beverly hills', 'bonnyrigg', 'arundel', 'crows nest', 'inglewood', 'cobar', 'elwood', 'braddon', 'oyster bay', 'goonellabah', 'berkeley vale', 'hendra', 'thornleigh', 'mount isa', 'evanston', 'tuart hill', 'st kilda east', 'fullarton', 'newbridge', 'casino'];
const STATES = ['nsw', 'vic', 'qld', 'wa', 'sa', 'tas', 'act', 'nt'];
const STATE_WEIGHTS = [0.33, 0.25, 0.2, 0.1, 0.07, 0.025, 0.015, 0.01];

export interface FebrlOptions {
  readonly records: number;
  readonly seed: number;
  /** Maximum modifications per duplicate record (FEBRL-4 style: up to several). */
  readonly maxModificationsPerRecord?: number;
  readonly maxModificationsPerField?: number;
}

export interface FebrlData {
  readonly a: string[][];
  readonly b: string[][];
  /** True pairs as [a rec_id, b rec_id]. */
  readonly truth: [string, string][];
}

function surnameVocabulary(rnd: Random): string[] {
  const out = new Set(SURNAME_CORE);
  for (let tries = 0; out.size < 3000 && tries < 100_000; tries++) {
    const s = pick(rnd, SYLL_A) + pick(rnd, SYLL_B) + (rnd() < 0.3 ? pick(rnd, ['s', 'e', 'er', 'i', '']) : '');
    out.add(s);
  }
  return [...out];
}

function givenVocabulary(rnd: Random): string[] {
  const out = new Set(GIVEN);
  // 13 x 14 syllable pairs: about 280 more names besides the common ones.
  for (const x of ['ja', 'ka', 'ma', 'ri', 'le', 'ta', 'bri', 'co', 'el', 'ai', 'ty', 'de', 'sha']) {
    for (const y of ['den', 'ley', 'lee', 'son', 'na', 'ra', 'ah', 'lyn', 'sha', 'ton', 'ya', 'cia', 'nie', 'line']) out.add(x + y);
  }
  return [...out];
}

function date(rnd: Random): string {
  const y = int(rnd, 1900, 1999);
  const m = int(rnd, 1, 12);
  const d = int(rnd, 1, 28);
  return `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
}

export function generateFebrlLike(options: FebrlOptions): FebrlData {
  const rnd = seeded(options.seed);
  const surnames = surnameVocabulary(rnd);
  const given = givenVocabulary(rnd);
  const sz = zipf(rnd, surnames.length, 0.9);
  const gz = zipf(rnd, given.length, 0.9);
  const streetZ = zipf(rnd, STREET_A.length, 0.7);
  const suburbZ = zipf(rnd, SUBURBS.length, 0.7);
  const state = () => { let x = rnd(); for (let i = 0; i < STATES.length; i++) { x -= STATE_WEIGHTS[i]; if (x < 0) return STATES[i]; } return 'nsw'; };
  const maxRec = options.maxModificationsPerRecord ?? 5;
  const maxField = options.maxModificationsPerField ?? 2;

  const originals: string[][] = [];
  for (let i = 0; i < options.records; i++) {
    const row = [
      `rec-${i}-org`,
      rnd() < 0.02 ? '' : given[gz()],
      rnd() < 0.01 ? '' : surnames[sz()],
      rnd() < 0.03 ? '' : String(rnd() < 0.7 ? int(rnd, 1, 99) : int(rnd, 100, 1500)),
      rnd() < 0.02 ? '' : `${STREET_A[streetZ()]} ${pick(rnd, STREET_B)}`,
      rnd() < 0.2 ? '' : rnd() < 0.15 ? `${pick(rnd, ['apt', 'flat', 'unit', 'villa', 'flt'])} ${int(rnd, 1, 99)}` : PLACES[Math.floor(rnd() * PLACES.length)],
      rnd() < 0.01 ? '' : SUBURBS[suburbZ()],
      String(int(rnd, 800, 7400)).padStart(4, '0'),
      rnd() < 0.02 ? '' : state(),
      rnd() < 0.02 ? '' : date(rnd),
      String(int(rnd, 1000000, 9999999)),
    ];
    originals.push(row);
  }

  const duplicates: string[][] = [];
  const truth: [string, string][] = [];
  // Field weights for where modifications land (given name .. soc_sec_id = columns 1..10).
  const fieldWeights = [0.15, 0.15, 0.06, 0.14, 0.1, 0.1, 0.06, 0.06, 0.1, 0.08];
  const pickField = () => { let x = rnd(); for (let i = 0; i < fieldWeights.length; i++) { x -= fieldWeights[i]; if (x < 0) return i + 1; } return 1; };
  for (let i = 0; i < options.records; i++) {
    const org = originals[i];
    const dup = org.slice();
    dup[0] = `rec-${i}-dup-0`;
    const perField = new Array<number>(FEBRL_COLUMNS.length).fill(0);
    const mods = int(rnd, 1, maxRec);
    for (let k = 0; k < mods; k++) {
      const f = pickField();
      if (perField[f] >= maxField) continue;
      perField[f]++;
      const kind = rnd();
      if (kind < 0.08) { dup[f] = ''; continue; } // missing value
      if (kind < 0.12 && (f === 1 || f === 2)) { const t = dup[1]; dup[1] = dup[2]; dup[2] = t; continue; }
      if (kind < 0.12 && (f === 4 || f === 5)) { const t = dup[4]; dup[4] = dup[5]; dup[5] = t; continue; }
      if (kind < 0.16) { // replaced by another value of the vocabulary
        if (f === 1) dup[f] = given[gz()];
        else if (f === 2) dup[f] = surnames[sz()];
        else if (f === 3) dup[f] = String(int(rnd, 1, 99));
        else if (f === 4) dup[f] = `${STREET_A[streetZ()]} ${pick(rnd, STREET_B)}`;
        else if (f === 6) dup[f] = SUBURBS[suburbZ()];
        else if (f === 8) dup[f] = state();
        else dup[f] = dup[f] === '' ? '' : corrupt(rnd, dup[f]);
        continue;
      }
      if (dup[f] !== '') dup[f] = corrupt(rnd, dup[f]);
    }
    duplicates.push(dup);
    truth.push([org[0], dup[0]]);
  }
  // Shuffle B so record order carries no signal.
  for (let i = duplicates.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = duplicates[i]; duplicates[i] = duplicates[j]; duplicates[j] = t;
  }
  return { a: originals, b: duplicates, truth };
}

/** CSV as the public files are written: `, ` between fields (a space after each comma). */
export function febrlCsv(rows: readonly string[][]): string {
  return toCsv(FEBRL_COLUMNS, rows).replace(/,/g, ', ');
}

/** The job file of issue 3's public benchmark. */
export const FEBRL_JOB_FIELDS = [
  { name: 'given_name', type: 'given_name' }, { name: 'surname', type: 'surname' },
  { name: 'street_number', type: 'code' }, { name: 'address_1', type: 'text' },
  { name: 'address_2', type: 'text' }, { name: 'suburb', type: 'text' },
  { name: 'postcode', type: 'postcode' }, { name: 'state', type: 'code' },
  { name: 'date_of_birth', type: 'date', format: 'YYYYMMDD' },
  { name: 'soc_sec_id', type: 'code' },
] as const;
