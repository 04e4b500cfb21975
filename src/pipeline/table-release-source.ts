/**
 * A table over an approved release (issue 12: "over a linked job (or an approved release)"):
 * the cells are counted from the release's own files, the variables as the researchers got
 * them (generalised, locally suppressed), so a statistician's table matches the microdata.
 *
 *  - `<dataset>.arrow`: one row per record: `pseudonym`, `period` (unless the project omits
 *    the period pattern) and the dataset's released attributes;
 *  - `persons.arrow`: one row per person: `pseudonym` and the key variables (they appear only
 *    there, design.md "Storage layout").
 *
 * Both are ordered by the bytes of the release pseudonym (release/release-order.ts), so each
 * record finds its person by one merge over the two pseudonym columns (no map, no string per
 * row). Persons are counted by release pseudonym. Both files are read through the store's
 * verified reader: a file that no longer matches its manifest's sha256 is refused.
 */
import type { Data, Table, Vector } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { chunksOf, takeRows } from '../release/take.js';
import type { ProjectRecord, ReleaseRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import type { TableRecordsInput } from './table-records.js';

const PERSONS_FILE = 'persons';
const PSEUDONYM = 'pseudonym';
/** The released period column, which is also the table's `period` variable (table-specs.ts). */
const PERIOD = 'period';

/** What a table reads from its source: the dataset, and each variable with the field naming it. */
export interface TableUses {
  readonly dataset: string;
  readonly variables: readonly (readonly [field: string, variable: string | undefined])[];
}

/** The release a table may count: of the project, approved, not withdrawn. */
export function approvedReleaseOf(ctx: PipelineContext, project: ProjectRecord, releaseId: string): ReleaseRecord {
  const release = ctx.store.getRelease(releaseId);
  if (release === null || release.project_id !== project.id) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_FOUND', `source.release: no release ${releaseId} of project ${project.id}`, { release: releaseId });
  }
  if (release.withdrawn !== null) throw new KoppelError('KOPPEL_ERR_RELEASE_WITHDRAWN', `source.release: release ${releaseId} was withdrawn on ${release.withdrawn.at.slice(0, 10)}`, { release: releaseId });
  if (release.status !== 'approved') throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_APPROVED', `source.release: release ${releaseId} is a draft; a table counts approved releases only`, { release: releaseId });
  return release;
}

/** The columns of the release's dataset file and of its persons file, as its manifest lists them. */
function releasedColumns(release: ReleaseRecord, dataset: string): { data: readonly string[]; persons: readonly string[] } {
  const files = (release.manifest as { files?: readonly { name: string; columns: readonly string[] }[] }).files ?? [];
  const data = files.find((f) => f.name === dataset && f.name !== PERSONS_FILE);
  if (data === undefined) {
    throw new KoppelError('KOPPEL_ERR_SCHEMA_TABLE_INVALID', `dataset: release ${release.id} has no file of ${dataset}`, { field: 'dataset' });
  }
  const persons = files.find((f) => f.name === PERSONS_FILE)?.columns ?? [];
  return { data: data.columns.filter((c) => c !== PSEUDONYM), persons: persons.filter((c) => c !== PSEUDONYM) };
}

/**
 * The variables the table may use: every released column of the dataset and the key variables
 * of the persons file. A dimension, value or unit the release does not carry is refused, named.
 */
export function releaseVariables(release: ReleaseRecord, uses: TableUses): string[] {
  const { data, persons } = releasedColumns(release, uses.dataset);
  const carried = new Set([...data, ...persons]);
  const variables = [...carried].filter((c) => c !== PERIOD);
  for (const [field, variable] of uses.variables) {
    if (variable === undefined || carried.has(variable)) continue;
    const why = variable === PERIOD ? 'the project releases no period column' : `its ${uses.dataset} and persons files hold ${variables.join(', ') || 'no variable'}`;
    throw new KoppelError('KOPPEL_ERR_SCHEMA_TABLE_INVALID', `${field}: release ${release.id} does not carry ${variable} (${why})`, { field, variable });
  }
  return variables;
}

/** One contiguous Utf8 pseudonym column of a release file. */
function pseudonymsOf(table: Table, what: string): Data {
  const column = table.getChild(PSEUDONYM);
  if (column === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `${what} has no pseudonym column`);
  const all = new Int32Array(table.numRows);
  for (let i = 0; i < all.length; i++) all[i] = i;
  return takeRows(chunksOf(column), all);
}

/** -1, 0 or 1 as pseudonym `a` of `x` sorts before, with or after pseudonym `b` of `y`, by bytes. */
function compareAt(x: Data, a: number, y: Data, b: number): number {
  const xo = x.valueOffsets as Int32Array;
  const yo = y.valueOffsets as Int32Array;
  const xb = x.values as Uint8Array;
  const yb = y.values as Uint8Array;
  const xl = xo[a + 1] - xo[a];
  const yl = yo[b + 1] - yo[b];
  const common = Math.min(xl, yl);
  for (let i = 0; i < common; i++) {
    const d = xb[xo[a] + i] - yb[yo[b] + i];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return Math.sign(xl - yl);
}

/** Each record's row in the persons file, by a merge of the two pseudonym-ordered columns. */
function personRows(records: Data, persons: Data, releaseId: string): Int32Array {
  const out = new Int32Array(records.length);
  let p = 0;
  for (let r = 0; r < records.length; r++) {
    let c = p < persons.length ? compareAt(records, r, persons, p) : -1;
    while (c > 0) {
      p++;
      c = p < persons.length ? compareAt(records, r, persons, p) : -1;
    }
    if (c !== 0) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `release ${releaseId}: a record's pseudonym is not in its persons file, or the files are not in pseudonym order`);
    out[r] = p;
  }
  return out;
}

async function releaseTable(ctx: PipelineContext, release: ReleaseRecord, name: string): Promise<Table> {
  const file = await ctx.store.openReleaseFile(release.id, name);
  if (file === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `release ${release.id} lists ${name} but the file is gone`, { release: release.id });
  return file.table();
}

/** The release's records of the table's dataset, with only the columns the table uses. */
export async function recordsFromRelease(ctx: PipelineContext, release: ReleaseRecord, uses: TableUses): Promise<TableRecordsInput> {
  releaseVariables(release, uses);
  const records = await releaseTable(ctx, release, uses.dataset);
  const persons = await releaseTable(ctx, release, PERSONS_FILE);
  const personOfRow = personRows(pseudonymsOf(records, `release ${release.id} ${uses.dataset}`), pseudonymsOf(persons, `release ${release.id} persons`), release.id);
  const needed = uses.variables.map(([, v]) => v).filter((v): v is string => v !== undefined && v !== PERIOD);
  const columns: Record<string, Vector | Data> = {};
  for (const name of new Set(needed)) {
    const own = records.getChild(name);
    if (own !== null) { columns[name] = own; continue; }
    const key = persons.getChild(name);
    if (key === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `release ${release.id} lists ${name} but its files do not hold it`, { release: release.id });
    columns[name] = takeRows(chunksOf(key), personOfRow);
  }
  // No period column (the project omits it): a `period` dimension was refused above.
  const period = records.getChild(PERIOD);
  return { personOfRow, persons: Math.max(persons.numRows, 1), periods: period ?? [], columns };
}
