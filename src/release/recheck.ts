/**
 * An approved release read back and checked under today's rules, on what it actually holds
 * (its persons file and dataset files), for `koppel release recheck`: a release approved under
 * older rules keeps its files and manifest, and this says whether a build like it would now be
 * refused, and why.
 *  - k-anonymity: every combination of the persons file's columns other than `pseudonym` (key
 *    variables and released linkage metadata; null its own category) holds at least k persons,
 *    unless the persons are fewer than k and every value is null;
 *  - key-variable copies: no non-key column of a dataset file determines or recodes a column
 *    of the persons file (key-copies.ts, on the released values: suppression done);
 *  - linkage metadata per row: `link_method` or `match_probability` in a dataset file (the
 *    layout of manifest version 1) is refused today.
 * The pseudonym join makes one string per person (a Map from pseudonym to row): it runs on
 * demand over one release, not in a build.
 */
import type { Table } from 'apache-arrow';
import { groupByCodes } from './group-codes.js';
import { findKeyCopies, type PersonKeyCodes, type ReleasedColumnCodes } from './key-copies.js';
import { chunksOf, takeRows } from './take.js';
import { valueCodes } from './value-codes.js';

export interface RecheckFinding {
  readonly rule: 'k_anonymity' | 'key_variable_copy' | 'linkage_metadata' | 'exposure';
  /** Columns, counts and ids only. */
  readonly message: string;
}

const PER_ROW_METADATA = new Set(['link_method', 'match_probability']);
const NOT_ATTRIBUTES = new Set(['pseudonym', 'period']);

function columnCodes(table: Table, name: string): { codes: Int32Array; cardinality: number } {
  const rows = new Int32Array(table.numRows);
  for (let i = 0; i < rows.length; i++) rows[i] = i;
  return valueCodes(takeRows(chunksOf(table.getChild(name)!), rows));
}

function kFindings(persons: Table, keys: readonly PersonKeyCodes[], k: number): RecheckFinding[] {
  const n = persons.numRows;
  const grouping = groupByCodes(keys.map((c) => c.codes), keys.map((c) => c.cardinality), n);
  let small = 0;
  let inSmall = 0;
  for (let g = 0; g < grouping.count; g++) {
    if (grouping.size[g] < k) {
      small++;
      inSmall += grouping.size[g];
    }
  }
  const allNull = keys.every((c) => c.codes.every((x) => x < 0));
  if (small === 0 || (n < k && allNull)) return [];
  return [{ rule: 'k_anonymity', message: `${small} combinations of ${keys.map((c) => c.name).join(', ')} hold fewer than k = ${k} persons (${inSmall} of ${n} persons)` }];
}

export function recheckTables(persons: Table, datasets: readonly { readonly name: string; readonly table: Table }[], k: number): RecheckFinding[] {
  const keyNames = persons.schema.fields.map((f) => f.name).filter((n) => n !== 'pseudonym');
  const keys: PersonKeyCodes[] = keyNames.map((name) => ({ name, ...columnCodes(persons, name) }));
  const findings = kFindings(persons, keys, k);
  const rowOf = new Map<string, number>();
  const pseudonyms = persons.getChild('pseudonym')!.toArray() as string[];
  pseudonyms.forEach((p, i) => rowOf.set(p, i));
  const columns: ReleasedColumnCodes[] = [];
  for (const { name, table } of datasets) {
    const fields = table.schema.fields.map((f) => f.name);
    const metadata = fields.filter((f) => PER_ROW_METADATA.has(f));
    if (metadata.length > 0) findings.push({ rule: 'linkage_metadata', message: `${name} carries ${metadata.join(' and ')} per row` });
    const ofRow = (table.getChild('pseudonym')!.toArray() as string[]).map((p) => rowOf.get(p) ?? -1);
    if (ofRow.includes(-1)) findings.push({ rule: 'k_anonymity', message: `${name} has rows of persons missing from the persons file` });
    const personOfRow = Int32Array.from(ofRow, (p) => Math.max(p, 0));
    for (const column of fields) {
      if (NOT_ATTRIBUTES.has(column) || PER_ROW_METADATA.has(column)) continue;
      columns.push({ dataset: name, column, personOfRow, ...columnCodes(table, column) });
    }
  }
  for (const f of findKeyCopies(keys, columns, persons.numRows)) {
    findings.push({
      rule: 'key_variable_copy',
      message: `${f.dataset}.${f.column} ${f.direction === 'determines' ? 'determines' : 'is a recoding of'} key variable ${f.key_variable} (lambda ${f.lambda.toFixed(3)} over ${f.persons} persons)`,
    });
  }
  return findings;
}
