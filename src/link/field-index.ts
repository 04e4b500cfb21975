/**
 * Dense integer ids for every token slot of every field, shared across sources, plus the term
 * frequencies of each field's whole-value token. Everything downstream (blocking, exact and
 * phonetic agreement, term-frequency adjustment) compares these Int32Arrays.
 *
 * The `cross` slots of given names and surnames share one id space: they are keyed under the
 * same purpose so a given name can be matched against a surname (swapped fields). A date's `ydm`
 * slot shares the `ymd` slot's id space, so a swapped day and month is an id equality.
 *
 * A national_id field's ids come from its full 32-byte pseudonyms (`groupPseudonyms`, cache-
 * partitioned) rather than from the 8-byte token: the same ids in the same order as the token
 * table gives, but two numbers whose pseudonyms share a prefix stay apart, and 4M records take
 * a third of the time.
 */
import type { FieldType } from '../model.js';
import { TOKEN_SLOTS, type EncodedSource } from '../pseudonymise/encoded-source.js';
import { groupPseudonyms } from './pseudonym-groups.js';
import { TokenTable } from './token-table.js';

export interface FieldIndex {
  readonly field: number;
  readonly name: string;
  readonly type: FieldType;
  /** ids[slot][source][record]: dense token id, -1 when absent. */
  readonly ids: Int32Array[][];
  /** Occurrences of each whole-value id over all sources (term frequencies). */
  readonly wholeCounts: Int32Array;
  /** Records with a value, over all sources. */
  readonly present: number;
  /**
   * Slot 0's ids over all sources in global record numbering (source 0's records, then source
   * 1's, ...); `ids[0][s]` are views into it. Set for national_id fields, null otherwise.
   */
  readonly globalIds: Int32Array | null;
}

export function indexFields(sources: readonly EncodedSource[]): FieldIndex[] {
  if (sources.length === 0) return [];
  const fieldCount = sources[0].fields.length;
  const total = sources.reduce((s, x) => s + x.size, 0);
  const crossTable = new TokenTable(Math.min(total, 1 << 20));
  const out: FieldIndex[] = [];
  for (let f = 0; f < fieldCount; f++) {
    const { type, name } = sources[0].fields[f];
    if (type === 'national_id' && sources.every((src) => src.pseudonyms !== null)) {
      out.push(indexNationalId(sources, f, name));
      continue;
    }
    const slotNames = TOKEN_SLOTS[type];
    const ids: Int32Array[][] = [];
    let wholeCounts = new Int32Array(0);
    let present = 0;
    let wholeTable: TokenTable | null = null;
    for (let s = 0; s < slotNames.length; s++) {
      // A date's day/month-swapped form is hashed like its plain form: same id space.
      const table: TokenTable = slotNames[s] === 'cross' ? crossTable
        : slotNames[s] === 'ydm' && wholeTable !== null ? wholeTable
          : new TokenTable(Math.min(total, 1 << 20));
      if (s === 0) wholeTable = table;
      const perSource: Int32Array[] = [];
      for (const src of sources) {
        const field = src.fields[f];
        const n = src.size;
        const slots = field.slots;
        const tokens = field.tokens;
        const present8 = field.present;
        const column = new Int32Array(n);
        for (let r = 0; r < n; r++) {
          const at = (r * slots + s) * 2;
          const lo = tokens[at];
          const hi = tokens[at + 1];
          // (0, 0) marks an empty slot (e.g. no day/month swap for a day above 12).
          column[r] = present8[r] === 0 || (lo === 0 && hi === 0) ? -1 : table.add(lo, hi);
          if (s === 0 && present8[r] !== 0) present++;
        }
        perSource.push(column);
      }
      ids.push(perSource);
    }
    // Term frequencies count whole values only (not the swapped or cross forms sharing a table).
    wholeCounts = new Int32Array(wholeTable!.size);
    for (const column of ids[0]) for (let r = 0; r < column.length; r++) if (column[r] >= 0) wholeCounts[column[r]]++;
    out.push({ field: f, name, type, ids, wholeCounts, present, globalIds: null });
  }
  return out;
}

/** Ids of equal pseudonyms (all 32 bytes), in order of first record over the sources in order. */
function indexNationalId(sources: readonly EncodedSource[], f: number, name: string): FieldIndex {
  const groups = groupPseudonyms(sources.map((src) => ({ pseudonyms: src.pseudonyms!, present: src.fields[f].present })));
  const perSource: Int32Array[] = [];
  let at = 0;
  for (const src of sources) {
    perSource.push(groups.ids.subarray(at, at + src.size));
    at += src.size;
  }
  let present = 0;
  for (let k = 0; k < groups.count; k++) present += groups.sizes[k];
  return { field: f, name, type: 'national_id', ids: [perSource], wholeCounts: groups.sizes, present, globalIds: groups.ids };
}

const NO_TOKENS = new Uint32Array(0);

/**
 * Drops what `indexFields` has turned into ids: every field's tokens and the pseudonyms (the ids,
 * `globalIds` included, are what the deterministic pass and every later stage read). Presence,
 * Bloom filters and quality counts stay.
 */
export function releaseIndexedEncodings(sources: readonly EncodedSource[]): void {
  for (const src of sources) {
    for (const field of src.fields) field.tokens = NO_TOKENS;
    src.pseudonyms = null;
  }
}
