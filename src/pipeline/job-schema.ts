/**
 * The linkage settings that a server job body (POST /v1/projects/{p}/jobs) and a `koppel link`
 * job file share - `fields`, `blocking`, `threshold`, `unique`, `columns`, `engine` - defined once: their
 * JSON Schema, which server/schemas.ts puts in the job body's schema (fastify validates bodies
 * with it) and which the job file's schema here is built from, compiled once when this module
 * loads; and the checks that span settings (a field defined twice, a blocking rule or column
 * mapping naming a field the job does not define), which both paths run.
 *
 * Shape problems of a job file are told in the job's terms (`field surname: unknown type ...`,
 * `source rsz needs an "id" column`), never as schema paths.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { FIELD_TYPES } from '../model.js';
import { TOKEN_SLOTS } from '../pseudonymise/encoded-source.js';
import { isDateFormat } from '../ingest/date-format.js';
import { LINK_ENGINE_NAMES } from '../link/link-engine.js';

const COLUMN_NAME = { type: 'string', minLength: 1, maxLength: 128 } as const;
const RULE_PART = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** Comparison fields. A job file names a date field's format itself; a job body takes it from the dataset. */
export function fieldsSchema(options: { readonly name: object; readonly format: boolean }) {
  return {
    type: 'array', minItems: 1, maxItems: 50,
    description: 'Comparison fields (job body default: the national id and every linkage type two deliveries share)',
    items: {
      type: 'object', required: ['name', 'type'], additionalProperties: false,
      properties: { name: options.name, type: { type: 'string', enum: [...FIELD_TYPES] }, ...(options.format ? { format: { type: 'string', maxLength: 32 } } : {}) },
    },
  } as const;
}

export const blockingSchema = {
  type: 'array', minItems: 1, maxItems: 20,
  description: 'Blocking rules as lists of field names, optionally with a token slot (surname.phonetic); a single name may stand for a list of one',
  items: { anyOf: [RULE_PART, { type: 'array', minItems: 1, maxItems: 5, items: RULE_PART }] },
} as const;

export const thresholdSchema = {
  type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1,
  description: 'Match probability from which a pair links (default: chosen by the engine and reported)',
} as const;

/** Where the pseudonym join, blocking and comparison run (link/link-engine.ts). */
export const engineSchema = {
  enum: LINK_ENGINE_NAMES,
  description: 'Where the pseudonym join, blocking and comparison run: in-process (default) or the SQL plan on DuckDB (needs the optional package @duckdb/node-api); the links are the same',
} as const;

/** Per source (job file) or per dataset (job body): whether a person has at most one record in it. */
export const uniqueSchema = { type: 'boolean' } as const;

/** Per source (job file) or per dataset (job body): field name -> the column that serves it. */
export const columnsSchema = { type: 'object', additionalProperties: COLUMN_NAME } as const;

const jobFileSchema = {
  type: 'object',
  required: ['sources', 'fields'],
  additionalProperties: false,
  properties: {
    sources: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', required: ['name', 'path', 'id'], additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 }, path: { type: 'string', minLength: 1 }, id: { type: 'string', minLength: 1 },
          unique: uniqueSchema, columns: columnsSchema, delimiter: { enum: [',', ';', '\t', 'tab'] }, encoding: { type: 'string' },
        },
      },
    },
    fields: fieldsSchema({ name: { type: 'string', minLength: 1 }, format: true }),
    blocking: blockingSchema,
    threshold: thresholdSchema,
    one_to_one: { type: 'boolean' },
    deduplicate: { type: 'boolean' },
    engine: engineSchema,
  },
} as const;

const validateJobFile = new Ajv({ allErrors: true, strict: true }).compile(jobFileSchema);

type Json = Record<string, unknown>;

/** Shape problems of a parsed job file, in the job's terms (none: it has the shape of a job file). */
export function jobFileShapeProblems(json: Json): string[] {
  if (validateJobFile(json)) return [];
  const problems = new Set<string>();
  for (const e of validateJobFile.errors ?? []) {
    // anyOf reports each branch that failed, then itself: the branches say nothing more.
    if (e.schemaPath.includes('/anyOf/')) continue;
    problems.add(describe(json, e));
  }
  return [...problems];
}

