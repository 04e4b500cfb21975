/**
 * The synthetic population: one record per person with the facts every supplier derives
 * its rows from. Suppliers then each see a subset, spelled and garbled their own way.
 */
import { MUNICIPALITIES, MUNICIPALITY_WEIGHTS, type Municipality } from './municipalities.js';
import { GIVEN_NAMES_FEMALE, GIVEN_NAMES_MALE, SURNAMES } from './names.js';
import { makeInsz } from './identifiers.js';
import type { Rng } from './prng.js';

export type EducationLevel = 'laag' | 'middel' | 'hoog';

export interface Person {
  readonly index: number;
  readonly insz: string;
  readonly bis: boolean;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly male: boolean;
  readonly givenName: string;
  readonly surname: string;
  readonly municipality: Municipality;
  readonly education: EducationLevel;
}

export const REFERENCE_YEAR = 2024;

/** Age groups of a job-seeker-like population (18..64 in 2024), weighted towards the young. */
const AGE_BANDS: readonly (readonly [number, number, number])[] = [
  [18, 24, 5], [25, 29, 5], [30, 34, 3.5], [35, 44, 1.5], [45, 54, 0.7], [55, 64, 0.4],
];
const AGES: number[] = [];
const AGE_WEIGHTS: number[] = [];
for (const [lo, hi, w] of AGE_BANDS) {
  for (let age = lo; age <= hi; age++) { AGES.push(age); AGE_WEIGHTS.push(w); }
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

export function makePeople(rng: Rng, count: number): Person[] {
  const people: Person[] = [];
  const used = new Set<string>();
  while (people.length < count) {
    const year = REFERENCE_YEAR - rng.weighted(AGES, AGE_WEIGHTS);
    const month = rng.int(1, 12);
    const day = rng.int(1, daysInMonth(year, month));
    const male = rng.chance(0.5);
    const bis = rng.chance(0.01);
    const insz = makeInsz(year, month, day, male, rng.int(0, 498), bis);
    if (used.has(insz)) continue;
    used.add(insz);
    const age = REFERENCE_YEAR - year;
    const education = rng.weighted<EducationLevel>(['laag', 'middel', 'hoog'], age < 22 ? [4, 5, 1] : [3, 4, 3]);
    people.push({
      index: people.length, insz, bis, year, month, day, male,
      givenName: rng.pick(male ? GIVEN_NAMES_MALE : GIVEN_NAMES_FEMALE),
      surname: rng.pick(SURNAMES),
      municipality: rng.weighted(MUNICIPALITIES, MUNICIPALITY_WEIGHTS),
      education,
    });
  }
  return people;
}
