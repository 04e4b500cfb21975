/**
 * Canonical forms of names and free text, computed in memory just before keyed encoding.
 *
 * Every function here is idempotent (normalising a normalised value changes nothing), so the
 * same person's name gives the same bytes whichever supplier sent it and however it was typed:
 * `Van den Broeck`, `Vandenbroeck` and `VAN DEN BROECK` all become `vandenbroeck` once joined;
 * `Öztürk` becomes `ozturk`. The canonical alphabet is `a-z`, `0-9` and single spaces between
 * words, which also keeps the keyed Bloom filters' q-gram space small and cacheable.
 */

/** Letters that NFKD does not decompose into a base letter plus a mark. */
const FOLDS: Readonly<Record<string, string>> = {
  'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'ł': 'l', 'đ': 'd', 'ð': 'd', 'þ': 'th', 'ı': 'i', 'ħ': 'h', 'ŧ': 't',
};
const FOLD_PATTERN = /[ßæœøłđðþıħŧ]/g;
const MARKS = /\p{M}+/gu;
const NOT_ALNUM = /[^a-z0-9]+/g;

/**
 * NFKD, strip combining marks, case fold, fold special letters, and turn every run of other
 * characters (hyphens, apostrophes, dots, spaces) into one space. Returns '' for blank input.
 */
export function normaliseText(raw: string): string {
  let s = raw.normalize('NFKD').replace(MARKS, '').toLowerCase();
  if (FOLD_PATTERN.test(s)) {
    FOLD_PATTERN.lastIndex = 0;
    s = s.replace(FOLD_PATTERN, (c) => FOLDS[c] ?? c);
  }
  return s.replace(NOT_ALNUM, ' ').trim();
}

/** Words joined without separators: `jean pierre` -> `jeanpierre`, `van den broeck` -> `vandenbroeck`. */
export function joinWords(normalised: string): string {
  return normalised.indexOf(' ') < 0 ? normalised : normalised.replace(/ /g, '');
}

/** The first word: a given name's first given name (`jan pieter` -> `jan`). */
export function firstWord(normalised: string): string {
  const space = normalised.indexOf(' ');
  return space < 0 ? normalised : normalised.slice(0, space);
}

/**
 * Particles that registers write apart, fused, or drop altogether (Dutch, French, Arabic,
 * Italian, Spanish, German). Stripped only from the front, never leaving an empty name.
 */
const PARTICLES = new Set([
  'van', 'von', 'vande', 'vanden', 'vander', 'vd', 'de', 'den', 'der', 'des', 'del', 'della', 'dela', 'di', 'da',
  'do', 'dos', 'du', 'le', 'la', 'les', 'el', 'al', 'ten', 'ter', 'te', 't', 'd', 'l', 'op', 'in', 'het', 'ver',
]);
/** Fused particles stripped from a joined surname (`vandenbroeck` -> `broeck`); longest first. */
const FUSED_PARTICLES = ['vanden', 'vander', 'vande', 'van', 'von'];

/**
 * The surname without its particles, so `Van den Broeck`, `Broeck` and `Vandenbroeck` share it,
 * as do `El Amrani` and `Amrani`, `D'Hondt` and `Hondt`. Used as an alternative agreement level,
 * not as the primary token: `Van Hoof` and `Hoof` may be different families.
 */
export function surnameCore(normalised: string): string {
  const words = normalised.split(' ');
  let start = 0;
  while (start < words.length - 1 && PARTICLES.has(words[start])) start++;
  let core = words.slice(start).join('');
  if (start === 0) {
    for (const p of FUSED_PARTICLES) {
      if (core.length - p.length >= 3 && core.startsWith(p)) { core = core.slice(p.length); break; }
    }
  }
  return core;
}

/**
 * A phonetic key for Dutch, French and English spellings of the same sound (a Soundex-like
 * consonant skeleton with wider equivalence classes): `Janssens`/`Jansens`, `Claes`/`Klaas`,
 * `Pieters`/`Peeters`, `Mohammed`/`Mohamed`, `Smyth`/`Smith`. Input is a joined normalised name.
 */
export function phoneticKey(joined: string): string {
  if (joined.length === 0) return '';
  // Digraph rewrites first: they change what a letter sounds like.
  const s = joined
    .replace(/sch/g, 's').replace(/ph/g, 'f').replace(/th/g, 't').replace(/dt/g, 't')
    .replace(/ck/g, 'k').replace(/qu/g, 'k').replace(/ch/g, 'g').replace(/gh/g, 'g')
    .replace(/ij/g, 'i').replace(/ou/g, 'u').replace(/oe/g, 'u').replace(/ae/g, 'a')
    .replace(/c([eiy])/g, 's$1').replace(/x/g, 'ks');
  let out = '';
  let previous = '';
  for (let i = 0; i < s.length; i++) {
    const code = classOf(s.charCodeAt(i));
    // Vowels are kept only as the first character and separate repeated consonant classes.
    if (code === '') { if (i === 0) out += 'a'; previous = ''; continue; }
    if (code !== previous) out += code;
    previous = code;
    if (out.length >= 8) break;
  }
  return out;
}

function classOf(c: number): string {
  switch (c) {
    case 98: case 112: return 'p'; // b p
    case 102: case 118: case 119: return 'f'; // f v w
    case 99: case 107: case 113: case 103: return 'k'; // c k q g
    case 115: case 122: return 's'; // s z
    case 100: case 116: return 't'; // d t
    case 108: return 'l';
    case 109: case 110: return 'n'; // m n
    case 114: return 'r';
    case 106: return 'j';
    default:
      if (c >= 48 && c <= 57) return String.fromCharCode(c);
      return ''; // vowels, h, y
  }
}
