/**
 * JSON Schemas of every request and response. They validate input, drive the response
 * serializers (which drop any property not listed: nothing leaks by accident) and are published
 * as the OpenAPI document at /docs/json.
 */
import { ATTRIBUTE_TYPES, COLUMN_ROLES, FIELD_TYPES } from '../model.js';
import { blockingSchema, columnsSchema, engineSchema, fieldsSchema, thresholdSchema, uniqueSchema } from '../pipeline/job-schema.js';

/**
 * Ids are `<prefix>_<20 hex>`: anything else is refused by the schema, so that no error message
 * ever repeats a path segment that could hold an identifier.
 */
export const idOf = (prefix: 'dlv' | 'job' | 'rel' | 'prj' | 'tok' | 'prd') => ({ type: 'string', pattern: `^${prefix}_[0-9a-f]{20}$` }) as const;
const freeObject = { type: 'object', additionalProperties: true } as const;
const isoDate = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'Stable KOPPEL_ERR_* code; see the README error table.' },
    error: { type: 'string' },
    message: { type: 'string' },
    details: freeObject,
  },
} as const;

export const columnSchema = {
  type: 'object',
  required: ['name', 'role'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    role: { type: 'string', enum: [...COLUMN_ROLES] },
    type: { type: 'string', enum: [...new Set([...FIELD_TYPES, ...ATTRIBUTE_TYPES])] },
    format: { type: 'string', maxLength: 32 },
    unit: { type: 'string', maxLength: 64 },
    codes: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 256 } },
    derive: { type: 'string', maxLength: 128 },
    required: { type: 'boolean' },
  },
} as const;

export const datasetBodySchema = {
  type: 'object',
  required: ['name', 'supplier', 'schedule', 'columns'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
    supplier: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
    schedule: { type: 'string', enum: ['yearly', 'quarterly', 'monthly', 'adhoc'] },
    due_days: { type: 'integer', minimum: 0, maximum: 366, description: 'Days after a period ends by which its delivery is due (default monthly 30, quarterly 45, yearly 90; none for adhoc).' },
    expected_from: { type: 'string', maxLength: 16, description: 'The first period a delivery is expected for, spelt as the schedule\'s periods (default: the period of the registration day).' },
    description: { type: 'string', maxLength: 2000 },
    columns: { type: 'array', minItems: 1, maxItems: 500, items: columnSchema },
  },
} as const;

export const datasetRecordSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    supplier: { type: 'string' },
    schema: { type: 'object', properties: datasetBodySchema.properties },
    created_at: { type: 'string' },
    created_by: { type: 'string' },
  },
} as const;

export const qualityReportSchema = {
  type: 'object',
  description: 'Rows read, kept and rejected; national-number outcomes; per fault reason the count and the first row numbers (row 1 = first data row after the header). Never a value.',
  properties: {
    rows_read: { type: 'integer' },
    rows_kept: { type: 'integer' },
    rows_rejected: { type: 'integer' },
    national_id: { type: 'object', additionalProperties: { type: 'integer' } },
    linkage_fields: {
      type: 'object',
      description: 'Per linkage column: values missing (nulls) and present but unparseable (invalid), kept as null encodings',
      additionalProperties: { type: 'object', properties: { nulls: { type: 'integer' }, invalid: { type: 'integer' } } },
    },
    faults: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          reason: { type: 'string' },
          column: { type: 'string' },
          count: { type: 'integer' },
          first_rows: { type: 'array', items: { type: 'integer' } },
        },
      },
    },
  },
} as const;

export const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    dataset: { type: 'string' },
    period: { type: 'string' },
    version: { type: 'integer' },
    status: { type: 'string', enum: ['current', 'superseded'] },
    rows_kept: { type: 'integer' },
    declared_empty: { type: 'boolean' },
    key_id: { type: 'string' },
    body_sha256: { type: 'string' },
    created_at: { type: 'string' },
    created_by: { type: 'string' },
    superseded_by: { type: ['string', 'null'] },
    report: qualityReportSchema,
  },
} as const;

