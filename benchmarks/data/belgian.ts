/**
 * Synthetic Belgian extracts with ground truth, for the linkage benchmark and tests.
 *
 * A population of people (Flemish, Walloon, Turkish, Moroccan and other names with Zipf
 * frequencies; particles `Van den`, `De`, `D'`, `El`, `Vander`; accents; twins sharing surname,
 * birth date and address) is drawn into two or three sources with partial overlap. Each source
 * writes names its own way (case, particles fused or apart, accents dropped, hyphens, only the
 * first given name), and carries errors: typos, day/month swaps, digit typos in dates, moves
 * (another postcode and municipality), missing values, and in the second source a share of
 * national numbers missing or mistyped (failing the check digits) and written with or without
 * punctuation or as a number that lost its leading zero. All data is synthetic.
 */
import { inszCheckDigits as nationalIdCheck } from '../../src/ingest/insz.js';
import { int, pick, seeded, toCsv, typo, zipf, type Random } from './corruption.js';

const MALE = `Jan Pieter Luc Marc Dirk Koen Tom Bart Wim Peter Johan Geert Stijn Jens Thomas Lucas Noah Arthur Louis Jules Victor
Adam Mohamed Ahmed Youssef Mehmet Mustafa Ali Jean Pierre Philippe François Michel André Olivier Nicolas Sébastien Jean-Pierre
Jean-Marc Willem Hendrik Frans Jozef Rudi Kris Filip Sven Kevin Dries Maarten Jeroen Joris Wout Seppe Lars Milan Kobe Emre Burak
Hamza Bilal Ibrahim Omar Karim Rachid Hasan Hüseyin Murat Ömer Patrick Eric Alain Daniel Guido Erik Ludo Rik Staf Gert Hans Nico
Ruben Simon Robbe Bram Senne Mathis Vincent Xavier Benoît Cédric Frédéric Grégory Jérôme Raphaël Maxime Quentin Arnaud Yves`.split(/\s+/);
const FEMALE = `Marie Anna Emma Olivia Louise Mila Elise Lotte Julie Sarah Laura Lisa Nele Sofie Katrien Els An Ann Annelies Inge
Veerle Kristel Griet Hilde Martine Nathalie Isabelle Sophie Céline Chloé Camille Hélène Bénédicte Marie-Louise Anne-Marie Fatima
Khadija Aïcha Meryem Zeynep Elif Ayşe Fatma Nour Yasmina Imane Salma Hanne Femke Jana Fien Noor Lien Eva Ella Lena Ilse Karen
Leen Liesbeth Tine Evy Sandra Caroline Kathleen Ingrid Rita Monique Christiane Godelieve Maria Josée Françoise Geneviève Valérie
Emilie Amélie Océane Manon Léa Zoë Noémie Anaïs Margaux Pauline Hatice Emine Sevgi Leila Samira Naïma Houda Amina Malika Saïda`.split(/\s+/);
const SURNAMES = `Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters De_Smet Dubois Lambert Dupont Martin Hermans Peters
Van_den_Broeck Van_Damme De_Clercq Vermeulen Leclercq Van_de_Velde Verstraete Michiels Aerts Cools Smets Bogaerts D'Hondt
Van_der_Elst De_Backer De_Wilde Segers Pauwels Lemmens Van_Hoof El_Amrani El_Idrissi Benali Öztürk Yılmaz Kaya Demir Çelik Şahin
Yıldız Aydın Nguyen Kowalski Nowak Rossi Russo García Fernández Müller Schmitz Lefèvre François Gérard Lejeune Renard Simon
Laurent Leroy Mathieu Thiry Collard Noël Desmet Van_Acker Van_Dyck De_Vos De_Meyer De_Cock Van_Ryckeghem Vanden_Berghe
Vander_Linden Ver_Eecke Van_Gucht De_Coninck D'Haese D'Hooghe El_Khattabi El_Ouali Ben_Ali Bouzid Haddou Ait_Ahmed Van_Leeuwen
Vercammen Verhaegen Verbruggen Wuyts Huybrechts Stevens Hendrickx Vandevelde Vandamme Declercq Baert Dewulf Coppens Lauwers
Dierckx Thys Verhoeven Van_Mol Van_Looy Celis Wauters De_Groote Vanhove Verschueren Vlaeminck Hoste Hautekiet`.split(/\s+/).map((s) => s.replace(/_/g, ' '));
const STEM = ['broek', 'berg', 'velde', 'hove', 'donck', 'acker', 'meulen', 'straete', 'poel', 'heyden', 'bosch', 'kerck', 'linden', 'hout', 'dael', 'steen', 'camp', 'mol', 'laer', 'eycken', 'wijn', 'brugg', 'haute', 'gaer', 'roey', 'bempt', 'molen', 'hulst'];
const SUFFIX = ['', 's', 'e', 'en', 'ens', 'x', 'ckx', 'aert', 'man', 'ers', 'ghem', 'ier'];
const PARTICLE = ['', '', '', 'Van ', 'Van de ', 'Van den ', 'Van der ', 'De ', 'Ver', 'Vande', 'Vanden'];

