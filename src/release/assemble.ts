/**
 * Assembly of a release (pure): from the person spine, the caller's release pseudonyms and the
 * approved attribute columns of each source dataset, build
 *  - `persons`: `pseudonym` + the key variables, after k-anonymity (local suppression);
 *  - one table per source dataset: `pseudonym`, `period` (unless the project omits the period
 *    pattern), the approved attributes EXCEPT the key variables.
 * Key variables, and the linkage metadata the project releases (metadata-keys.ts: a match
 * probability band, the link method, the period pattern), appear only in `persons`, so a
 * suppressed value cannot be read back from another file of the release (design.md, "Storage
 * layout"). A non-key column that carries a key variable anyway (a copy or a recoding) refuses
 * the release (key-copies.ts).
 *
 * A person's key-variable value is the first non-null value in the job's source order, and
 * within a source in row order (the order of its deliveries, then of their rows): an explicit,
 * reproducible rule rather than, say, the most frequent value, which would need ties broken.
 *
 * Columns are gathered from the Arrow buffers (take.ts). A suppressed value is not merely
 * flagged null: its cell is gathered as null, so the bytes are absent from the written
 * buffers and no reader of the raw IPC file can recover them. Rows are ordered by release
 * pseudonym (release-order.ts).
 */
import type { Data, Table, Vector } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { HierarchySpec } from '../model.js';
import type { Diversity } from './group-compliance.js';
import { enforceKAnonymity, type KAnonymityReport, type KeyVariableCodes } from './k-anonymity.js';
import { codeKeyVariable, releasedKeyColumn } from './key-variables.js';
import { findKeyCopies, type ReleasedColumnCodes } from './key-copies.js';
import { keepConsistent, type LedgerEntry, type LedgerInput, type LedgerReport } from './longitudinal.js';
import { metadataKeys, metadataRules, type ReleaseMetadataRules } from './metadata-keys.js';
import { batchedTable, pseudonymOrder, ranksOf, rowsByPersonRank } from './release-order.js';
import { locateRows, type RowLocation } from './row-location.js';
import { chunksOf, takeKind, takeRows } from './take.js';
import { utf8Column } from './utf8-column.js';
import { valueCodes } from './value-codes.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

/** Consecutive rows of one reference period (one delivery), in row order. */
export interface PeriodRun {
  readonly period: string;
  readonly rows: number;
}

export interface ReleaseSourceInput {
  /** Dataset name: the release file is `<name>.arrow`. */
  readonly name: string;
  /** Per row, the person index (the spine's `personOfRow`, deliveries concatenated). */
  readonly personOfRow: Int32Array;
  /** The period of each row: runs in row order (summing to the row count), or a Utf8 column. */
  readonly periods: readonly PeriodRun[] | Vector | Data;
  /** Attribute names the project approves for this dataset (release column order). */
  readonly approved: readonly string[];
  /** Attribute columns by name, each with one value per row; at least the approved ones. */
  readonly columns: Readonly<Record<string, Vector | Data>>;
  /** Per row, a LINK_* code (link/link-method.ts). */
  readonly linkMethod: Uint8Array;
  /**
   * Per row, the match probability of a probabilistic link (NaN = null); read only for
   * probabilistic rows, into the person's band (metadata-keys.ts).
   */
  readonly matchProbability?: Float64Array;
}

export interface AssembleInput {
  readonly personCount: number;
  /** Release pseudonym per person (Utf8, no nulls), computed by the caller. */
  readonly pseudonyms: Vector | Data;
  readonly keyVariables: readonly string[];
  readonly k: number;
  /** Generalisation hierarchies of key variables (hierarchy.ts); others are only suppressed. */
  readonly hierarchies?: Readonly<Record<string, HierarchySpec>>;
  /** Share of persons that may lose values to suppression (default 1%). */
  readonly suppressionLimit?: number;
  /** l-diversity on an approved attribute: a person's value is picked as for key variables. */
  readonly sensitive?: { readonly attribute: string; readonly l: number };
  /** Source datasets in the job's order. */
  readonly sources: readonly ReleaseSourceInput[];
  /** Rows per record batch (default 65536). */
  readonly batchRows?: number;
  /** How linkage metadata is released (metadata-keys.ts); the safe defaults when absent. */
  readonly metadata?: ReleaseMetadataRules;
  /** A longitudinal project's ledger of its approved releases (longitudinal.ts). */
  readonly ledger?: LedgerInput;
}