export const projectBodySchema = {
  type: 'object',
  required: ['title', 'purpose', 'legal_basis', 'valid_from', 'valid_to', 'researchers', 'approved', 'key_variables', 'k'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 500 },
    purpose: { type: 'string', minLength: 1, maxLength: 5000 },
    legal_basis: { type: 'string', minLength: 1, maxLength: 500 },
    valid_from: isoDate,
    valid_to: isoDate,
    researchers: { type: 'array', minItems: 1, maxItems: 200, items: { type: 'string', pattern: '^researcher:[A-Za-z0-9._-]{1,64}$' } },
    approved: { type: 'object', minProperties: 1, additionalProperties: { type: 'array', maxItems: 500, items: { type: 'string', maxLength: 128 } } },
    key_variables: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 128 } },
    k: { type: 'integer', minimum: 2, maximum: 1000 },
    generalise: {
      type: 'object',
      description: 'Key variable -> recoding applied before suppression: { "band": n } for numbers (1987 -> "1985-1989" with 5), { "prefix": n } for codes (NIS 11002 -> "11" with 2)',
      additionalProperties: {
        oneOf: [
          { type: 'object', required: ['band'], additionalProperties: false, properties: { band: { type: 'integer', minimum: 2, maximum: 1000 } } },
          { type: 'object', required: ['prefix'], additionalProperties: false, properties: { prefix: { type: 'integer', minimum: 1, maximum: 6 } } },
        ],
      },
    },
    hierarchies: {
      type: 'object',
      description: 'Key variable -> generalisation hierarchy searched for least information loss; every hierarchy ends in "*". { "bands": [5, 10] } for numbers (1987 -> "1985-1989" -> "1980-1989"), { "prefixes": [2, 1] } for codes (NIS 11002 -> "11" -> "1"), { "groups": [{ "BE": "EU", "MA": "non-EU" }] } for code lists',
      additionalProperties: {
        oneOf: [
          { type: 'object', required: ['bands'], additionalProperties: false, properties: { bands: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'integer', minimum: 2, maximum: 1000 } } } },
          { type: 'object', required: ['prefixes'], additionalProperties: false, properties: { prefixes: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'integer', minimum: 1, maximum: 20 } } } },
          { type: 'object', required: ['groups'], additionalProperties: false, properties: { groups: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'object', additionalProperties: { type: 'string', maxLength: 128 } } } } },
        ],
      },
    },
    suppression_limit: { type: 'number', minimum: 0, maximum: 1, description: 'Share of persons that may lose values to local suppression (default 0.01)' },
    sensitive: {
      type: 'object',
      description: 'l-diversity: every group of key values holds at least l distinct values of this approved attribute',
      required: ['attribute', 'l'],
      additionalProperties: false,
      properties: { attribute: { type: 'string', maxLength: 128 }, l: { type: 'integer', minimum: 2, maximum: 100 } },
    },
    longitudinal: {
      type: 'boolean',
      description: 'true: the project\'s releases share one release key (release:<project id>) so they can be joined over time; default false: each release has its own key (release:<project id>:<release id>)',
    },
    release_metadata: {
      type: 'object',
      additionalProperties: false,
      description: 'How linkage metadata is released. Defaults: match_probability "bands", link_method "omit", period_pattern "key". "key" and "bands" put a person-level column in persons, counted as a key variable',
      properties: {
        match_probability: { type: 'string', enum: ['bands', 'omit'] },
        link_method: { type: 'string', enum: ['key', 'omit'] },
        period_pattern: { type: 'string', enum: ['key', 'omit'] },
      },
    },
  },
} as const;

export const releaseBuildBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    justification: {
      type: 'string', minLength: 10, maxLength: 2000,
      description: 'Why a researcher may hold this release next to others with the same record-level columns of a dataset; recorded in the audit trail and the manifest',
    },
  },
} as const;