/** Postcode and NIS code of a municipality. */
const PLACES: readonly [string, string][] = [
  ['1000', '21004'], ['1030', '21015'], ['1050', '21009'], ['1070', '21001'], ['1080', '21012'], ['1180', '21016'], ['1200', '21018'],
  ['1500', '23027'], ['1700', '23016'], ['1800', '23088'], ['2000', '11002'], ['2018', '11002'], ['2060', '11002'], ['2100', '11002'],
  ['2140', '11002'], ['2200', '13011'], ['2300', '13040'], ['2400', '13025'], ['2500', '12021'], ['2800', '12025'], ['2900', '11040'],
  ['3000', '24062'], ['3001', '24062'], ['3010', '24062'], ['3200', '24001'], ['3300', '24107'], ['3500', '71022'], ['3600', '71016'],
  ['3700', '73083'], ['3800', '71053'], ['3900', '72030'], ['4000', '62063'], ['4020', '62063'], ['4100', '62096'], ['4800', '63079'],
  ['5000', '92094'], ['5100', '92094'], ['6000', '52011'], ['6001', '52011'], ['6200', '52012'], ['7000', '53053'], ['7500', '57081'],
  ['8000', '31005'], ['8200', '31005'], ['8400', '35013'], ['8500', '34022'], ['8800', '36015'], ['9000', '44021'], ['9030', '44021'],
  ['9040', '44021'], ['9100', '46021'], ['9200', '42006'], ['9300', '41002'], ['9400', '41048'], ['9700', '45035'], ['9800', '44083'],
];

export const BELGIAN_COLUMNS = ['record_id', 'insz', 'given_name', 'surname', 'date_of_birth', 'sex', 'postcode', 'municipality'] as const;

export interface BelgianOptions {
  readonly people: number;
  readonly seed: number;
  /** 2 or 3 sources. */
  readonly sources?: number;
  /** Share of the second source's national numbers that are missing or mistyped (0.3). */
  readonly badNationalIds?: number;
  /** Share of people in each source (first, second, third). */
  readonly coverage?: readonly number[];
}

interface Person {
  given: string[];
  surname: string;
  y: number; m: number; d: number;
  male: boolean;
  insz: string;
  place: number;
}

export interface BelgianSource {
  readonly name: string;
  readonly header: readonly string[];
  readonly rows: string[][];
  /** Person index per row (ground truth). */
  readonly person: Int32Array;
}

export interface BelgianData {
  readonly sources: BelgianSource[];
  readonly people: number;
}

function surnameVocabulary(rnd: Random): string[] {
  const out = new Set(SURNAMES);
  for (let tries = 0; out.size < 3000 && tries < 100_000; tries++) {
    const p = pick(rnd, PARTICLE);
    const stem = pick(rnd, STEM) + pick(rnd, SUFFIX);
    const word = p.endsWith(' ') || p === '' ? stem[0].toUpperCase() + stem.slice(1) : stem;
    out.add(p + word);
  }
  return [...out];
}

function makeInsz(y: number, m: number, d: number, serial: number): string {
  const body = `${String(y % 100).padStart(2, '0')}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}${String(serial).padStart(3, '0')}`;
  return body + nationalIdCheck(body, y >= 2000);
}