export interface ReleaseTable {
  readonly name: string;
  readonly table: Table;
}

export interface AssembledRelease {
  /** `persons` first, then one table per source dataset in input order. */
  readonly tables: readonly ReleaseTable[];
  readonly disclosure_control: KAnonymityReport;
  /** The metadata rules applied (for the manifest). */
  readonly metadata: ReleaseMetadataRules;
  /** With a ledger: this release's ledger rows and what consistency withheld. */
  readonly ledger?: { readonly entries: LedgerEntry[]; readonly report: LedgerReport };
}

export const PERSONS_TABLE = 'persons';
const RESERVED_COLUMNS = new Set(['pseudonym', 'period', 'link_method', 'match_probability', 'period_pattern']);

function policyError(message: string, details: Record<string, string | number>): KoppelError {
  return new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', message, details);
}

export function assembleRelease(input: AssembleInput): AssembledRelease {
  const { personCount, keyVariables, sources } = input;
  const rules = input.metadata ?? metadataRules(undefined);
  const batchRows = Math.max(1, input.batchRows ?? 65536);
  const pseudonymChunks = chunksOf(input.pseudonyms);
  checkInput(input, pseudonymChunks);

  // One contiguous pseudonym column, then the person order by pseudonym.
  const identity = new Int32Array(personCount);
  for (let p = 0; p < personCount; p++) identity[p] = p;
  const pseudonyms = takeRows(pseudonymChunks, identity);
  const order = pseudonymOrder(pseudonyms);
  const rank = ranksOf(order);

  // Key variables (the project's, then the linkage metadata it releases per person): pick a
  // value row per person in pseudonym order, code the values, refuse copies, suppress.
  const keyColumns = [
    ...keyVariables.map((name) => ({ name, ...pickKeyValues(name, sources, personCount, order) })),
    ...metadataKeys(sources, personCount, rules).map((m) => ({ name: m.name, chunks: [m.column as Data], rows: order.slice() })),
  ];
  const values = keyColumns.map((c) => takeRows(c.chunks, c.rows));
  const coded: KeyVariableCodes[] = values.map((v, i) => codeKeyVariable(keyColumns[i].name, v, input.hierarchies?.[keyColumns[i].name]));
  const keySet = new Set(keyVariables);
  refuseKeyCopies(coded, sources, keySet, rank, personCount);
  // Generalise along the lattice, then suppress (k-anonymity.ts).
  const { codes, levels, report } = enforceKAnonymity(coded, {
    k: input.k, records: personCount, suppressionLimit: input.suppressionLimit, diversity: sensitiveCodes(input, order),
  });
  const personColumns = [takeRows([pseudonyms], order)];
  values.forEach((v, i) => personColumns.push(releasedKeyColumn(v, coded[i], codes[i], levels[i])));
  const ledger = input.ledger === undefined ? undefined
    : keepConsistent(personColumns[0], keyColumns.map((c) => c.name), personColumns.slice(1), coded.map((c) => c.codes), codes, input.k, input.ledger);
  if (ledger !== undefined) personColumns.splice(1, ledger.columns.length, ...ledger.columns);
  const tables: ReleaseTable[] = [
    { name: PERSONS_TABLE, table: batchedTable(['pseudonym', ...keyColumns.map((c) => c.name)], personColumns, batchRows) },
  ];

  // Rows of a person whose period pattern was suppressed carry no period either.
  const patternAt = keyColumns.findIndex((c) => c.name === 'period_pattern');
  const noPeriod = new Uint8Array(personCount);
  if (patternAt >= 0) for (let p = 0; p < personCount; p++) if (codes[patternAt][rank[p]] < 0) noPeriod[p] = 1;
  for (const source of sources) {
    const rowOrder = rowsByPersonRank(source.personOfRow, rank);
    // Each row's person by rank: ascending, so its pseudonym is read from the persons table's
    // (already in rank order) front to back instead of at random.
    const rankRows = new Int32Array(rowOrder.length);
    for (let i = 0; i < rowOrder.length; i++) rankRows[i] = rank[source.personOfRow[rowOrder[i]]];
    const attributes = source.approved.filter((a) => !keySet.has(a));
    const names = ['pseudonym'];
    const columns: Data[] = [takeRows([personColumns[0]], rankRows)];
    if (rules.period_pattern !== 'omit') {
      names.push('period');
      columns.push(periodColumn(source, rowOrder, noPeriod));
    }
    let at: RowLocation | undefined;
    for (const a of attributes) {
      names.push(a);
      const chunks = chunksOf(source.columns[a]);
      at ??= locateRows(chunks, rowOrder);
      columns.push(takeRows(chunks, rowOrder, at));
    }
    tables.push({ name: source.name, table: batchedTable(names, columns, batchRows) });
  }
  return { tables, disclosure_control: report, metadata: rules, ...(ledger === undefined ? {} : { ledger: { entries: ledger.entries, report: ledger.report } }) };
}

