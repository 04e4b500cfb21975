/**
 * The three suppliers' extracts about the synthetic population, each with its own habits:
 * INSZ spellings, name and date variants, and about 2% broken national numbers.
 */
import { faultyInsz, makeKbo, spellInsz, type InszFault, type InszSpelling } from './identifiers.js';
import { PARTICLE_PATTERN } from './names.js';
import { REFERENCE_YEAR, type Person } from './people.js';
import type { Rng } from './prng.js';

export interface Extract {
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const isoDate = (y: number, m: number, d: number): string => `${y}-${pad2(m)}-${pad2(d)}`;

/** About 2% of cells broken: 0.8% missing, 0.5% malformed, 0.7% failing the check digit. */
function inszCell(rng: Rng, p: Person, spellings: readonly InszSpelling[], weights: readonly number[]): string {
  const r = rng.next();
  const bornFrom2000 = p.year >= 2000;
  const fault: InszFault | null = r < 0.008 ? 'missing' : r < 0.013 ? 'malformed' : r < 0.02 ? 'check_digit' : null;
  if (fault !== null) return faultyInsz(rng, p.insz, fault, bornFrom2000);
  let spelling = rng.weighted(spellings, weights);
  // Only 2000-2009 births start with 0; for others a "number" spelling is just the plain one.
  if (spelling === 'number' && !(p.year >= 2000 && p.year <= 2009)) spelling = 'plain';
  return spellInsz(p.insz, spelling);
}

function stripAccents(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/ı/g, 'i');
}

function typo(rng: Rng, s: string): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const i = rng.int(0, s.length - 1);
  if (!/[a-z]/i.test(s[i])) return s;
  return s.slice(0, i) + rng.pick([...letters]) + s.slice(i + 1);
}

