/** The change log of persistent persons (merges and splits), for operators. */
import type { FastifyInstance } from 'fastify';
import type { PipelineContext } from '../../pipeline/context.js';
import { listPersonChanges, type PersonChangeQuery } from '../../pipeline/person-changes.js';
import { errorResponses } from '../schemas.js';

const ids = { type: 'array', items: { type: 'integer' } } as const;

const personChangeSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', enum: ['merge', 'split'] },
    personsBefore: { ...ids, description: 'Persistent person ids before the change' },
    personsAfter: { ...ids, description: 'Persistent person ids after the change' },
    evidence: { type: 'string', description: 'What made the change (links, weights, fields, deliveries); never a value from an upload' },
    run: { type: 'string', description: 'The job or review decision that made it' },
    by: { type: 'string', description: 'The principal' },
    at: { type: 'string' },
  },
} as const;

export async function personChangeRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.get<{ Querystring: PersonChangeQuery }>('/v1/person-changes', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['persons'], summary: 'Merges and splits of persistent persons, oldest first, paged by change id; filter by person id or run',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          after: { type: 'integer', minimum: 0, default: 0, description: 'Changes after this id' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          person: { type: 'integer', minimum: 1, description: 'Only changes with this persistent id before or after' },
          run: { type: 'string', minLength: 1, maxLength: 100, description: 'Only changes made by this job or review decision' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            changes: { type: 'array', items: personChangeSchema },
            next: { type: ['integer', 'null'], description: 'The `after` of the next page; null on the last' },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => listPersonChanges(ctx, request.query));
}
