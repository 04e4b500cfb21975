/**
 * The job file of `koppel link` (design.md "Job file for `koppel link`", a contract): parsed and
 * validated once into typed settings. Every problem is collected and reported together in one
 * KOPPEL_ERR_LINK_BAD_JOB whose message names the file, the source, the field and the column.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KoppelError } from '../errors.js';
import { FIELD_TYPES, type FieldType } from '../model.js';
import { TOKEN_SLOTS } from '../pseudonymise/encoded-source.js';
import { isDateFormat } from '../ingest/date-format.js';

export type Delimiter = ',' | ';' | '\t';

export interface JobSource {
  readonly name: string;
  /** Absolute path (resolved against the job file's folder). */
  readonly path: string;
  /** The path as written in the job file (for messages). */
  readonly pathAsWritten: string;
  /** The column holding the source's own record ids. */
  readonly id: string;
  readonly unique: boolean;
  /** Field name -> this source's column name. */
  readonly columns: Readonly<Record<string, string>>;
  readonly delimiter: Delimiter | null;
  readonly encoding: 'utf-8' | 'latin1';
}

export interface JobField {
  readonly name: string;
  readonly type: FieldType;
  readonly format?: string;
}

export interface JobFile {
  /** The job file's own path. */
  readonly file: string;
  readonly sources: readonly JobSource[];
  readonly fields: readonly JobField[];
  readonly blocking: readonly (readonly string[])[] | null;
  readonly threshold: number | null;
  readonly oneToOne: boolean;
  readonly deduplicate: boolean;
}

const TOP_KEYS = new Set(['sources', 'fields', 'blocking', 'threshold', 'one_to_one', 'deduplicate']);
const SOURCE_KEYS = new Set(['name', 'path', 'id', 'unique', 'columns', 'delimiter', 'encoding']);
const FIELD_KEYS = new Set(['name', 'type', 'format']);

/** The column a source uses for a field. */
export function columnFor(source: JobSource, field: string): string {
  return source.columns[field] ?? field;
}