/**
 * Refuses the release when a non-key released column determines a key variable or recodes it
 * (key-copies.ts). Key codes are in pseudonym order; rows name persons by spine index.
 */
function refuseKeyCopies(keys: readonly KeyVariableCodes[], sources: readonly ReleaseSourceInput[], keySet: ReadonlySet<string>, rank: Int32Array, personCount: number): void {
  const columns: ReleasedColumnCodes[] = [];
  for (const source of sources) {
    const rows = source.personOfRow.length;
    const identity = new Int32Array(rows);
    const personOfRow = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      identity[r] = r;
      personOfRow[r] = rank[source.personOfRow[r]];
    }
    let at: RowLocation | undefined;
    for (const a of source.approved.filter((name) => !keySet.has(name))) {
      const chunks = chunksOf(source.columns[a]);
      at ??= locateRows(chunks, identity);
      columns.push({ dataset: source.name, column: a, personOfRow, ...valueCodes(takeRows(chunks, identity, at)) });
    }
  }
  const findings = findKeyCopies(keys, columns, personCount);
  if (findings.length === 0) return;
  const list = findings.map((f) => `${f.dataset}.${f.column} ${f.direction === 'determines' ? 'determines' : 'is a recoding of'} key variable ${f.key_variable} (lambda ${f.lambda.toFixed(3)} over ${f.persons} persons)`);
  throw new KoppelError('KOPPEL_ERR_RELEASE_KEY_VARIABLE_COPY', `released columns carry key variables: ${list.join('; ')}; declare them key variables or leave them out`, {
    columns: findings.map((f) => `${f.dataset}.${f.column}`),
    key_variables: findings.map((f) => f.key_variable),
  });
}

/** The manifest's `files` entries for an assembled release. */
export function describeTables(release: AssembledRelease): { name: string; rows: number; columns: string[] }[] {
  return release.tables.map(({ name, table }) => ({ name, rows: table.numRows, columns: table.schema.fields.map((f) => f.name) }));
}