function drawPeople(rnd: Random, n: number): Person[] {
  const surnames = surnameVocabulary(rnd);
  const sz = zipf(rnd, surnames.length, 1.0);
  const mz = zipf(rnd, MALE.length, 0.8);
  const fz = zipf(rnd, FEMALE.length, 0.8);
  const placeZ = zipf(rnd, PLACES.length, 0.6);
  const serials = new Map<string, number>();
  const people: Person[] = [];
  const given = (male: boolean) => {
    const k = rnd() < 0.55 ? 1 : rnd() < 0.75 ? 2 : 3;
    const names: string[] = [];
    while (names.length < k) { const g = male ? MALE[mz()] : FEMALE[fz()]; if (!names.includes(g)) names.push(g); }
    return names;
  };
  const insz = (y: number, m: number, d: number, male: boolean) => {
    const key = `${y}-${m}-${d}`;
    let serial = serials.get(key) ?? int(rnd, 1, 400);
    if ((serial % 2 === 1) !== male) serial++;
    serials.set(key, serial + 1);
    return makeInsz(y, m, d, serial);
  };
  while (people.length < n) {
    const male = rnd() < 0.5;
    const y = int(rnd, 1940, 2006);
    const m = int(rnd, 1, 12);
    const d = int(rnd, 1, m === 2 ? 28 : 30);
    const p: Person = { given: given(male), surname: surnames[sz()], y, m, d, male, insz: insz(y, m, d, male), place: placeZ() };
    people.push(p);
    if (rnd() < 0.015 && people.length < n) { // a twin: same surname, date and address
      const male2 = rnd() < 0.5;
      people.push({ ...p, given: given(male2), male: male2, insz: insz(y, m, d, male2) });
    }
  }
  return people;
}

const STRIP = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').replace(/ı/g, 'i');