export function readJobFile(path: string): JobFile {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${path} is not valid JSON.`, { file: path });
  }
  return parseJob(json, path, dirname(file));
}

/** Validates a parsed job (`where` names it in messages; paths resolve against `baseDir`). */
export function parseJob(json: unknown, where: string, baseDir: string): JobFile {
  const problems: string[] = [];
  const bad = (msg: string) => problems.push(msg);
  if (!isObject(json)) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${where}: the top level must be a JSON object.`, { file: where });
  for (const k of Object.keys(json)) if (!TOP_KEYS.has(k)) bad(`unknown setting "${k}"`);

  const fields: JobField[] = [];
  if (!Array.isArray(json.fields) || json.fields.length === 0) bad('"fields" must be a non-empty list');
  else {
    json.fields.forEach((f: unknown, i: number) => {
      if (!isObject(f)) { bad(`fields[${i}] must be an object`); return; }
      for (const k of Object.keys(f)) if (!FIELD_KEYS.has(k)) bad(`field ${String(f.name ?? i)}: unknown setting "${k}"`);
      const name = typeof f.name === 'string' && f.name.length > 0 ? f.name : null;
      if (name === null) { bad(`fields[${i}] needs a "name"`); return; }
      if (fields.some((x) => x.name === name)) bad(`field ${name} is defined twice`);
      if (typeof f.type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(f.type)) {
        bad(`field ${name}: unknown type ${JSON.stringify(f.type ?? null)} (types: ${FIELD_TYPES.join(', ')})`);
        return;
      }
      const type = f.type as FieldType;
      if (type === 'date') {
        if (typeof f.format !== 'string' || !isDateFormat(f.format)) {
          bad(`field ${name}: unknown date format ${JSON.stringify(f.format ?? null)} (build it from YYYY, MM, DD and separators, e.g. YYYY-MM-DD)`);
          return;
        }
      } else if (f.format !== undefined) bad(`field ${name}: "format" applies only to date fields`);
      fields.push({ name, type, ...(type === 'date' ? { format: f.format as string } : {}) });
    });
    if (fields.filter((f) => f.type === 'national_id').length > 1) bad('at most one field may have type national_id');
  }

  const sources: JobSource[] = [];
  if (!Array.isArray(json.sources) || json.sources.length === 0) bad('"sources" must be a non-empty list');
  else {
    json.sources.forEach((s: unknown, i: number) => {
      if (!isObject(s)) { bad(`sources[${i}] must be an object`); return; }
      const name = typeof s.name === 'string' && s.name.length > 0 ? s.name : null;
      const label = name ?? `sources[${i}]`;
      if (name === null) bad(`sources[${i}] needs a "name"`);
      else if (sources.some((x) => x.name === name)) bad(`source ${name} is named twice`);
      for (const k of Object.keys(s)) if (!SOURCE_KEYS.has(k)) bad(`source ${label}: unknown setting "${k}"`);
      if (typeof s.path !== 'string' || s.path.length === 0) bad(`source ${label} needs a "path"`);
      if (typeof s.id !== 'string' || s.id.length === 0) bad(`source ${label} needs an "id" column`);
      if (s.unique !== undefined && typeof s.unique !== 'boolean') bad(`source ${label}: "unique" must be true or false`);
      const columns: Record<string, string> = {};
      if (s.columns !== undefined) {
        if (!isObject(s.columns)) bad(`source ${label}: "columns" must map field names to column names`);
        else {
          for (const [field, column] of Object.entries(s.columns)) {
            if (typeof column !== 'string' || column.length === 0) bad(`source ${label}: column for field ${field} must be a column name`);
            else if (fields.length > 0 && !fields.some((f) => f.name === field)) bad(`source ${label}: "columns" maps field ${field}, which "fields" does not define`);
            else columns[field] = column;
          }
        }
      }
      let delimiter: Delimiter | null = null;
      if (s.delimiter !== undefined) {
        const d = s.delimiter === 'tab' ? '\t' : s.delimiter;
        if (d !== ',' && d !== ';' && d !== '\t') bad(`source ${label}: delimiter must be ",", ";" or tab`);
        else delimiter = d;
      }
      let encoding: 'utf-8' | 'latin1' = 'utf-8';
      if (s.encoding !== undefined) {
        const e = typeof s.encoding === 'string' ? s.encoding.toLowerCase() : '';
        if (e === 'utf-8' || e === 'utf8') encoding = 'utf-8';
        else if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1' || e === 'windows-1252') encoding = 'latin1';
        else bad(`source ${label}: encoding must be utf-8 or latin1`);
      }
      if (name !== null && typeof s.path === 'string' && typeof s.id === 'string') {
        sources.push({
          name, path: resolve(baseDir, s.path), pathAsWritten: s.path, id: s.id,
          unique: s.unique !== false, columns, delimiter, encoding,
        });
      }
    });
  }

  let blocking: string[][] | null = null;
  if (json.blocking !== undefined && json.blocking !== null) {
    if (!Array.isArray(json.blocking) || json.blocking.length === 0) bad('"blocking" must be a non-empty list of lists of field names');
    else {
      blocking = [];
      json.blocking.forEach((rule: unknown, i: number) => {
        const list = typeof rule === 'string' ? [rule] : rule;
        if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string')) { bad(`blocking[${i}] must be a list of field names`); return; }
        for (const entry of list as string[]) {
          const [fieldName, slot] = entry.split('.');
          const field = fields.find((f) => f.name === fieldName);
          if (field === undefined) bad(`blocking[${i}] names field ${fieldName}, which "fields" does not define`);
          else if (slot !== undefined && !TOKEN_SLOTS[field.type].includes(slot)) bad(`blocking[${i}]: field ${fieldName} (${field.type}) has no part "${slot}" (parts: ${TOKEN_SLOTS[field.type].join(', ')})`);
        }
        blocking!.push(list as string[]);
      });
    }
  }
  let threshold: number | null = null;
  if (json.threshold !== undefined && json.threshold !== null) {
    if (typeof json.threshold !== 'number' || !(json.threshold > 0 && json.threshold < 1)) bad('"threshold" must be a match probability between 0 and 1 (exclusive)');
    else threshold = json.threshold;
  }
  for (const key of ['one_to_one', 'deduplicate'] as const) {
    if (json[key] !== undefined && typeof json[key] !== 'boolean') bad(`"${key}" must be true or false`);
  }
  if (problems.length > 0) {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${where} is invalid: ${problems.join('; ')}.`, { file: where, problems: problems.length });
  }
  return {
    file: where, sources, fields, blocking, threshold,
    oneToOne: json.one_to_one !== false,
    deduplicate: json.deduplicate === true,
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
