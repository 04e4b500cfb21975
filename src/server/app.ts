/**
 * The HTTP face: a fastify app over the pipeline and the store. Thin on purpose: routes
 * validate, authenticate and call the pipeline; the pipeline does the work.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { KoppelError } from '../errors.js';
import type { PipelineContext } from '../pipeline/context.js';
import { registerAuth } from './auth.js';
import { RefusalAudit } from './refusal-audit.js';
import { registerLoadGuards } from './load-guards.js';
import { makeErrorHandler } from './error-mapping.js';
import { errorSchema } from './schemas.js';
import { datasetRoutes } from './routes/datasets.js';
import { projectRoutes } from './routes/projects.js';
import { releaseRoutes } from './routes/releases.js';
import { releaseReviewRoutes } from './routes/release-review.js';
import { auditRoutes } from './routes/audit.js';
import { timelinessRoutes } from './routes/timeliness.js';
import { tableRoutes } from './routes/tables.js';
import { openDataRoutes } from './routes/open-data.js';
import { personChangeRoutes } from './routes/person-changes.js';
import { reviewRoutes } from './routes/review.js';
import { productRoutes } from './routes/products.js';
import { listingRoutes } from './routes/listings.js';
import { registerConsole } from './console.js';

export async function buildApp(ctx: PipelineContext): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(ctx));

  app.addSchema(errorSchema);
  await registerDocs(app, ctx);

  const refusals = new RefusalAudit(ctx);
  app.addHook('onClose', async () => refusals.close());
  app.setErrorHandler(makeErrorHandler((request, err) => refusals.record(request, err)));
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

  await registerLoadGuards(app, ctx.config);
  await registerAuth(app, ctx.store, ctx.config.refusedPerMinute);

  app.get('/health', {
    schema: {
      tags: ['health'], summary: 'Liveness',
      response: { 200: { type: 'object', properties: { status: { type: 'string' }, version: { type: 'string' } } } },
    },
  }, async () => ({ status: 'ok', version: ctx.version }));

  await datasetRoutes(app, ctx);
  await projectRoutes(app, ctx);
  await releaseRoutes(app, ctx);
  await releaseReviewRoutes(app, ctx);
  await auditRoutes(app, ctx, refusals);
  await timelinessRoutes(app, ctx);
  await tableRoutes(app, ctx);
  await openDataRoutes(app, ctx);
  await personChangeRoutes(app, ctx);
  await reviewRoutes(app, ctx);
  await productRoutes(app, ctx);
  await listingRoutes(app, ctx);
  await registerConsole(app);
  return app;
}

/** Fastify's options: our own request logging, timeouts, the trusted proxy, coded client errors. */
function serverOptions(ctx: PipelineContext): FastifyServerOptions {
  return {
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
    // Behind the TLS proxy the README requires: its X-Forwarded-For names the client, for rate limits.
    trustProxy: ctx.config.trustProxy === '' ? false : ctx.config.trustProxy,
    // A malformed request line or a client that half-closes before its request is complete: a
    // coded answer where the socket still takes one, nothing echoed from the request.
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const body = JSON.stringify({ statusCode: 400, code: 'KOPPEL_ERR_API_BAD_REQUEST', error: 'Bad Request', message: 'the request is malformed or incomplete' });
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  };
}

/** The OpenAPI document at /docs/json and its viewer at /docs. */
async function registerDocs(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
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
}
