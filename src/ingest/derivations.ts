/**
 * Derived attributes: computed at ingest from another column, so a key variable such as birth
 * year or sex can reach a release without the raw birth date or national number.
 *
 *   birth_year(<date column>)              -> Int32
 *   age_on(<date column>, YYYY-MM-DD)      -> Int32, full years on that day; null if born after it
 *   sex(<national_id column>)              -> Utf8 `M` / `F`; null for an invalid number or a BIS
 *                                             number issued with the sex unknown (month + 20)
 *
 * A date column is any read column (linkage, attribute or drop) whose `type` is `date`; its
 * `format` (default `YYYY-MM-DD`) is used. An unparseable date gives a null derived value; it only
 * rejects the row when the date column is itself a date attribute.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { ColumnSpec, DatasetSchema } from '../model.js';
import { makeInt32, makeUtf8 } from '../util/arrow-columns.js';
import { INSZ_LENGTH, INSZ_VALID, inszSex } from './insz.js';
import { parseIsoDate } from './date-format.js';

export const DERIVE_FUNCTIONS = ['birth_year', 'age_on', 'sex'] as const;
export type DeriveFunction = (typeof DERIVE_FUNCTIONS)[number];

export interface Derivation {
  readonly fn: DeriveFunction;
  /** The schema column the value is computed from. */
  readonly source: string;
  /** age_on: the reference day as packed yyyymmdd. */
  readonly onDate: number;
}

const CALL = /^\s*([A-Za-z_]+)\s*\((.*)\)\s*$/;

export function isDateColumn(col: ColumnSpec): boolean {
  return col.derive === undefined && col.role !== 'national_id' && col.type === 'date';
}

/** Parse one `derive` expression against the schema; returns the problem text instead of throwing. */
export function parseDerivation(col: ColumnSpec, schema: DatasetSchema): Derivation | string {
  const where = `column "${col.name}"`;
  const m = CALL.exec(col.derive ?? '');
  if (m === null) return `${where}: derive must look like fn(column) or age_on(column, YYYY-MM-DD)`;
  const fn = m[1] as DeriveFunction;
  if (!DERIVE_FUNCTIONS.includes(fn)) return `${where}: unknown derive function "${m[1]}" (known: ${DERIVE_FUNCTIONS.join(', ')})`;
  const args = m[2].split(',').map((a) => a.trim());
  const arity = fn === 'age_on' ? 2 : 1;
  if (args.length !== arity || args.some((a) => a.length === 0)) return `${where}: ${fn} takes ${arity} argument${arity === 1 ? '' : 's'}`;
  if (col.role !== 'attribute') return `${where}: only attribute columns may be derived`;
  const source = schema.columns.find((c) => c.name === args[0]);
  if (source === undefined) return `${where}: ${fn} names unknown column "${args[0]}"`;
  if (fn === 'sex') {
    if (source.role !== 'national_id') return `${where}: sex() needs the national_id column, not "${source.name}"`;
  } else if (!isDateColumn(source)) {
    return `${where}: ${fn}() needs a column of type date, not "${source.name}"`;
  }
  let onDate = 0;
  if (fn === 'age_on') {
    onDate = parseIsoDate(args[1]);
    if (onDate <= 0) return `${where}: age_on() needs a reference day as YYYY-MM-DD`;
  }
  return { fn, source: source.name, onDate };
}

/**
 * Check every `derive` of a schema: known function, right arguments, an existing source column
 * of the right kind. Throws KOPPEL_ERR_SCHEMA_INVALID listing every problem. Meant for dataset
 * registration as well as ingest.
 */
export function validateDerivations(schema: DatasetSchema): Map<string, Derivation> {
  const out = new Map<string, Derivation>();
  const problems: string[] = [];
  for (const col of schema.columns) {
    if (col.derive === undefined) continue;
    const d = parseDerivation(col, schema);
    if (typeof d === 'string') problems.push(d);
    else out.set(col.name, d);
  }
  if (problems.length > 0) {
    throw new KoppelError('KOPPEL_ERR_SCHEMA_INVALID', `Dataset "${schema.name}" has invalid derived columns: ${problems.join('; ')}.`, { problems });
  }
  return out;
}

function yearOf(ymd: number): number {
  return (ymd / 10000) | 0;
}

/** Int32 column of birth years from packed dates (0 = null). */
export function deriveBirthYear(ymd: Int32Array): Data {
  const n = ymd.length;
  const values = new Int32Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (ymd[i] === 0) nulls++;
    else {
      values[i] = yearOf(ymd[i]);
      validity[i >> 3] |= 1 << (i & 7);
    }
  }
  return makeInt32(values, validity, nulls);
}

/** Int32 column of full years between a packed birth date and `onDate`. */
export function deriveAgeOn(ymd: Int32Array, onDate: number): Data {
  const n = ymd.length;
  const values = new Int32Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  const onYear = yearOf(onDate);
  const onMonthDay = onDate % 10000;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const b = ymd[i];
    if (b === 0 || b > onDate) {
      nulls++;
      continue;
    }
    values[i] = onYear - yearOf(b) - (onMonthDay < b % 10000 ? 1 : 0);
    validity[i >> 3] |= 1 << (i & 7);
  }
  return makeInt32(values, validity, nulls);
}

/** Utf8 `M` / `F` from normalised national numbers; null unless VALID and the sex is known. */
export function deriveSex(digits: Uint8Array, status: Uint8Array): Data<Utf8> {
  const n = status.length;
  const values = new Uint8Array(n);
  const offsets = new Int32Array(n + 1);
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const sex = status[i] === INSZ_VALID ? inszSex(digits, i * INSZ_LENGTH) : 0;
    if (sex === 0) nulls++;
    else {
      values[pos++] = sex === 1 ? 0x4d : 0x46; // 'M' : 'F'
      validity[i >> 3] |= 1 << (i & 7);
    }
    offsets[i + 1] = pos;
  }
  return makeUtf8(values.subarray(0, pos), offsets, n, validity, nulls);
}
