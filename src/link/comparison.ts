/**
 * Comparison levels per field type, one Uint8Array per field over a list of candidate pairs.
 *
 * Level 0 is always "null" (either side absent: no evidence either way); the other levels go
 * from the most to the least similar, and a pair takes the first level it satisfies. Exact and
 * phonetic agreement compare dense token ids; approximate agreement is the Dice coefficient of
 * keyed Bloom filters, `2 |A & B| / (|A| + |B|)`, from 32-bit popcounts.
 */
import type { FieldType } from '../model.js';
import { popcount32 } from '../pseudonymise/encode-keyed.js';
import type { PairList } from './blocking.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import type { FieldIndex } from './field-index.js';

export interface ComparisonSpec {
  readonly field: number;
  readonly name: string;
  readonly type: FieldType;
  /** Level labels, index = level; 0 is `null`. */
  readonly levels: readonly string[];
  /** Levels whose agreement is on the whole value (term-frequency adjusted). */
  readonly exactLevel: number;
  /** For given_name/surname: the other name field, compared for swapped names; else -1. */
  readonly partner: number;
}

const LEVELS: Readonly<Record<FieldType, readonly string[]>> = {
  given_name: ['null', 'exact', 'same first given name', 'phonetic or letters transposed', 'dice >= 0.85', 'dice >= 0.7', 'swapped with surname', 'dice >= 0.55', 'different'],
  surname: ['null', 'exact', 'same without particles', 'phonetic or letters transposed', 'dice >= 0.85', 'dice >= 0.7', 'swapped with given name', 'dice >= 0.55', 'different'],
  name: ['null', 'exact', 'same words reordered', 'phonetic or letters transposed', 'dice >= 0.85', 'dice >= 0.7', 'swapped (unused)', 'dice >= 0.55', 'different'],
  text: ['null', 'exact', 'dice >= 0.85', 'dice >= 0.7', 'dice >= 0.5', 'different'],
  code: ['null', 'exact', 'dice >= 0.6', 'different'],
  date: ['null', 'exact', 'day and month swapped', 'one part differs', 'different'],
  postcode: ['null', 'exact', 'prefix', 'different'],
  municipality: ['null', 'exact', 'prefix', 'different'],
  sex: ['null', 'exact', 'different'],
  number: ['null', 'exact', 'different'],
  national_id: ['null', 'exact', 'different'],
};

/** The comparison stage's result: levels[list][field][pair] of the pairs of each list. */
export interface Compared {
  /** The candidate pairs of blocking. */
  readonly candidates: Uint8Array[][];
  /** The deterministic links (known matches: m is measured on them). */
  readonly deterministic: Uint8Array[][];
}

/**
 * The comparison stage of a run: every field's level for the candidate pairs and for the
 * deterministic links. An incremental run (`newSources`) compares only the deterministic links
 * with a new record (two spine records' ids are not comparable there: field-index.ts): the others
 * get level 0 (null, no evidence) in every field, which m, the report's disagreement counts and
 * the national-id estimate all pass over.
 */
export function comparePairs(
  candidates: readonly PairList[], deterministic: readonly PairList[],
  specs: readonly ComparisonSpec[], index: readonly FieldIndex[], sources: readonly EncodedSource[],
  newSources: readonly boolean[] | null = null,
): Compared {
  const levelsOf = (list: PairList) => specs.map((spec) => {
    const out = new Uint8Array(list.length);
    compareField(spec, index, sources, list, out);
    return out;
  });
  const detLevelsOf = (list: PairList) => {
    if (newSources === null || newSources[list.left] || newSources[list.right]) return levelsOf(list);
    const none = new Uint8Array(list.length);
    return specs.map(() => none);
  };
  return { candidates: candidates.map(levelsOf), deterministic: deterministic.map(detLevelsOf) };
}

/**
 * Links whose names all clearly disagree, whose birth dates (any date field) clearly disagree,
 * and either: among deterministic links, a data-quality signal.
 */
