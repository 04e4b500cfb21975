/** JSON Schemas of the table routes (issue 12): specification, version, open-data documents. */
import { tableSpecBodySchema } from '../pipeline/table-schema.js';

const freeObject = { type: 'object', additionalProperties: true } as const;

export const tableIdOf = (prefix: 'tbl' | 'tbv') => ({ type: 'string', pattern: `^${prefix}_[0-9a-f]{20}$` }) as const;

export { tableSpecBodySchema };

export const tableSpecSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, project_id: { type: 'string' }, name: { type: 'string' },
    spec: { type: 'object', properties: tableSpecBodySchema.properties },
    created_at: { type: 'string' }, created_by: { type: 'string' },
  },
} as const;

export const tableBuildBodySchema = {
  type: 'object', additionalProperties: false,
  maxProperties: 1,
  properties: {
    job: { type: 'string', pattern: '^job_[0-9a-f]{20}$', description: 'Build from this job of the project instead of the specification\'s source (a later quarter, a correction)' },
    release: { type: 'string', pattern: '^rel_[0-9a-f]{20}$', description: 'Build from this approved release of the project instead of the specification\'s source' },
  },
} as const;

export const tableVersionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, table_id: { type: 'string' }, name: { type: 'string' }, project_id: { type: 'string' }, job_id: { type: 'string' },
    status: { type: 'string', enum: ['draft', 'approved', 'superseded'] },
    version: { type: ['integer', 'null'], description: 'Numbered at approval: 1, 2, ... per table' },
    manifest: freeObject,
    files: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, bytes: { type: 'integer' }, sha256: { type: 'string' } } } },
    created_at: { type: 'string' }, created_by: { type: 'string' },
    approved_at: { type: ['string', 'null'] }, approved_by: { type: ['string', 'null'] }, superseded_by: { type: ['string', 'null'] },
    withdrawn: { type: ['object', 'null'], properties: { at: { type: 'string' }, by: { type: 'string' }, reason: { type: 'string' } } },
  },
} as const;

export const tableFileParam = {
  type: 'object', required: ['name'],
  properties: { name: { type: 'string', maxLength: 32, enum: ['table.csv', 'table.json', 'table.sdmx.csv', 'datapackage.json', 'manifest.json'] } },
} as const;

export const fileResponse = {
  description: 'The file: CSV with a flag column, JSON-stat 2.0, SDMX-CSV 2.0, the Frictionless data package or the manifest',
  content: {
    'text/csv': { schema: { type: 'string', format: 'binary' } },
    'application/vnd.sdmx.data+csv; version=2.0.0': { schema: { type: 'string', format: 'binary' } },
    'application/json': { schema: { type: 'string', format: 'binary' } },
  },
} as const;

export const jsonLdResponse = {
  description: 'A DCAT-AP record (JSON-LD)',
  content: { 'application/ld+json': { schema: freeObject } },
} as const;
