/**
 * A synthetic population for the anonymise benchmark (all data synthetic, seeded): per person
 * a birth year, a sex, a Belgian NIS municipality code and a nationality group.
 *
 * Shape: 43 arrondissements (NIS code = 2-digit arrondissement + 3-digit serial, as real
 * codes are), each with roughly its real population (thousands) and number of municipalities,
 * municipalities within one Zipf-sized (the central town largest); ages 18-85 in 2024, fewer
 * at the oldest ages; Brussels with more foreign nationals than elsewhere.
 */
import { seeded, type Random } from './corruption.js';

/** [arrondissement, population in thousands, municipalities]. */
const ARRONDISSEMENTS: readonly (readonly [number, number, number])[] = [
  [11, 1100, 13], [12, 350, 11], [13, 470, 28], [21, 1220, 19], [23, 650, 35], [24, 520, 30], [25, 410, 27],
  [31, 280, 10], [32, 52, 5], [33, 108, 8], [34, 300, 12], [35, 155, 7], [36, 150, 8], [37, 92, 9], [38, 62, 5],
  [41, 290, 10], [42, 200, 10], [43, 84, 7], [44, 560, 17], [45, 125, 10], [46, 250, 7],
  [51, 87, 8], [52, 430, 14], [53, 255, 13], [55, 190, 9], [56, 155, 14], [57, 230, 12],
  [61, 115, 17], [62, 630, 24], [63, 290, 29], [64, 80, 14],
  [71, 430, 17], [72, 245, 12], [73, 205, 13],
  [81, 62, 5], [82, 48, 8], [83, 57, 9], [84, 63, 12], [85, 54, 10],
  [91, 110, 15], [92, 320, 16], [93, 67, 7],
];

export const NATIONALITY_GROUPS = ['BE', 'EU14', 'EU13', 'MAGHREB', 'TURKEY', 'AFRICA', 'ASIA', 'OTHER'] as const;
const NATIONALITY_SHARE = [0.87, 0.045, 0.03, 0.02, 0.01, 0.01, 0.008, 0.007];
const NATIONALITY_SHARE_BRUSSELS = [0.65, 0.12, 0.07, 0.07, 0.02, 0.035, 0.02, 0.015];

export interface Population {
  readonly birthYear: Int32Array;
  /** "M" / "F". */
  readonly sex: string[];
  readonly nisCode: string[];
  readonly nationality: string[];
}

function cumulative(weights: readonly number[]): Float64Array {
  const cdf = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => { total += w; cdf[i] = total; });
  for (let i = 0; i < cdf.length; i++) cdf[i] /= total;
  return cdf;
}

function draw(rnd: Random, cdf: Float64Array): number {
  const x = rnd();
  let i = 0;
  while (i < cdf.length - 1 && cdf[i] < x) i++;
  return i;
}

/** Municipality codes with their population weights (Zipf within each arrondissement). */
function municipalities(): { codes: string[]; cdf: Float64Array } {
  const codes: string[] = [];
  const weights: number[] = [];
  for (const [arr, people, count] of ARRONDISSEMENTS) {
    let norm = 0;
    for (let i = 0; i < count; i++) norm += 1 / (i + 1);
    for (let i = 0; i < count; i++) {
      codes.push(`${arr}${String(i + 1).padStart(3, '0')}`);
      weights.push((people / norm) / (i + 1));
    }
  }
  return { codes, cdf: cumulative(weights) };
}

export function anonymisePopulation(n: number, seed = 20240101): Population {
  const rnd = seeded(seed);
  const places = municipalities();
  const ages = Array.from({ length: 68 }, (_, i) => (i + 18 <= 60 ? 1 : 1 - 0.8 * (i + 18 - 60) / 25));
  const ageCdf = cumulative(ages);
  const nat = cumulative(NATIONALITY_SHARE);
  const natBrussels = cumulative(NATIONALITY_SHARE_BRUSSELS);
  const birthYear = new Int32Array(n);
  const sex: string[] = [];
  const nisCode: string[] = [];
  const nationality: string[] = [];
  for (let i = 0; i < n; i++) {
    birthYear[i] = 2024 - 18 - draw(rnd, ageCdf);
    sex.push(rnd() < 0.49 ? 'M' : 'F');
    const place = places.codes[draw(rnd, places.cdf)];
    nisCode.push(place);
    nationality.push(NATIONALITY_GROUPS[draw(rnd, place.startsWith('21') ? natBrussels : nat)]);
  }
  return { birthYear, sex, nisCode, nationality };
}
