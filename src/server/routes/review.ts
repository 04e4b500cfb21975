/**
 * Clerical review of a job's uncertain pairs (README "Clerical review"): reviewers and
 * operators read the queue and decide pairs. Responses carry record references, comparison
 * levels, weights and the project's releasable attributes only; never a value of a linkage
 * column or the national number.
 */
import type { FastifyInstance } from 'fastify';
import type { PipelineContext } from '../../pipeline/context.js';
import { decideReviewPair } from '../../pipeline/review-decide.js';
import { listReviewQueue, readReviewPair, REVIEW_STATES, type ReviewState } from '../../pipeline/review-queue.js';
import { DECISIONS, type Decision } from '../../store/review-decisions.js';
import { principalOf } from '../auth.js';
import { errorResponses, idOf } from '../schemas.js';

const ROLES = ['reviewer', 'operator'] as const;

const recordRef = { type: 'object', properties: { delivery: { type: 'string' }, row: { type: 'integer' } } } as const;

const pairSchema = {
  type: 'object',
  properties: {
    pair: { type: 'integer', description: 'The pair\'s number in the job\'s queue' },
    state: { type: 'string', enum: ['open', ...DECISIONS] },
    decided_by: { type: ['string', 'null'] },
    left: recordRef,
    right: recordRef,
    match_weight: { type: 'number', description: 'Total match weight (log2 odds, prior included)' },
    match_probability: { type: 'number' },
    provisional: { type: 'string', enum: ['linked', 'not linked'], description: 'What the threshold decided in this run' },
    fields: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, level: { type: 'string', description: 'Comparison level reached: exact, phonetic, a Dice band, day and month swapped, null (missing), different, ...' }, weight: { type: 'number' } } },
    },
  },
} as const;

const recordView = {
  type: 'object',
  properties: {
    ...recordRef.properties,
    dataset: { type: 'string' },
    period: { type: 'string' },
    attributes: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] }, description: 'The attributes the project releases from this dataset, key variables recoded as the release recodes them' },
    withheld: { type: 'array', items: { type: 'string' }, description: 'Key variables whose recoding is chosen at release build: not shown' },
  },
} as const;

const pairParams = {
  type: 'object', required: ['id', 'pair'],
  properties: { id: idOf('job'), pair: { type: 'string', pattern: '^(0|[1-9][0-9]{0,8})$', description: 'The pair\'s number in the queue' } },
} as const;

export async function reviewRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { state?: ReviewState; offset?: number; limit?: number } }>('/v1/jobs/:id/review', {
    config: { roles: [...ROLES] },
    schema: {
      tags: ['review'], summary: 'A finished job\'s clerical review queue: the uncertain pairs in a state (default open), paged; per field the level reached and its weight',
      security: [{ bearer: [] }],
      params: { type: 'object', required: ['id'], properties: { id: idOf('job') } },
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          state: { type: 'string', enum: [...REVIEW_STATES], default: 'open' },
          offset: { type: 'integer', minimum: 0, default: 0 },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            job: { type: 'string' }, state: { type: 'string' }, offset: { type: 'integer' }, limit: { type: 'integer' },
            total: { type: 'integer', description: 'Pairs in this state' }, pairs: { type: 'array', items: pairSchema },
          },
        },
        ...errorResponses, 409: { $ref: 'Error#' },
      },
    },
  }, async (request) => listReviewQueue(ctx, request.params.id, request.query));

  app.get<{ Params: { id: string; pair: string } }>('/v1/jobs/:id/review/:pair', {
    config: { roles: [...ROLES] },
    schema: {
      tags: ['review'], summary: 'One pair of the queue, with the two records\' releasable attributes (never a name, number or birth date)',
      security: [{ bearer: [] }],
      params: pairParams,
      response: { 200: { type: 'object', properties: { ...pairSchema.properties, records: { type: 'object', properties: { left: recordView, right: recordView } } } }, ...errorResponses, 409: { $ref: 'Error#' } },
    },
  }, async (request) => readReviewPair(ctx, request.params.id, Number(request.params.pair)));

  app.post<{ Params: { id: string; pair: string }; Body: { decision: Decision } }>('/v1/jobs/:id/review/:pair', {
    config: { roles: [...ROLES] },
    schema: {
      tags: ['review'], summary: 'Decide a pair (match, non-match or unsure): stored for later runs, audited, applied to the job\'s persons',
      security: [{ bearer: [] }],
      params: pairParams,
      body: { type: 'object', required: ['decision'], additionalProperties: false, properties: { decision: { type: 'string', enum: [...DECISIONS] } } },
      response: {
        200: {
          type: 'object',
          properties: {
            ...pairSchema.properties,
            previous: { type: ['string', 'null'], description: 'The decision this one replaced' },
            persons: { type: 'object', properties: { merged: { type: 'integer' }, split: { type: 'integer' }, records_moved: { type: 'integer' } } },
          },
        },
        ...errorResponses, 409: { $ref: 'Error#' },
      },
    },
  }, async (request) => decideReviewPair(ctx, principalOf(request), request.params.id, Number(request.params.pair), request.body.decision));
}
