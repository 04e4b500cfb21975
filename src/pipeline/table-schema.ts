/**
 * The shape of a table specification (issue 12), shared by the API's registration body
 * (server/table-schemas.ts) and the config file of `koppel table` (local-table.ts), as the job
 * schema is shared by job bodies and job files.
 */
import { Ajv } from 'ajv';

const name = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' } as const;
const label = { type: 'string', minLength: 1, maxLength: 128 } as const;
const isoDate = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;

const groupsMap = { type: 'object', maxProperties: 10000, additionalProperties: label } as const;

const dimensionSchema = {
  type: 'object', required: ['variable'], additionalProperties: false,
  properties: {
    variable: { type: 'string', minLength: 1, maxLength: 128, description: 'An attribute the project approves for the dataset, or `period` (the delivery period)' },
    band: { type: 'integer', minimum: 1, maximum: 1000, description: 'Numbers into bands: 1987 -> "1985-1989" with 5' },
    prefix: { type: 'integer', minimum: 1, maximum: 20, description: 'Codes into their first characters: NIS 11002 -> "11" with 2' },
    groups: { ...groupsMap, description: 'A code-list grouping: value -> group label; a value not listed stays itself' },
    hierarchy: {
      description: 'Levels above the leaves, each grouping the one below; the total is added on top',
      oneOf: [
        { type: 'object', required: ['bands'], additionalProperties: false, properties: { bands: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'integer', minimum: 2, maximum: 1000 } } } },
        { type: 'object', required: ['prefixes'], additionalProperties: false, properties: { prefixes: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'integer', minimum: 1, maximum: 20 } } } },
        { type: 'object', required: ['groups'], additionalProperties: false, properties: { groups: { type: 'array', minItems: 1, maxItems: 10, items: groupsMap } } },
      ],
    },
    categories: { type: 'array', minItems: 1, maxItems: 10000, items: label, description: 'The leaves, declared: a category without records is a zero cell; other values are left out' },
  },
} as const;

const policySchema = {
  type: 'object', additionalProperties: false,
  description: 'Overrides of the suppression defaults: threshold 10, (2,85) dominance, p% 10, zero cells published',
  properties: {
    min_frequency: { type: 'integer', minimum: 1, maximum: 1000 },
    dominance: { type: ['object', 'null'], required: ['n', 'k'], additionalProperties: false, properties: { n: { type: 'integer', minimum: 1, maximum: 10 }, k: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100 } }, description: '(n,k) dominance; null: not applied' },
    p_percent: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 100, description: 'p% rule; null: not applied' },
    zero_cells: { type: 'string', enum: ['publish', 'suppress'] },
  },
} as const;

const dcatSchema = {
  type: 'object', required: ['licence', 'publisher'], additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 500 },
    description: { type: 'string', maxLength: 5000 },
    licence: { type: 'string', minLength: 1, maxLength: 200, description: 'An SPDX id (CC-BY-4.0, CC0-1.0) or a licence URL' },
    publisher: { type: 'string', minLength: 1, maxLength: 200 },
    spatial: { type: 'string', maxLength: 500, description: 'Spatial coverage: a name or a URI (e.g. http://publications.europa.eu/resource/authority/country/BEL)' },
    temporal: { type: 'object', required: ['start', 'end'], additionalProperties: false, properties: { start: isoDate, end: isoDate } },
    keywords: { type: 'array', maxItems: 50, items: label },
  },
} as const;

export const tableSpecBodySchema = {
  type: 'object',
  required: ['name', 'title', 'source', 'dataset', 'dimensions', 'measure'],
  additionalProperties: false,
  properties: {
    name,
    title: { type: 'string', minLength: 1, maxLength: 500 },
    description: { type: 'string', maxLength: 5000 },
    source: {
      type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1,
      properties: { job: { type: 'string', pattern: '^job_[0-9a-f]{20}$' }, release: { type: 'string', pattern: '^rel_[0-9a-f]{20}$' } },
      description: 'Either `job`: a job of the project (a build may name a later one); or `release`: an approved release of the project, whose released files (generalised variables, release pseudonyms) the table counts',
    },
    dataset: { ...name, description: 'The dataset whose records the table counts' },
    dimensions: { type: 'array', minItems: 1, maxItems: 6, items: dimensionSchema },
    measure: { type: 'string', enum: ['persons', 'records', 'sum', 'mean'] },
    value: { type: 'string', maxLength: 128, description: 'The numeric attribute summed (sum, mean)' },
    unit: { type: 'string', maxLength: 128, description: 'An attribute naming the contributor unit (an employer number): contributions are added per unit before the dominance and p% rules; used in memory only' },
    policy: policySchema,
    loss: { type: 'string', enum: ['cells', 'value'], description: 'Information loss the secondary suppression minimises: value (default: each cell costs its count or sum, so totals move last) or cells (each cell costs 1)' },
    open_data: { type: 'boolean', description: 'Once approved, served without a token at /open/tables/{project}/{name}' },
    dcat: dcatSchema,
  },
} as const;


const { source: _source, dataset: _dataset, ...localProperties } = tableSpecBodySchema.properties;

/** `koppel table --config`: the specification without source and dataset, plus the file it reads. */
const tableFileSchema = {
  type: 'object',
  required: ['file', 'person', 'name', 'title', 'dimensions', 'measure'],
  additionalProperties: false,
  properties: {
    ...localProperties,
    file: { type: 'string', minLength: 1, maxLength: 4096, description: 'CSV (optionally gzipped), Arrow IPC or Parquet, relative to the config file' },
    person: { type: 'string', minLength: 1, maxLength: 128, description: 'The column naming each record\'s person' },
    period: { type: 'string', minLength: 1, maxLength: 128, description: 'The column holding each record\'s period, for a `period` dimension' },
    delimiter: { type: 'string', enum: [',', ';', '\t'] },
    encoding: { type: 'string', enum: ['utf-8', 'latin1'] },
    earlier: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 4096 }, description: 'Tables published before (their table.json or table.csv), relative to the config file: the build keeps their suppressed cells suppressed where shared' },
  },
} as const;

const validateTableFile = new Ajv({ allErrors: true, strict: false }).compile(tableFileSchema);

/** Shape problems of a `koppel table` config, each naming its field. */
export function tableFileShapeProblems(json: unknown): string[] {
  if (validateTableFile(json)) return [];
  return (validateTableFile.errors ?? []).map((e) => `${e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replaceAll('/', '.')}: ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : ''}`);
}
