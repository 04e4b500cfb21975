/** Releases: build and approve (operators, four-eyes), list and download (researchers). */
import type { FastifyInstance } from 'fastify';
import { approveRelease, buildRelease } from '../../pipeline/releases.js';
import { holdOpenUntilAnswered } from '../hold-open.js';
import { listReleasesFor, openReleaseDownload, readReleaseFor } from '../../pipeline/release-access.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { principalOf } from '../auth.js';
import { errorResponses, idOf, idParam, releaseBuildBodySchema, releaseSchema } from '../schemas.js';

export async function releaseRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.post<{ Params: { id: string }; Body: { justification?: string } | undefined }>('/v1/jobs/:id/releases', {
    config: { roles: ['operator'] },
    // The body is optional: a request without one is an empty object, not a schema failure.
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    },
    schema: {
      tags: ['releases'],
      summary: 'Build a release from a finished job: approved variables only, per-release pseudonyms, k-anonymity on persons, no copy of a key variable, no record-level columns a researcher already holds elsewhere unless justified; a draft until approved',
      security: [{ bearer: [] }],
      params: idParam('id', 'job'),
      body: releaseBuildBodySchema,
      response: { 201: releaseSchema, ...errorResponses, 409: { $ref: 'Error#' }, 422: { $ref: 'Error#' } },
    },
  }, async (request, reply) => {
    const justification = request.body?.justification;
    holdOpenUntilAnswered(request);
    return reply.code(201).send(await buildRelease(ctx, principalOf(request), request.params.id, justification === undefined ? {} : { justification }));
  });

  app.post<{ Params: { id: string } }>('/v1/releases/:id/approve', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['releases'], summary: 'Approve a release (four-eyes: never by its builder); finalises the manifest',
      security: [{ bearer: [] }],
      params: idParam('id', 'rel'),
      response: { 200: releaseSchema, ...errorResponses, 409: { $ref: 'Error#' } },
    },
  }, async (request) => approveRelease(ctx, principalOf(request), request.params.id));

  app.get('/v1/releases', {
    config: { roles: ['operator', 'researcher'] },
    schema: {
      tags: ['releases'], summary: 'Releases: a researcher sees the approved releases of its own projects; an operator sees all',
      security: [{ bearer: [] }],
      response: { 200: { type: 'array', items: releaseSchema }, ...errorResponses },
    },
  }, async (request) => listReleasesFor(ctx, principalOf(request)));

  app.get<{ Params: { id: string } }>('/v1/releases/:id', {
    config: { roles: ['operator', 'researcher'] },
    schema: {
      tags: ['releases'], summary: 'A release and its manifest (operator, or a researcher of the project once approved)',
      security: [{ bearer: [] }],
      params: idParam('id', 'rel'),
      response: { 200: releaseSchema, ...errorResponses },
    },
  }, async (request) => readReleaseFor(ctx, principalOf(request), request.params.id));

  await downloadRoute(app, ctx);
}

async function downloadRoute(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.get<{ Params: { id: string; name: string } }>('/v1/releases/:id/files/:name', {
    config: { roles: ['researcher'] },
    schema: {
      tags: ['releases'], summary: 'Download a released file as Arrow IPC (`<file>.arrow`), Parquet (`<file>.parquet`) or CSV (`<file>.csv`, safe against formula injection), or the linkage quality report `quality.html`; a withdrawn release answers 410',
      security: [{ bearer: [] }],
      params: {
        type: 'object', required: ['id', 'name'],
        properties: { id: idOf('rel'), name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}\\.(arrow|csv|parquet|html)$' } },
      },
      response: {
        200: {
          description: 'The file: Arrow IPC file format, Parquet, CSV rendered from the Arrow file, or the quality report',
          content: {
            'application/vnd.apache.arrow.file': { schema: { type: 'string', format: 'binary' } },
            'application/vnd.apache.parquet': { schema: { type: 'string', format: 'binary' } },
            'text/csv': { schema: { type: 'string', format: 'binary' } },
            'text/html': { schema: { type: 'string', format: 'binary' } },
          },
        },
        ...errorResponses,
        410: { $ref: 'Error#' },
      },
    },
  }, async (request, reply) => {
    // Verified against the manifest before the first byte: a mismatch answers 500 with nothing sent.
    const download = await openReleaseDownload(ctx, principalOf(request), request.params.id, request.params.name);
    return reply
      .type(download.contentType)
      .header('content-disposition', `attachment; filename="${download.filename}"`)
      .header('x-content-type-options', 'nosniff')
      .send(download.stream);
  });
}