export function disagreeingLinks(
  specs: readonly ComparisonSpec[], lists: readonly PairList[], levels: readonly Uint8Array[][],
): { names: number; dates: number; either: number } {
  let names = 0; let dates = 0; let either = 0;
  const nameFields = specs.filter((s) => s.type === 'given_name' || s.type === 'surname' || s.type === 'name').map((s) => s.field);
  const dateFields = specs.filter((s) => s.type === 'date').map((s) => s.field);
  // Only a name or date field can disagree: without one the loop has nothing to count.
  if (nameFields.length + dateFields.length === 0) return { names, dates, either };
  lists.forEach((list, i) => {
    const lv = levels[i];
    for (let p = 0; p < list.length; p++) {
      const name = nameFields.length > 0 && nameFields.every((f) => lv[f][p] === specs[f].levels.length - 1);
      const date = dateFields.some((f) => lv[f][p] === specs[f].levels.length - 1);
      if (name) names++;
      if (date) dates++;
      if (name || date) either++;
    }
  });
  return { names, dates, either };
}

export function comparisonSpecs(index: readonly FieldIndex[]): ComparisonSpec[] {
  return index.map((fi) => {
    let partner = -1;
    if (fi.type === 'given_name' || fi.type === 'surname') {
      const want = fi.type === 'given_name' ? 'surname' : 'given_name';
      partner = index.findIndex((o) => o.type === want);
    }
    const levels = partner < 0 && (fi.type === 'given_name' || fi.type === 'surname')
      ? LEVELS[fi.type].map((l) => (l.startsWith('swapped') ? `${l} (unused)` : l))
      : LEVELS[fi.type];
    return { field: fi.field, name: fi.name, type: fi.type, levels, exactLevel: 1, partner };
  });
}

/** Dice >= t, decided in integers: 2 * inter >= t * (popA + popB). */
function diceAtLeast(inter2: number, pops: number, t: number): boolean {
  return inter2 >= t * pops;
}

/** Fills `out[0..list.length)` with the levels of `spec`'s field for the pairs of `list`. */
export function compareField(
  spec: ComparisonSpec,
  index: readonly FieldIndex[],
  sources: readonly EncodedSource[],
  list: PairList,
  out: Uint8Array,
): void {
  const fi = index[spec.field];
  const { a, b, length } = list;
  const L = list.left;
  const R = list.right;
  const whole = fi.ids[0];
  const wl = whole[L];
  const wr = whole[R];
  const presentL = sources[L].fields[spec.field].present;
  const presentR = sources[R].fields[spec.field].present;

  switch (spec.type) {
    case 'sex': case 'number': case 'national_id': {
      for (let p = 0; p < length; p++) {
        const x = a[p]; const y = b[p];
        out[p] = presentL[x] === 0 || presentR[y] === 0 ? 0 : wl[x] === wr[y] ? 1 : 2;
      }
      return;
    }
    case 'postcode': case 'municipality': {
      const pl = fi.ids[1][L]; const pr = fi.ids[1][R];
      for (let p = 0; p < length; p++) {
        const x = a[p]; const y = b[p];
        out[p] = presentL[x] === 0 || presentR[y] === 0 ? 0 : wl[x] === wr[y] ? 1 : pl[x] === pr[y] ? 2 : 3;
      }
      return;
    }
    case 'date': {
      const swl = fi.ids[1][L]; const swr = fi.ids[1][R];
      const yml = fi.ids[2][L]; const ymr = fi.ids[2][R];
      const mdl = fi.ids[3][L]; const mdr = fi.ids[3][R];
      const ydl = fi.ids[4][L]; const ydr = fi.ids[4][R];
      for (let p = 0; p < length; p++) {
        const x = a[p]; const y = b[p];
        if (presentL[x] === 0 || presentR[y] === 0) { out[p] = 0; continue; }
        if (wl[x] === wr[y]) { out[p] = 1; continue; }
        // ydm is hashed like ymd: the swapped form of one equals the plain form of the other.
        if ((swl[x] >= 0 && swl[x] === wr[y]) || (swr[y] >= 0 && swr[y] === wl[x])) { out[p] = 2; continue; }
        out[p] = yml[x] === ymr[y] || mdl[x] === mdr[y] || ydl[x] === ydr[y] ? 3 : 4;
      }
      return;
    }
    default:
      compareBloomField(spec, index, sources, list, out);
  }
}