function describe(json: Json, e: ErrorObject): string {
  const [list, index, key] = e.instancePath.split('/').slice(1);
  const i = Number(index);
  const item = (Array.isArray(json[list]) ? (json[list] as unknown[])[i] : undefined) as Json | undefined;
  const named = typeof item?.name === 'string' && item.name.length > 0 ? item.name : null;
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : null;
  const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : null;
  if (list === undefined) return extra !== null ? `unknown setting "${extra}"` : `"${missing}" must be a non-empty list`;
  if (list === 'fields' || list === 'sources') {
    const label = list === 'fields' ? `field ${named ?? i}` : `source ${named ?? `sources[${i}]`}`;
    if (index === undefined) return `"${list}" must be a non-empty list`;
    if (key === undefined) {
      if (e.keyword === 'type') return `${list}[${i}] must be an object`;
      if (extra !== null) return `${label}: unknown setting "${extra}"`;
      if (missing === 'name') return `${list}[${i}] needs a "name"`;
      if (missing === 'type') return `${label}: unknown type null (types: ${FIELD_TYPES.join(', ')})`;
      return `${label} needs ${missing === 'id' ? 'an "id" column' : `a "${missing}"`}`;
    }
    return list === 'fields' ? fieldProblem(label, key, item) : sourceProblem(label, key, e);
  }
  if (list === 'blocking') return index === undefined ? '"blocking" must be a non-empty list of lists of field names' : `blocking[${i}] must be a list of field names`;
  if (list === 'threshold') return '"threshold" must be a match probability between 0 and 1 (exclusive)';
  if (list === 'engine') return `"engine" must be one of ${LINK_ENGINE_NAMES.join(', ')}`;
  return `"${list}" must be true or false`;
}

function fieldProblem(label: string, key: string, item: Json | undefined): string {
  if (key === 'type') return `${label}: unknown type ${JSON.stringify(item?.type ?? null)} (types: ${FIELD_TYPES.join(', ')})`;
  if (key === 'format') return `${label}: unknown date format ${JSON.stringify(item?.format ?? null)} (build it from YYYY, MM, DD and separators, e.g. YYYY-MM-DD)`;
  return `${label}: "${key}" must be a non-empty string`;
}

function sourceProblem(label: string, key: string, e: ErrorObject): string {
  if (key === 'unique') return `${label}: "unique" must be true or false`;
  if (key === 'delimiter') return `${label}: delimiter must be ",", ";" or tab`;
  if (key === 'encoding') return `${label}: encoding must be utf-8 or latin1`;
  if (key === 'columns') {
    const field = e.instancePath.split('/')[4];
    return field === undefined ? `${label}: "columns" must map field names to column names` : `${label}: column for field ${field} must be a column name`;
  }
  return `${label} needs a "${key}"${key === 'id' ? ' column' : ''}`;
}

/** What the cross-setting checks look at, whichever path the settings came by. */
export interface SettingsToCheck {
  readonly fields: readonly { readonly name: string; readonly type: string; readonly format?: unknown }[];
  readonly blocking?: readonly (string | readonly string[])[] | null;
  /** Per source or dataset label (`source rsz`, `columns.rsz_set`): its field -> column map. */
  readonly columns?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The job file names each date field's format (the job body takes it from the dataset). */
  readonly dateFormats: boolean;
}

/** Problems that span settings; the shapes were checked by the schema already. */
export function settingsProblems(s: SettingsToCheck): string[] {
  const problems: string[] = [];
  const types = new Map<string, string>();
  for (const f of s.fields) {
    if (types.has(f.name)) problems.push(`field ${f.name} is defined twice`);
    types.set(f.name, f.type);
    if (!s.dateFormats) continue;
    if (f.type === 'date' && (typeof f.format !== 'string' || !isDateFormat(f.format))) {
      problems.push(`field ${f.name}: unknown date format ${JSON.stringify(f.format ?? null)} (build it from YYYY, MM, DD and separators, e.g. YYYY-MM-DD)`);
    } else if (f.type !== 'date' && f.format !== undefined) problems.push(`field ${f.name}: "format" applies only to date fields`);
  }
  if (s.fields.filter((f) => f.type === 'national_id').length > 1) problems.push('at most one field may have type national_id');
  (s.blocking ?? []).forEach((rule, i) => {
    for (const entry of typeof rule === 'string' ? [rule] : rule) {
      const [name, slot] = entry.split('.');
      const type = types.get(name) as keyof typeof TOKEN_SLOTS | undefined;
      if (type === undefined) problems.push(`blocking[${i}] names field ${name}, which "fields" does not define`);
      else if (slot !== undefined && !TOKEN_SLOTS[type].includes(slot)) problems.push(`blocking[${i}]: field ${name} (${type}) has no part "${slot}" (parts: ${TOKEN_SLOTS[type].join(', ')})`);
    }
  });
  for (const [label, map] of s.columns ?? []) {
    for (const field of Object.keys(map)) if (!types.has(field)) problems.push(`${label}: "columns" maps field ${field}, which "fields" does not define`);
  }
  return problems;
}

/** Blocking rules with a lone name written as a list of one. */
export function blockingRules(blocking: readonly (string | readonly string[])[]): string[][] {
  return blocking.map((rule) => (typeof rule === 'string' ? [rule] : [...rule]));
}
