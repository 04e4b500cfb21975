/**
 * Seeded randomness and the record-corruption moves shared by the synthetic benchmark
 * generators (FEBRL's model: keyboard typos, OCR confusions, phonetic rewrites, split and
 * merged words, missing values). All data is synthetic.
 */

export type Random = () => number;

export { seededRandom as seeded } from '../../src/util/seeded-random.js';

export function pick<T>(rnd: Random, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

export function int(rnd: Random, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/** A Zipf-like sampler over `n` ranks (s ~ 1): a few values are very common, most are rare. */
export function zipf(rnd: Random, n: number, s = 1.0): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) { total += 1 / Math.pow(i + 1, s); cdf[i] = total; }
  return () => {
    const x = rnd() * total;
    let lo = 0; let hi = n - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  };
}

const KEYBOARD: Readonly<Record<string, string>> = {
  a: 'qwsz', b: 'vghn', c: 'xdfv', d: 'serfcx', e: 'wsdr', f: 'drtgvc', g: 'ftyhbv', h: 'gyujnb', i: 'ujko',
  j: 'huikmn', k: 'jiolm', l: 'kop', m: 'njk', n: 'bhjm', o: 'iklp', p: 'ol', q: 'wa', r: 'edft', s: 'awedxz',
  t: 'rfgy', u: 'yhji', v: 'cfgb', w: 'qase', x: 'zsdc', y: 'tghu', z: 'asx',
  '0': '9', '1': '2', '2': '13', '3': '24', '4': '35', '5': '46', '6': '57', '7': '68', '8': '79', '9': '80',
};
const OCR: readonly [string, string][] = [
  ['m', 'rn'], ['l', '1'], ['o', '0'], ['s', '5'], ['b', '6'], ['g', '9'], ['i', 'l'], ['e', 'c'], ['h', 'b'], ['u', 'v'], ['n', 'h'], ['1', '7'], ['3', '8'], ['5', '6'],
];
const PHONETIC: readonly [string, string][] = [
  ['ph', 'f'], ['ck', 'k'], ['c', 'k'], ['ie', 'y'], ['ey', 'y'], ['ou', 'oe'], ['ae', 'a'], ['ee', 'e'], ['ss', 's'], ['ll', 'l'], ['th', 't'], ['dt', 't'], ['ij', 'y'], ['ch', 'g'], ['z', 's'], ['ks', 'x'],
];

function neighbour(rnd: Random, c: string): string {
  const lower = c.toLowerCase();
  const options = KEYBOARD[lower];
  if (options === undefined) return c;
  const n = pick(rnd, options.split(''));
  return c === lower ? n : n.toUpperCase();
}

/** One keyboard typo: substitute a neighbour key, insert, delete, or transpose. */
export function typo(rnd: Random, s: string): string {
  if (s.length === 0) return s;
  const i = Math.floor(rnd() * s.length);
  const kind = rnd();
  if (kind < 0.35) return s.slice(0, i) + neighbour(rnd, s[i]) + s.slice(i + 1);
  if (kind < 0.55) return s.slice(0, i) + neighbour(rnd, s[i]) + s.slice(i);
  if (kind < 0.8 && s.length > 2) return s.slice(0, i) + s.slice(i + 1);
  if (i + 1 < s.length) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  return s.slice(0, i) + s[i] + s[i] + s.slice(i + 1);
}

export function ocr(rnd: Random, s: string): string {
  const options = OCR.filter(([x, y]) => s.includes(x) || s.includes(y));
  if (options.length === 0) return typo(rnd, s);
  const [x, y] = pick(rnd, options);
  return s.includes(x) ? s.replace(x, y) : s.replace(y, x);
}

export function phonetic(rnd: Random, s: string): string {
  const options = PHONETIC.filter(([x, y]) => s.includes(x) || s.includes(y));
  if (options.length === 0) return typo(rnd, s);
  const [x, y] = pick(rnd, options);
  return s.includes(x) ? s.replace(x, y) : s.replace(y, x);
}

/** Inserts a space inside a word, or removes one between words. */
export function spacing(rnd: Random, s: string): string {
  const spaces = [...s].map((c, i) => (c === ' ' ? i : -1)).filter((i) => i >= 0);
  if (spaces.length > 0 && rnd() < 0.5) {
    const i = pick(rnd, spaces);
    return s.slice(0, i) + s.slice(i + 1);
  }
  if (s.length < 3) return s;
  const i = 1 + Math.floor(rnd() * (s.length - 2));
  return `${s.slice(0, i)} ${s.slice(i)}`;
}

/** A random small corruption of a string value (FEBRL's mix). */
export function corrupt(rnd: Random, s: string): string {
  const k = rnd();
  if (k < 0.55) return typo(rnd, s);
  if (k < 0.7) return ocr(rnd, s);
  if (k < 0.85) return phonetic(rnd, s);
  return spacing(rnd, s);
}

/** Writes rows as CSV (quoting fields that need it). */
export function toCsv(header: readonly string[], rows: readonly (readonly string[])[], delimiter = ','): string {
  const quote = (v: string) => (v.includes(delimiter) || v.includes('"') || v.includes('\n') ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [header.map(quote).join(delimiter)];
  for (const r of rows) lines.push(r.map(quote).join(delimiter));
  return `${lines.join('\n')}\n`;
}
