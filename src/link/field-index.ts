/**
 * Dense integer ids for every token slot of every field, shared across sources, plus the term
 * frequencies of each field's whole-value token. Everything downstream (blocking, exact and
 * phonetic agreement, term-frequency adjustment) compares these Int32Arrays.
 *
 * The `cross` slots of given names and surnames share one id space: they are keyed under the
 * same purpose so a given name can be matched against a surname (swapped fields). A date's `ydm`
 * slot shares the `ymd` slot's id space, so a swapped day and month is an id equality.
 */
import type { FieldType } from '../model.js';
import { TOKEN_SLOTS, type EncodedSource } from './encoded-source.js';
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
}

export function indexFields(sources: readonly EncodedSource[]): FieldIndex[] {
  if (sources.length === 0) return [];
  const fieldCount = sources[0].fields.length;
  const total = sources.reduce((s, x) => s + x.size, 0);
  const crossTable = new TokenTable(Math.min(total, 1 << 20));
  const out: FieldIndex[] = [];
  for (let f = 0; f < fieldCount; f++) {
    const { type, name } = sources[0].fields[f];
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
    out.push({ field: f, name, type, ids, wholeCounts, present });
  }
  return out;
}
