/** Approved releases after the fact (operators): recheck under the current rules, withdraw. */
import type { FastifyInstance } from 'fastify';
import { recheckRelease, withdrawRelease } from '../../pipeline/release-review.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParam, recheckSchema, releaseSchema, releaseWithdrawBodySchema } from '../schemas.js';

export async function releaseReviewRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.post<{ Params: { id: string } }>('/v1/releases/:id/recheck', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['releases'],
      summary: 'Recheck an approved release under the current rules (k-anonymity of its persons file, key-variable copies, per-row linkage metadata, exposure to releases its researchers held): would it now be refused, and why; changes nothing',
      security: [{ bearer: [] }],
      params: idParam('id', 'rel'),
      response: { 200: recheckSchema, ...errorResponses, 409: { $ref: 'Error#' } },
    },
  }, async (request) => recheckRelease(ctx, principalOf(request).id, request.params.id));

  app.post<{ Params: { id: string }; Body: { reason: string } }>('/v1/releases/:id/withdraw', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['releases'],
      summary: 'Withdraw an approved release (audited with the reason): its downloads answer 410 KOPPEL_ERR_RELEASE_WITHDRAWN; the listing shows it withdrawn',
      security: [{ bearer: [] }],
      params: idParam('id', 'rel'),
      body: releaseWithdrawBodySchema,
      response: { 200: releaseSchema, ...errorResponses, 409: { $ref: 'Error#' } },
    },
  }, async (request) => withdrawRelease(ctx, principalOf(request).id, request.params.id, request.body.reason));
}
