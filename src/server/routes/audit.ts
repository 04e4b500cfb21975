/** The audit trail, for operators. */
import type { FastifyInstance } from 'fastify';
import type { PipelineContext } from '../../pipeline/context.js';
import { auditEntrySchema, errorResponses } from '../schemas.js';
import type { RefusalAudit } from '../refusal-audit.js';

export async function auditRoutes(app: FastifyInstance, ctx: PipelineContext, refusals: RefusalAudit): Promise<void> {
  app.get<{ Querystring: { after?: number; limit?: number } }>('/v1/audit', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['audit'], summary: 'The append-only audit trail (HMAC chain), oldest first, paged by sequence number',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { after: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            entries: { type: 'array', items: auditEntrySchema },
            head: { type: ['object', 'null'], properties: { seq: { type: 'integer' }, mac: { type: 'string' } } },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    // Refusals counted since the last flush belong in what the operator reads.
    refusals.flush();
    return { entries: ctx.store.listAudit({ after: request.query.after, limit: request.query.limit }), head: ctx.store.auditHead() };
  });
}