export const projectSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Immutable project id; with the release id, the input of a release key (release:<project id>:<release id>, or release:<project id> for a longitudinal project).' },
    ...projectBodySchema.properties,
    created_at: { type: 'string' },
    created_by: { type: 'string' },
  },
} as const;

export const jobBodySchema = {
  type: 'object',
  required: ['deliveries'],
  additionalProperties: false,
  properties: {
    deliveries: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: idOf('dlv'), description: 'Delivery ids, in the order the release lists sources' },
    // The settings a job body shares with the job file of `koppel link`: one schema (job-schema.ts).
    fields: fieldsSchema({ name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' }, format: false }),
    columns: { type: 'object', description: 'dataset -> field -> linkage column, where a dataset has two linkage columns of one type', additionalProperties: columnsSchema },
    unique: { type: 'object', description: 'dataset -> whether a person has at most one record in it (default: detected)', additionalProperties: uniqueSchema },
    blocking: blockingSchema,
    threshold: thresholdSchema,
    mode: { type: 'string', enum: ['incremental', 'full'], description: 'incremental: link only deliveries the previous successful job did not, against its persons; full: relink all. Default: incremental when possible' },
    review: { type: 'object', required: ['lower', 'upper'], additionalProperties: false, properties: { lower: { type: 'number' }, upper: { type: 'number' } },
      description: 'The uncertain band sent to clerical review, in total match weights (log2 odds); default: match probability 0.2 to 0.9, widened to hold the threshold' },
    engine: engineSchema,
  },
} as const;

export const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    project_id: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
    settings: freeObject,
    progress: freeObject,
    report: freeObject,
    error: freeObject,
    created_at: { type: 'string' },
    created_by: { type: 'string' },
    started_at: { type: ['string', 'null'] },
    finished_at: { type: ['string', 'null'] },
  },
} as const;

export const releaseSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    job_id: { type: 'string' },
    project_id: { type: 'string' },
    status: { type: 'string', enum: ['draft', 'approved'] },
    created_by: { type: 'string', description: 'The operator who built the release.' },
    approved_by: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    approved_at: { type: ['string', 'null'] },
    withdrawn: {
      type: ['object', 'null'], description: 'Set once an operator withdrew the approved release: its files are no longer served (410).',
      properties: { at: { type: 'string' }, by: { type: 'string' }, reason: { type: 'string' } },
    },
    manifest: freeObject,
  },
} as const;

export const releaseWithdrawBodySchema = {
  type: 'object', required: ['reason'], additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 10, maxLength: 2000, description: 'Why the release is withdrawn; recorded in the audit trail' } },
} as const;

export const recheckSchema = {
  type: 'object',
  properties: {
    release: { type: 'string' },
    project: { type: 'string' },
    manifest_version: { type: 'integer', description: 'The rules the release was approved under (1: before `rules` were recorded).' },
    withdrawn: { type: 'boolean' },
    would_refuse: { type: 'boolean', description: 'A build like this release would be refused under the current rules.' },
    findings: {
      type: 'array',
      items: { type: 'object', properties: { rule: { type: 'string', enum: ['k_anonymity', 'key_variable_copy', 'linkage_metadata', 'exposure'] }, message: { type: 'string' } } },
    },
  },
} as const;

export const auditEntrySchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    ts: { type: 'string' },
    actor: { type: 'string' },
    action: { type: 'string' },
    target: { type: ['string', 'null'] },
    outcome: { type: 'string' },
    detail: freeObject,
    key_id: { type: 'string' },
    prev_mac: { type: 'string' },
    mac: { type: 'string' },
  },
} as const;

export const errorResponses = {
  400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' },
} as const;

export const idParam = (name: string, prefix: Parameters<typeof idOf>[0]) => ({
  type: 'object',
  required: [name],
  properties: { [name]: idOf(prefix) },
}) as const;
