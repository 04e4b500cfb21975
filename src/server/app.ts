/**
 * The HTTP face: a fastify app over the pipeline and the store. Thin on purpose: routes
 * validate, authenticate and call the pipeline; the pipeline does the work.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { KoppelError } from '../errors.js';
import type { PipelineContext } from '../pipeline/context.js';
import { recordAudit } from '../pipeline/audit.js';
import { registerAuth } from './auth.js';
import { makeErrorHandler } from './error-mapping.js';
import { errorSchema } from './schemas.js';
import { datasetRoutes } from './routes/datasets.js';
import { projectRoutes } from './routes/projects.js';
import { releaseRoutes } from './routes/releases.js';
import { auditRoutes } from './routes/audit.js';

export async function buildApp(ctx: PipelineContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    // Fastify's request log prints req.url (and its 404 log the raw URL), and a URL may carry an
    // identifier: all of fastify's own request logging is off; we log our own line with the route
    // pattern instead (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: ctx.config.maxJsonBytes,
    // An idle socket is closed after requestTimeoutMs; a whole request (a large upload on a
    // slow line) may take up to an hour.
    connectionTimeout: ctx.config.requestTimeoutMs,
    requestTimeout: 3_600_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  });

  app.addSchema(errorSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Koppel',
        version: ctx.version,
        description: 'Linkage engine for a trusted third party: suppliers upload extracts, operators link and release, researchers download approved pseudonymised sets.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from `koppel token create`; it names one principal.' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler(makeErrorHandler((request, err) => {
    recordAudit(ctx, {
      actor: request.principal?.id ?? 'anonymous',
      action: `refused ${request.method} ${request.routeOptions.url ?? '(no route)'}`,
      outcome: 'refused',
      detail: { code: err.code, status: err.statusCode },
    });
  }));
  app.setNotFoundHandler((request, reply) => {
    const err = new KoppelError('KOPPEL_ERR_API_NOT_FOUND', `no route ${request.method} for this path; see /docs`);
    void reply.code(404).send({ statusCode: 404, code: err.code, error: 'Not Found', message: err.message });
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method,
      route: request.routeOptions.url ?? null,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      principal: request.principal?.id,
    }, 'request');
  });

  registerAuth(app, ctx.store);

  app.get('/health', {
    schema: {
      tags: ['health'], summary: 'Liveness',
      response: { 200: { type: 'object', properties: { status: { type: 'string' }, version: { type: 'string' } } } },
    },
  }, async () => ({ status: 'ok', version: ctx.version }));

  await datasetRoutes(app, ctx);
  await projectRoutes(app, ctx);
  await releaseRoutes(app, ctx);
  await auditRoutes(app, ctx);
  return app;
}
