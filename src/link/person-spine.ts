/**
 * The deterministic person spine: one person per distinct linkage pseudonym across all
 * sources, plus one person per record that has no pseudonym (a later stage may merge those
 * probabilistically).
 *
 * Persons are numbered in order of first appearance, scanning the sources in the job's order
 * and each source in row order; so the spine is a pure function of its input. A record's
 * "global row" is its row index plus the row counts of all earlier sources.
 */
import { PseudonymTable, type PseudonymColumn } from './pseudonym-join.js';

export interface SourceSpineStats {
  /** Records in the source. */
  readonly records: number;
  /** Records with a valid pseudonym. */
  readonly withPseudonym: number;
  /** Records whose person also has a record in another source. */
  readonly matchedOtherSource: number;
}

export interface SpineStats {
  readonly persons: number;
  /** Persons with records in at least two sources. */
  readonly linkedAcrossSources: number;
  readonly recordsWithoutPseudonym: number;
  readonly perSource: readonly SourceSpineStats[];
}

export interface Spine {
  readonly personCount: number;
  /** Per source, per row: the person index. */
  readonly personOfRow: readonly Int32Array[];
  /** Per person: the global row of one record carrying its pseudonym (the first), or -1. */
  readonly personPseudonymRow: Int32Array;
  /** Per person: source and row of a representative record (the first one seen). */
  readonly personFirstSource: Int32Array;
  readonly personFirstRow: Int32Array;
  /** Per person: number of distinct sources with a record of the person (saturates at 255). */
  readonly sourcesPerPerson: Uint8Array;
  /** Per person: number of records across all sources. */
  readonly recordsPerPerson: Int32Array;
  /** Per source: global row of its row 0 (length sources + 1; the last entry is the total). */
  readonly sourceRowStart: Int32Array;
  readonly stats: SpineStats;
}

/** Int32Array growth by doubling, for per-person arrays whose final size is unknown. */
function grow(array: Int32Array<ArrayBuffer>, needed: number, fill: number): Int32Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  let size = array.length * 2;
  while (size < needed) size *= 2;
  const grown = new Int32Array(size);
  grown.set(array);
  if (fill !== 0) grown.fill(fill, array.length);
  return grown;
}

export function buildSpine(sources: readonly PseudonymColumn[]): Spine {
  const sourceRowStart = new Int32Array(sources.length + 1);
  let totalRows = 0;
  for (let s = 0; s < sources.length; s++) {
    sourceRowStart[s] = totalRows;
    totalRows += sources[s].length;
  }
  sourceRowStart[sources.length] = totalRows;
  if (totalRows > 0x7fffffff) throw new RangeError(`${totalRows} records exceed the 2^31 - 1 a spine can index`);

  const table = new PseudonymTable(Math.min(totalRows, 1 << 20));
  // Per key id (dense, first-appearance order): its person. Per person: the arrays below.
  let personOfKey = new Int32Array(1024).fill(-1);
  let pseudonymRow = new Int32Array(1024).fill(-1);
  let firstSource = new Int32Array(1024);
  let firstRow = new Int32Array(1024);
  let records = new Int32Array(1024);
  const personOfRow: Int32Array[] = [];
  let persons = 0;
  let recordsWithoutPseudonym = 0;
  const withPseudonym = new Array<number>(sources.length).fill(0);

  for (let s = 0; s < sources.length; s++) {
    const column = sources[s];
    const keyOfRow = table.internColumn(column);
    const out = new Int32Array(column.length);
    const base = sourceRowStart[s];
    let withKey = 0;
    for (let row = 0; row < column.length; row++) {
      const key = keyOfRow[row];
      let person = key >= 0 && key < personOfKey.length ? personOfKey[key] : -1;
      if (person < 0) {
        person = persons++;
        if (persons > records.length) {
          pseudonymRow = grow(pseudonymRow, persons, -1);
          firstSource = grow(firstSource, persons, 0);
          firstRow = grow(firstRow, persons, 0);
          records = grow(records, persons, 0);
        }
        firstSource[person] = s;
        firstRow[person] = row;
        if (key >= 0) {
          personOfKey = grow(personOfKey, key + 1, -1);
          personOfKey[key] = person;
          pseudonymRow[person] = base + row;
        }
      }
      if (key >= 0) withKey++;
      out[row] = person;
      records[person]++;
    }
    withPseudonym[s] = withKey;
    recordsWithoutPseudonym += column.length - withKey;
    personOfRow.push(out);
  }

  const sourcesPerPerson = new Uint8Array(persons);
  countSourcesPerPerson(personOfRow, sourcesPerPerson);
  let linkedAcrossSources = 0;
  for (let p = 0; p < persons; p++) if (sourcesPerPerson[p] >= 2) linkedAcrossSources++;

  const perSource: SourceSpineStats[] = [];
  for (let s = 0; s < sources.length; s++) {
    const rows = personOfRow[s];
    let matched = 0;
    for (let row = 0; row < rows.length; row++) if (sourcesPerPerson[rows[row]] >= 2) matched++;
    perSource.push({ records: rows.length, withPseudonym: withPseudonym[s], matchedOtherSource: matched });
  }

  return {
    personCount: persons,
    personOfRow,
    personPseudonymRow: pseudonymRow.slice(0, persons),
    personFirstSource: firstSource.slice(0, persons),
    personFirstRow: firstRow.slice(0, persons),
    sourcesPerPerson,
    recordsPerPerson: records.slice(0, persons),
    sourceRowStart,
    stats: { persons, linkedAcrossSources, recordsWithoutPseudonym, perSource },
  };
}

/** Distinct sources per person: a "last source seen" marker per person, sources in order. */
function countSourcesPerPerson(personOfRow: readonly Int32Array[], out: Uint8Array): void {
  const lastSeen = new Int32Array(out.length).fill(-1);
  for (let s = 0; s < personOfRow.length; s++) {
    const rows = personOfRow[s];
    for (let row = 0; row < rows.length; row++) {
      const p = rows[row];
      if (lastSeen[p] !== s) {
        lastSeen[p] = s;
        if (out[p] < 255) out[p]++;
      }
    }
  }
}