function compareBloomField(
  spec: ComparisonSpec,
  index: readonly FieldIndex[],
  sources: readonly EncodedSource[],
  list: PairList,
  out: Uint8Array,
): void {
  const fi = index[spec.field];
  const { a, b, length } = list;
  const L = list.left;
  const R = list.right;
  const fl = sources[L].fields[spec.field];
  const fr = sources[R].fields[spec.field];
  const presentL = fl.present; const presentR = fr.present;
  const bl = fl.bloom!; const br = fr.bloom!;
  const popL = fl.bloomPop!; const popR = fr.bloomPop!;
  const W = fl.bloomWords;
  const wl = fi.ids[0][L]; const wr = fi.ids[0][R];
  const isName = spec.type === 'given_name' || spec.type === 'surname' || spec.type === 'name';
  const phl = isName ? fi.ids[1][L] : wl; const phr = isName ? fi.ids[1][R] : wr;
  const altl = isName ? fi.ids[2][L] : wl; const altr = isName ? fi.ids[2][R] : wr;
  const anl = isName ? fi.ids[4][L] : wl; const anr = isName ? fi.ids[4][R] : wr;
  // Swapped names: this field's cross token against the partner's, both ways.
  const partner = spec.partner >= 0 ? index[spec.partner] : null;
  const crossSlot = 3;
  const cl = partner !== null ? fi.ids[crossSlot][L] : wl; const cr = partner !== null ? fi.ids[crossSlot][R] : wr;
  const pcl = partner !== null ? partner.ids[crossSlot][L] : wl; const pcr = partner !== null ? partner.ids[crossSlot][R] : wr;

  for (let p = 0; p < length; p++) {
    const x = a[p]; const y = b[p];
    if (presentL[x] === 0 || presentR[y] === 0) { out[p] = 0; continue; }
    if (wl[x] === wr[y]) { out[p] = 1; continue; }
    if (isName) {
      // Tokens first (they need no popcount), then the Dice bands.
      if (altl[x] === altr[y]) { out[p] = 2; continue; }
      if (phl[x] === phr[y] || anl[x] === anr[y]) { out[p] = 3; continue; }
    }
    let inter = 0;
    const ox = x * W; const oy = y * W;
    for (let w = 0; w < W; w++) inter += popcount32(bl[ox + w] & br[oy + w]);
    const inter2 = 2 * inter;
    const pops = popL[x] + popR[y];
    switch (spec.type) {
      case 'given_name': case 'surname': case 'name':
        if (diceAtLeast(inter2, pops, 0.85)) out[p] = 4;
        else if (diceAtLeast(inter2, pops, 0.7)) out[p] = 5;
        else if (partner !== null && ((pcr[y] >= 0 && cl[x] === pcr[y]) || (pcl[x] >= 0 && cr[y] === pcl[x]))) out[p] = 6;
        else out[p] = diceAtLeast(inter2, pops, 0.55) ? 7 : 8;
        break;
      case 'text':
        out[p] = diceAtLeast(inter2, pops, 0.85) ? 2 : diceAtLeast(inter2, pops, 0.7) ? 3 : diceAtLeast(inter2, pops, 0.5) ? 4 : 5;
        break;
      default: // code
        out[p] = diceAtLeast(inter2, pops, 0.6) ? 2 : 3;
    }
  }
}

/** Dice coefficient of two Bloom filters (tests and reports; the kernel above inlines it). */
export function bloomDice(x: Uint32Array, xAt: number, y: Uint32Array, yAt: number, words: number): number {
  let inter = 0; let px = 0; let py = 0;
  for (let w = 0; w < words; w++) {
    inter += popcount32(x[xAt + w] & y[yAt + w]);
    px += popcount32(x[xAt + w]);
    py += popcount32(y[yAt + w]);
  }
  return px + py === 0 ? 1 : (2 * inter) / (px + py);
}