/** One source's way of writing a surname. */
function writeSurname(rnd: Random, s: string, style: number): string {
  let out = s;
  if (rnd() < 0.15) {
    const k = rnd();
    if (k < 0.4) out = out.replace(/ /g, ''); // Van den Broeck -> VandenBroeck
    else if (k < 0.7) out = out.replace(/ /g, '').toLowerCase().replace(/^./, (c) => c.toUpperCase()); // Vandenbroeck
    else out = out.replace(/'/g, ''); // D'Hondt -> DHondt
  }
  if (style === 1 || rnd() < 0.1) out = out.toUpperCase();
  if (rnd() < 0.3) out = STRIP(out);
  return out;
}

function writeGiven(rnd: Random, names: string[], style: number): string {
  let list = names;
  if (style === 1 && rnd() < 0.6) list = names.slice(0, 1); // the second source keeps the first name only
  else if (rnd() < 0.2) list = names.slice(0, 1);
  let out = list.join(' ');
  if (rnd() < 0.3) out = out.replace(/-/g, rnd() < 0.5 ? ' ' : '');
  if (style === 1 || rnd() < 0.1) out = out.toUpperCase();
  if (rnd() < 0.3) out = STRIP(out);
  return out;
}

function writeDate(rnd: Random, p: Person, errors: boolean): string {
  let { y, m, d } = p;
  if (errors) {
    const k = rnd();
    if (k < 0.015 && d <= 12 && d !== m) { const t = d; d = m; m = t; } // day/month swapped
    else if (k < 0.03) { // a digit typo in one part, still a valid date
      const part = int(rnd, 0, 2);
      if (part === 0) y += pick(rnd, [-10, -1, 1, 10]);
      else if (part === 1) m = m === 12 ? 11 : m + 1;
      else d = d >= 28 ? d - 1 : d + pick(rnd, [1, 10].filter((x) => d + x <= 28));
    } else if (k < 0.04) return '';
  }
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function writeInsz(rnd: Random, insz: string, style: number, bad: number): string {
  const k = rnd();
  if (k < bad * 0.8) return ''; // missing
  if (k < bad) { // mistyped: one digit changed or two transposed (fails the check digits)
    const i = int(rnd, 0, 9);
    const digits = insz.split('');
    if (rnd() < 0.5) { const t = digits[i]; digits[i] = digits[i + 1]; digits[i + 1] = t; if (digits[i] === digits[i + 1]) digits[i] = String((Number(digits[i]) + 1) % 10); } else digits[i] = String((Number(digits[i]) + int(rnd, 1, 9)) % 10);
    return digits.join('');
  }
  if (style === 1) {
    const f = rnd();
    if (f < 0.4) return `${insz.slice(0, 2)}.${insz.slice(2, 4)}.${insz.slice(4, 6)}-${insz.slice(6, 9)}.${insz.slice(9)}`;
    if (f < 0.6) return String(Number(insz)); // a spreadsheet number: leading zeros lost
  }
  return insz;
}

export function generateBelgian(options: BelgianOptions): BelgianData {
  const rnd = seeded(options.seed);
  const people = drawPeople(rnd, options.people);
  const sourceCount = options.sources ?? 2;
  const coverage = options.coverage ?? [0.8, 0.685, 0.5];
  const bad = options.badNationalIds ?? 0.3;
  const names = ['vdab', 'rsz', 'riziv'];
  const sources: BelgianSource[] = [];
  for (let s = 0; s < sourceCount; s++) {
    const rows: string[][] = [];
    const person: number[] = [];
    const style = s === 0 ? 0 : 1;
    for (let i = 0; i < people.length; i++) {
      if (rnd() >= coverage[s]) continue;
      const p = people[i];
      const errors = s > 0;
      let place = p.place;
      if (errors && rnd() < 0.12) place = int(rnd, 0, PLACES.length - 1); // moved
      let given = writeGiven(rnd, p.given, style);
      let surname = writeSurname(rnd, p.surname, style);
      if (errors && rnd() < 0.04) given = typo(rnd, given);
      if (errors && rnd() < 0.04) surname = typo(rnd, surname);
      if (rnd() < 0.01) given = '';
      const sex = rnd() < 0.01 ? '' : style === 0 ? (p.male ? 'M' : 'V') : (p.male ? '1' : '2');
      rows.push([
        '', writeInsz(rnd, p.insz, style, s === 1 ? bad : 0.01), given, surname, writeDate(rnd, p, errors), sex,
        rnd() < 0.01 ? '' : PLACES[place][0], PLACES[place][1],
      ]);
      person.push(i);
    }
    // Shuffle, then number: record order and ids carry no signal.
    const order = rows.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); const t = order[i]; order[i] = order[j]; order[j] = t; }
    const shuffled = order.map((i) => rows[i]);
    const personOf = Int32Array.from(order, (i) => person[i]);
    shuffled.forEach((r, i) => { r[0] = `${names[s]}-${i + 1}`; });
    sources.push({ name: names[s], header: BELGIAN_COLUMNS, rows: shuffled, person: personOf });
  }
  return { sources, people: people.length };
}

export function belgianCsv(source: BelgianSource): string {
  return toCsv(source.header, source.rows);
}

/** True cross-source pairs as [left source, left id, right source, right id]. */
export function belgianTruth(data: BelgianData): [string, string, string, string][] {
  const out: [string, string, string, string][] = [];
  for (let l = 0; l < data.sources.length; l++) {
    const byPerson = new Map<number, string>();
    data.sources[l].person.forEach((p, i) => byPerson.set(p, data.sources[l].rows[i][0]));
    for (let r = l + 1; r < data.sources.length; r++) {
      data.sources[r].person.forEach((p, i) => {
        const left = byPerson.get(p);
        if (left !== undefined) out.push([data.sources[l].name, left, data.sources[r].name, data.sources[r].rows[i][0]]);
      });
    }
  }
  return out;
}

/** The job file fields of design.md's example. */
export const BELGIAN_JOB_FIELDS = [
  { name: 'insz', type: 'national_id' },
  { name: 'given_name', type: 'given_name' },
  { name: 'surname', type: 'surname' },
  { name: 'date_of_birth', type: 'date', format: 'YYYY-MM-DD' },
  { name: 'sex', type: 'sex' },
  { name: 'postcode', type: 'postcode' },
] as const;
