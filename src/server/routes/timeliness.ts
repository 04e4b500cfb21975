/** Supplier timeliness: operators see every dataset's, a supplier its own. */
import type { FastifyInstance } from 'fastify';
import type { PipelineContext } from '../../pipeline/context.js';
import { TIMELINESS_STATUSES } from '../../pipeline/timeliness.js';
import { timelinessFor, type TimelinessQuery } from '../../pipeline/timeliness-view.js';
import { principalOf } from '../auth.js';
import { errorResponses } from '../schemas.js';

const nullableInteger = { type: ['integer', 'null'] } as const;

const entrySchema = {
  type: 'object',
  properties: {
    dataset: { type: 'string' },
    supplier: { type: 'string' },
    period: { type: 'string' },
    due_date: { type: 'string', description: 'The last day (UTC) on which the delivery is on time: the period\'s end plus the dataset\'s due_days.' },
    status: {
      type: 'string', enum: [...TIMELINESS_STATUSES],
      description: 'on_time, late (arrived after the due day), missing (due day passed, nothing delivered), not_yet_due, superseded (a later version replaced it), rejected (only refused uploads), declared_empty (delivered empty on purpose).',
    },
    delivered_on: { type: ['string', 'null'], description: 'The day the first accepted version arrived.' },
    days_late: { ...nullableInteger, description: 'Days past the due day: of the first accepted version (0 when on time), or overdue so far when nothing was accepted; null while not due.' },
    versions: { type: 'integer' },
    rejected_uploads: { type: 'integer' },
    delivery: { type: ['string', 'null'], description: 'The current delivery\'s id.' },
  },
} as const;

const summarySchema = {
  type: 'object',
  properties: {
    supplier: { type: 'string' },
    dataset: { type: 'string' },
    periods_due: { type: 'integer' },
    counts: { type: 'object', properties: Object.fromEntries(TIMELINESS_STATUSES.map((s) => [s, { type: 'integer' }])) },
    median_days_late: { type: ['number', 'null'] },
    worst_days_late: nullableInteger,
    share_on_time: { type: ['number', 'null'], description: 'Deliveries made by their due day over periods due.' },
  },
} as const;

const periodQuery = { type: 'string', maxLength: 16, description: 'A period: YYYY, YYYYQn or YYYY-MM; periods overlapping from..to are shown.' } as const;

export async function timelinessRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.get<{ Querystring: TimelinessQuery }>('/v1/timeliness', {
    config: { roles: ['operator', 'supplier'] },
    schema: {
      tags: ['deliveries'], summary: 'Supplier timeliness: each expected delivery\'s status and delay, with summaries per dataset and supplier (a supplier sees its own)',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { dataset: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' }, from: periodQuery, to: periodQuery },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            today: { type: 'string' },
            entries: { type: 'array', items: entrySchema },
            datasets: { type: 'array', items: summarySchema },
            suppliers: { type: 'array', items: summarySchema },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => timelinessFor(ctx, principalOf(request), request.query));
}