function checkInput(input: AssembleInput, pseudonymChunks: readonly Data[]): void {
  const { personCount, sources, keyVariables } = input;
  let pseudonymRows = 0;
  for (const c of pseudonymChunks) {
    if (c.nullCount > 0) throw new RangeError('every person needs a release pseudonym; the column has nulls');
    pseudonymRows += c.length;
  }
  if (pseudonymRows !== personCount) throw new RangeError(`${pseudonymRows} release pseudonyms for ${personCount} persons`);
  if (takeKind(pseudonymChunks) !== 'utf8') throw new TypeError('release pseudonyms must be a Utf8 column');
  if (new Set(keyVariables).size !== keyVariables.length) throw policyError('a key variable is named twice', { key_variables: keyVariables.length });
  const names = new Set<string>();
  for (const source of sources) {
    if (source.name === PERSONS_TABLE || names.has(source.name)) {
      throw policyError(`dataset name ${source.name} clashes with another release file`, { dataset: source.name });
    }
    names.add(source.name);
    const rows = source.personOfRow.length;
    for (let row = 0; row < rows; row++) {
      const p = source.personOfRow[row];
      if (p < 0 || p >= personCount) throw new RangeError(`dataset ${source.name} row ${row} names person ${p} of ${personCount}`);
    }
    if (source.linkMethod.length !== rows) throw new RangeError(`dataset ${source.name} has ${source.linkMethod.length} link methods for ${rows} rows`);
    if (source.matchProbability !== undefined && source.matchProbability.length !== rows) {
      throw new RangeError(`dataset ${source.name} has ${source.matchProbability.length} match probabilities for ${rows} rows`);
    }
    const periodRows = Array.isArray(source.periods) ? (source.periods as readonly PeriodRun[]).reduce((s, r) => s + r.rows, 0) : (source.periods as Vector | Data).length;
    if (periodRows !== rows) throw new RangeError(`dataset ${source.name} has periods for ${periodRows} of its ${rows} rows`);
    for (const a of source.approved) {
      if (RESERVED_COLUMNS.has(a)) throw policyError(`approved attribute ${a} of dataset ${source.name} has a reserved release column name`, { dataset: source.name, attribute: a });
      const column = source.columns[a];
      if (column === undefined) throw policyError(`dataset ${source.name} provides no approved attribute ${a}`, { dataset: source.name, attribute: a });
      if (column.length !== rows) throw new RangeError(`attribute ${a} of dataset ${source.name} has ${column.length} values for ${rows} rows`);
      if (takeKind(chunksOf(column)) === null) {
        throw policyError(`attribute ${a} of dataset ${source.name} has a type a release cannot carry`, { dataset: source.name, attribute: a, type: String(chunksOf(column)[0]?.type) });
      }
    }
  }
}

/**
 * For key variable `name`: the chunks of every source that approves it (concatenated in
 * source order) and, per person in pseudonym order, the global row of its value (-1 = none).
 */
function pickKeyValues(name: string, sources: readonly ReleaseSourceInput[], personCount: number, order: Int32Array): { chunks: Data[]; rows: Int32Array } {
  const chosen = new Int32Array(personCount).fill(-1);
  const chunks: Data[] = [];
  let base = 0;
  for (const source of sources) {
    if (!source.approved.includes(name)) continue;
    let row = 0;
    for (const chunk of chunksOf(source.columns[name])) {
      chunks.push(chunk);
      const bitmap = validityBitmap(chunk);
      for (let local = 0; local < chunk.length; local++, row++) {
        const p = source.personOfRow[row];
        if (chosen[p] >= 0) continue;
        if (bitmap !== null && !isBitSet(bitmap, chunk.offset + local)) continue;
        chosen[p] = base + row;
      }
    }
    base += row;
  }
  if (chunks.length === 0) throw policyError(`no source dataset approves ${name} (a key variable or the sensitive attribute)`, { key_variable: name });
  if (takeKind(chunks) === null) throw policyError(`key variable ${name} has types that cannot be combined across datasets`, { key_variable: name });
  const rows = new Int32Array(personCount);
  for (let i = 0; i < personCount; i++) rows[i] = chosen[order[i]];
  return { chunks, rows };
}

function sensitiveCodes(input: AssembleInput, order: Int32Array): Diversity | undefined {
  if (input.sensitive === undefined) return undefined;
  const { attribute, l } = input.sensitive;
  const p = pickKeyValues(attribute, input.sources, input.personCount, order);
  return { name: attribute, l, ...valueCodes(takeRows(p.chunks, p.rows)) };
}

function periodColumn(source: ReleaseSourceInput, rowOrder: Int32Array, noPeriod: Uint8Array): Data {
  const picks = new Int32Array(rowOrder.length);
  if (!Array.isArray(source.periods)) {
    for (let i = 0; i < rowOrder.length; i++) picks[i] = noPeriod[source.personOfRow[rowOrder[i]]] === 1 ? -1 : rowOrder[i];
    return takeRows(chunksOf(source.periods as Vector | Data), picks);
  }
  const runs = source.periods as readonly PeriodRun[];
  const runOfRow = new Int32Array(rowOrder.length);
  let row = 0;
  runs.forEach((run, r) => {
    runOfRow.fill(r, row, row + run.rows);
    row += run.rows;
  });
  for (let i = 0; i < rowOrder.length; i++) picks[i] = noPeriod[source.personOfRow[rowOrder[i]]] === 1 ? -1 : runOfRow[rowOrder[i]];
  return takeRows([utf8Column(runs.map((r) => r.period))], picks);
}