/** How a second supplier writes the same name: capitals, no accents, joined particles, typos. */
function variantName(rng: Rng, name: string, isSurname: boolean): string {
  let s = name;
  if (isSurname && PARTICLE_PATTERN.test(s) && rng.chance(0.3)) {
    const joined = s.replace(/[\s']/g, '').toLowerCase();
    s = joined[0].toUpperCase() + joined.slice(1);
  }
  if (rng.chance(0.5)) s = stripAccents(s);
  if (rng.chance(0.02)) s = typo(rng, s);
  if (rng.chance(0.1)) s = s.toUpperCase();
  return s;
}

/** A date of birth as another register holds it: rarely day and month swapped, or a digit off. */
function variantBirthDate(rng: Rng, p: Person): string {
  if (p.day <= 12 && p.day !== p.month && rng.chance(0.01)) return isoDate(p.year, p.day, p.month);
  if (rng.chance(0.005)) return isoDate(p.year + rng.pick([-10, -1, 1, 10]), p.month, p.day);
  return isoDate(p.year, p.month, p.day);
}

function monthsBetween(y1: number, m1: number, y2: number, m2: number): number {
  return (y2 - y1) * 12 + (m2 - m1);
}

export function vdabJobseekers(rng: Rng, people: readonly Person[]): Extract {
  const header = ['insz', 'voornaam', 'familienaam', 'geboortedatum', 'geslacht', 'postcode', 'nis_code',
    'opleidingsniveau', 'inschrijvingsdatum', 'werkloosheidsduur_maanden'];
  const rows = people.map((p) => {
    // Registered between 2016 (or their 18th year) and the end of 2024Q1.
    const fromYear = Math.max(2016, p.year + 18);
    const year = rng.int(fromYear, REFERENCE_YEAR);
    const month = year === REFERENCE_YEAR ? rng.int(1, 3) : rng.int(1, 12);
    const day = rng.int(1, 28);
    const surname = rng.chance(0.03) ? typo(rng, p.surname) : p.surname;
    return [
      inszCell(rng, p, ['plain', 'dotted', 'dashed', 'spaced', 'number'], [50, 35, 5, 5, 5]),
      p.givenName, surname, isoDate(p.year, p.month, p.day), p.male ? 'M' : 'V',
      p.municipality.postcode, p.municipality.nis, p.education,
      isoDate(year, month, day), monthsBetween(year, month, REFERENCE_YEAR, 3),
    ];
  });
  return { header, rows };
}

interface Employer { readonly kbo: string; readonly pc: string; readonly monthlyEur: number }

/** Joint committees (paritair comité) with a typical gross monthly wage in EUR. */
const JOINT_COMMITTEES: readonly (readonly [string, number, number])[] = [
  // [committee, typical monthly gross EUR, share of employers]
  ['200', 3600, 30], ['124', 3300, 8], ['302', 2500, 10], ['330', 3400, 12], ['111', 3700, 6],
  ['140', 3200, 6], ['322', 2600, 12], ['118', 3100, 5], ['311', 2800, 5], ['319', 3000, 4], ['226', 3900, 2],
];

function makeEmployers(rng: Rng, count: number): Employer[] {
  const used = new Set<string>();
  const employers: Employer[] = [];
  while (employers.length < count) {
    const kbo = makeKbo(rng);
    if (used.has(kbo)) continue;
    used.add(kbo);
    const [pc, monthlyEur] = rng.weighted(JOINT_COMMITTEES, JOINT_COMMITTEES.map((c) => c[2]));
    employers.push({ kbo, pc, monthlyEur });
  }
  return employers;
}

export function rszEmployment(rng: Rng, people: readonly Person[]): Extract {
  const header = ['insz', 'kwartaal', 'werkgever_kbo', 'paritair_comite', 'voltijds_equivalent', 'loon_cent'];
  const employers = makeEmployers(rng, 120);
  // A few large employers take most jobs: weight 1/rank (Zipf-like).
  const employerWeights = employers.map((_, i) => 1 / (i + 1));
  const rows: (string | number)[][] = [];
  for (const p of people) {
    // RSZ systems write the INSZ one way per person (its own number format), rarely dotted.
    const cell = inszCell(rng, p, ['plain', 'dotted'], [95, 5]);
    const jobs = rng.chance(0.12) ? 2 : 1;
    for (let j = 0; j < jobs; j++) {
      const employer = rng.weighted(employers, employerWeights);
      const first = rng.chance(0.7) ? 1 : rng.int(2, 4);
      const last = rng.chance(0.8) ? 4 : rng.int(first, 4);
      const fte = j > 0 ? 0.5 : rng.weighted([1, 0.8, 0.5], [55, 20, 25]);
      const level = employer.monthlyEur * (p.education === 'hoog' ? 1.3 : p.education === 'laag' ? 0.85 : 1)
        * (0.8 + 0.4 * rng.next()) * Math.min(1.3, 0.8 + (REFERENCE_YEAR - p.year) / 100);
      for (let q = first; q <= last; q++) {
        // The first quarter of a job is usually partial.
        const worked = q === first && first > 1 ? 0.3 + 0.7 * rng.next() : 1;
        const wageCent = Math.round(level * 3 * fte * worked * (0.97 + 0.06 * rng.next()) * 100);
        rows.push([cell, `${REFERENCE_YEAR}Q${q}`, employer.kbo, employer.pc, fte.toFixed(2), wageCent]);
      }
    }
  }
  return { header, rows };
}

const SECONDARY_FIELDS = ['algemeen', 'handel', 'techniek', 'zorg', 'bouw', 'ict', 'kunst', 'horeca'];
const HIGHER_FIELDS = ['handelswetenschappen', 'industriele_wetenschappen', 'gezondheidszorg', 'onderwijs',
  'taal_letterkunde', 'wetenschappen', 'sociaal_agogisch', 'ict', 'rechten'];

/** [diploma level, age at graduation, fields] per education level. */
const DIPLOMAS: Record<Person['education'], readonly (readonly [string, number, readonly string[]])[]> = {
  laag: [['lager_onderwijs', 12, ['algemeen']], ['secundair_2e_graad', 16, SECONDARY_FIELDS]],
  middel: [['secundair', 18, SECONDARY_FIELDS], ['hbo5', 21, SECONDARY_FIELDS]],
  hoog: [['bachelor', 21, HIGHER_FIELDS], ['master', 23, HIGHER_FIELDS], ['doctor', 28, HIGHER_FIELDS]],
};
export const DIPLOMA_LEVELS = ['lager_onderwijs', 'secundair_2e_graad', 'secundair', 'hbo5', 'bachelor', 'master', 'doctor'];
export const STUDY_FIELDS = [...new Set([...SECONDARY_FIELDS, ...HIGHER_FIELDS])];

export function agodiDiplomas(rng: Rng, people: readonly Person[]): Extract {
  const header = ['insz', 'voornaam', 'familienaam', 'geboortedatum', 'diploma_niveau', 'studiegebied', 'behaald_jaar'];
  const rows = people.map((p) => {
    // The highest diploma obtained by 2024; the young may not have reached their level yet.
    const options = DIPLOMAS[p.education].filter(([, age]) => p.year + age <= REFERENCE_YEAR);
    const [level, age, fields] = options.length > 0
      ? rng.weighted(options, options.map((_, i) => (i === 0 ? 3 : 1)))
      : (['secundair', 18, SECONDARY_FIELDS] as const);
    const year = Math.min(REFERENCE_YEAR, p.year + age + rng.int(0, 2));
    return [
      // Spreadsheet exports: the number form loses the leading zero of 2000-2009 births.
      inszCell(rng, p, ['plain', 'dotted', 'number'], [40, 30, 30]),
      variantName(rng, p.givenName, false), variantName(rng, p.surname, true), variantBirthDate(rng, p),
      level, rng.pick(fields), year,
    ];
  });
  return { header, rows };
}

/** The supplier's own record number, first column: what `koppel link` output refers to. */
export interface RecordIdColumn {
  readonly name: string;
  readonly prefix: string;
}

/** RFC 4180 CSV with LF line ends; quotes only the fields that need it. */
export function toCsv(extract: Extract, recordId?: RecordIdColumn): string {
  const cell = (v: string | number): string => {
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const id = (i: number) => (recordId === undefined ? '' : `${recordId.prefix}${String(i + 1).padStart(6, '0')},`);
  const header = recordId === undefined ? extract.header : [recordId.name, ...extract.header];
  const lines = [header.join(','), ...extract.rows.map((r, i) => id(i) + r.map(cell).join(','))];
  return `${lines.join('\n')}\n`;
}
