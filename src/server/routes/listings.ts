/**
 * Who am I, and the lists a person needs to find their way: deliveries, projects, jobs, and the
 * audit chain's verification status. Each route keeps the role rules of the resource it lists.
 */
import type { FastifyInstance } from 'fastify';
import { listDeliveriesFor, listJobs, listProjectsFor, auditStatus, type DeliveryQuery } from '../../pipeline/listings.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { principalOf } from '../auth.js';
import { deliverySchema, errorResponses, idOf, jobSchema, projectSchema } from '../schemas.js';

const whoamiSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'The principal, `role:name`.' },
    role: { type: 'string', enum: ['operator', 'supplier', 'researcher'] },
    name: { type: 'string' },
  },
} as const;

const { report: _report, settings: _settings, ...jobSummaryProperties } = jobSchema.properties;
const jobSummarySchema = { type: 'object', properties: jobSummaryProperties } as const;

const auditStatusSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean', description: 'Every entry verifies under the audit key, in order, and every data file an entry recorded matches its hash.' },
    entries: { type: 'integer' },
    firstBad: { type: 'integer', description: 'seq of the first entry that does not verify.' },
    reason: { type: 'string' },
    files: { type: 'object', properties: { checked: { type: 'integer' }, missing: { type: 'integer' } } },
    head: { type: ['object', 'null'], properties: { seq: { type: 'integer' }, mac: { type: 'string' } } },
    checked_at: { type: 'string' },
  },
} as const;

export async function listingRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.get('/v1/whoami', {
    config: { roles: ['operator', 'supplier', 'researcher'] },
    schema: {
      tags: ['auth'], summary: 'The principal the bearer token names (any valid token)',
      security: [{ bearer: [] }],
      response: { 200: whoamiSchema, ...errorResponses },
    },
  }, async (request) => principalOf(request));

  app.get<{ Querystring: DeliveryQuery }>('/v1/deliveries', {
    config: { roles: ['operator', 'supplier'] },
    schema: {
      tags: ['deliveries'], summary: 'Deliveries with their quality reports, oldest first (an operator sees all, a supplier those of its own datasets)',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { dataset: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' }, status: { type: 'string', enum: ['current', 'superseded'] } },
      },
      response: { 200: { type: 'array', items: deliverySchema }, ...errorResponses },
    },
  }, async (request) => listDeliveriesFor(ctx, principalOf(request), request.query));

  app.get('/v1/projects', {
    config: { roles: ['operator', 'researcher'] },
    schema: {
      tags: ['projects'], summary: 'Project authorisations (an operator sees all, a researcher the projects that name it)',
      security: [{ bearer: [] }],
      response: { 200: { type: 'array', items: projectSchema }, ...errorResponses },
    },
  }, async (request) => listProjectsFor(ctx, principalOf(request)));

  app.get<{ Querystring: { project?: string; limit: number } }>('/v1/jobs', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['jobs'], summary: 'Linkage jobs, newest first, with status and progress (without reports: read one job for its report)',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { project: idOf('prj'), limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
      },
      response: { 200: { type: 'array', items: jobSummarySchema }, ...errorResponses },
    },
  }, async (request) => listJobs(ctx, request.query));

  app.get('/v1/audit/verification', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['audit'], summary: 'Verify the audit chain now (as `koppel audit verify` does): whether it holds, how many entries, the first bad one',
      security: [{ bearer: [] }],
      response: { 200: auditStatusSchema, ...errorResponses },
    },
  }, async () => auditStatus(ctx));
}
