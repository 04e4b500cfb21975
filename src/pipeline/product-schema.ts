/**
 * The JSON Schema of a recurrent product's settings, defined once: the server's routes take
 * their body schemas from here (fastify validates with them and publishes them in the OpenAPI
 * document), and products.ts checks a body with the same schema when it comes by another path.
 * The job settings are the job body's (job-schema.ts), without `deliveries`: a run chooses those.
 */
import { Ajv } from 'ajv';
import { blockingSchema, columnsSchema, engineSchema, fieldsSchema, thresholdSchema, uniqueSchema } from './job-schema.js';

const PERIOD = { type: 'string', pattern: '^\\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$' } as const;

const jobSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'The job body\'s settings (POST /v1/projects/{project}/jobs) without deliveries; each run uses the period\'s current deliveries of the product\'s datasets',
  properties: {
    fields: fieldsSchema({ name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' }, format: false }),
    columns: { type: 'object', description: 'dataset -> field -> linkage column, where a dataset has two linkage columns of one type', additionalProperties: columnsSchema },
    unique: { type: 'object', description: 'dataset -> whether a person has at most one record in it (default: detected)', additionalProperties: uniqueSchema },
    blocking: blockingSchema,
    threshold: thresholdSchema,
    engine: engineSchema,
  },
} as const;

const releaseOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'The release build\'s options (POST /v1/jobs/{id}/releases)',
  properties: {
    justification: {
      type: 'string', minLength: 10, maxLength: 2000,
      description: 'Why the researchers may hold the release next to others with the same record-level columns; recorded in the audit trail and the manifest',
    },
  },
} as const;

const productProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200, description: 'What the product is, for people (e.g. "job seekers\' paths into work")' },
  schedule: { type: 'string', enum: ['monthly', 'quarterly', 'yearly'], description: 'Its periods; each dataset\'s schedule must be as fine or finer (a quarter needs three monthly deliveries)' },
  datasets: {
    type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
    description: 'The datasets whose deliveries a period needs, each approved by the project; their order is the job\'s',
  },
  from: { ...PERIOD, description: 'The first period it runs for, spelt as its schedule\'s periods (default: the period of the registration day)' },
  job: jobSettingsSchema,
  release: releaseOptionsSchema,
} as const;

/** POST /v1/projects/{project}/products and PUT /v1/products/{id}. */
export const productBodySchema = {
  type: 'object',
  required: ['name', 'schedule', 'datasets'],
  additionalProperties: false,
  properties: productProperties,
} as const;

/** PATCH /v1/products/{id}: the settings named replace the product's (job and release as a whole). */
export const productPatchSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: productProperties,
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = { body: ajv.compile(productBodySchema), patch: ajv.compile(productPatchSchema) };

/** Shape problems as `where: what` (never a value from the body); none when it has the shape. */
export function productShapeProblems(body: unknown, kind: 'body' | 'patch'): string[] {
  const validate = validators[kind];
  if (validate(body)) return [];
  return [...new Set((validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty.slice(0, 64)}"` : '';
    return `${e.instancePath === '' ? 'the body' : e.instancePath.slice(1).replaceAll('/', '.')} ${e.message ?? 'is invalid'}${extra}`;
  }))];
}
