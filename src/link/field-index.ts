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

/**
 * Ids for a spine record that holds a value no new record holds, in an incremental run: unequal
 * to every id and to -1 (absent), so no comparison with a new record agrees on it and no
 * blocking key forms from it.
 */
export const UNKNOWN_TO_NEW = -2;

/** Values a token table is sized for at first (it grows by doubling). */
const INITIAL_TABLE = 1 << 12;

/**
 * The index of a run. With `newSources` (an incremental run, issue 13), work follows the new
 * records, not the spine: the token tables are filled from the new sources' records only, and
 * each spine record's tokens are looked up in them (tables of the new records' values, small and
 * in cache) instead of inserted: a value no new record holds gets `UNKNOWN_TO_NEW`. Every pair
 * with a new record then compares and blocks as on the full index, the term frequencies of the
 * values new records hold count the spine's records too, and pairs of two spine records must not
 * be compared (the run compares none: spine-links.ts).
 */
export function indexFields(sources: readonly EncodedSource[], newSources: readonly boolean[] | null = null): FieldIndex[] {
  if (sources.length === 0) return [];
  const fieldCount = sources[0].fields.length;
  const inserted = (s: number) => newSources === null || newSources[s];
  const total = sources.reduce((sum, x, s) => sum + (inserted(s) ? x.size : 0), 0);
  // Tables start small and double as values arrive: sized for every record, a table of a field
  // with a few hundred values (given names, sex) would scatter them over megabytes, and every
  // probe would miss cache.
  const crossTable = new TokenTable(Math.min(total, INITIAL_TABLE));
  const out: FieldIndex[] = [];
  // Fields whose spine records are looked up once every table holds every inserted value (the
  // cross table is shared by two fields).
  const pending: { at: number; lookUp: (s: number) => boolean; slots: { table: TokenTable; ids: Int32Array[] }[] }[] = [];
  for (let f = 0; f < fieldCount; f++) {
    const { type, name } = sources[0].fields[f];
    if (type === 'national_id' && sources.every((src) => src.pseudonyms !== null)) {
      out.push(indexNationalId(sources, f, name));
      continue;
    }
    // A national id without pseudonyms is indexed whole: the deterministic pass reads every record.
    const lookUp = type === 'national_id' ? () => false : (s: number) => !inserted(s);
    const slotNames = TOKEN_SLOTS[type];
    const slots: { table: TokenTable; ids: Int32Array[] }[] = [];
    for (let s = 0; s < slotNames.length; s++) {
      // A date's day/month-swapped form is hashed like its plain form: same id space.
      const table: TokenTable = slotNames[s] === 'cross' ? crossTable
        : slotNames[s] === 'ydm' && s > 0 ? slots[0].table
          : new TokenTable(Math.min(total, INITIAL_TABLE));
      const ids = sources.map((src) => new Int32Array(src.size));
      sources.forEach((src, at) => { if (!lookUp(at)) indexSlot(src.fields[f], s, table, ids[at]); });
      slots.push({ table, ids });
    }
    pending.push({ at: out.length, lookUp, slots });
    out.push({ field: f, name, type, ids: slots.map((x) => x.ids), wholeCounts: new Int32Array(0), present: 0, globalIds: null });
  }
  for (const { at, lookUp, slots } of pending) {
    const fi = out[at];
    const tables = slots.map((x) => x.table);
    sources.forEach((src, i) => { if (lookUp(i)) lookUpSlots(src.fields[fi.field], tables, slots.map((x) => x.ids[i])); });
    // Term frequencies count whole values only (not the swapped or cross forms sharing a table).
    const wholeCounts = new Int32Array(slots[0].table.size);
    let present = 0;
    for (const column of slots[0].ids) for (let r = 0; r < column.length; r++) if (column[r] >= 0) wholeCounts[column[r]]++;
    for (const src of sources) { const p = src.fields[fi.field].present; for (let r = 0; r < p.length; r++) present += p[r]; }
    out[at] = { ...fi, wholeCounts, present };
  }
  return out;
}

/** Fills `column` with slot `s`'s dense ids (-1: absent), inserting each value. */
function indexSlot(field: EncodedSource['fields'][number], s: number, table: TokenTable, column: Int32Array): void {
  const n = column.length;
  const slots = field.slots;
  const tokens = field.tokens;
  const present8 = field.present;
  for (let r = 0; r < n; r++) {
    const at = (r * slots + s) * 2;
    const lo = tokens[at];
    const hi = tokens[at + 1];
    // (0, 0) marks an empty slot (e.g. no day/month swap for a day above 12).
    column[r] = present8[r] === 0 || (lo === 0 && hi === 0) ? -1 : table.add(lo, hi);
  }
}

/**
 * Fills every slot's column of a spine source by looking its tokens up (`UNKNOWN_TO_NEW` for a
 * value no new record holds), in one pass over the records: a record's slots share cache lines
 * (its tokens are contiguous), so one pass reads the tokens once where a pass per slot would read
 * them once per slot (at 11.7M records, 5 slots per name field).
 */
function lookUpSlots(field: EncodedSource['fields'][number], tables: readonly TokenTable[], columns: readonly Int32Array[]): void {
  const n = field.present.length;
  const slots = field.slots;
  const tokens = field.tokens;
  const present8 = field.present;
  const S = tables.length;
  for (let r = 0; r < n; r++) {
    const base = r * slots * 2;
    if (present8[r] === 0) { for (let s = 0; s < S; s++) columns[s][r] = -1; continue; }
    for (let s = 0; s < S; s++) {
      const lo = tokens[base + s * 2];
      const hi = tokens[base + s * 2 + 1];
      // (0, 0) marks an empty slot (e.g. no day/month swap for a day above 12).
      if (lo === 0 && hi === 0) { columns[s][r] = -1; continue; }
      const id = tables[s].find(lo, hi);
      columns[s][r] = id >= 0 ? id : UNKNOWN_TO_NEW;
    }
  }
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
