/** Recurrent products (operators): register, read, change, and see their runs. */
import type { FastifyInstance } from 'fastify';
import type { PipelineContext } from '../../pipeline/context.js';
import { changeProduct, listProductRuns, listProducts, readProduct, registerProduct } from '../../pipeline/products.js';
import { productBodySchema, productPatchSchema } from '../../pipeline/product-schema.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParam } from '../schemas.js';

const productSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    project_id: { type: 'string' },
    ...productBodySchema.properties,
    from: { type: 'string', description: 'The first period it runs for' },
    version: { type: 'integer', description: '1 when registered; each change adds one' },
    created_at: { type: 'string' },
    created_by: { type: 'string', description: 'The operator who registered it: never its releases\' approver' },
    updated_at: { type: 'string' },
    updated_by: { type: 'string', description: 'The operator who registered or last changed it: never its releases\' approver' },
  },
} as const;

const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    product_id: { type: 'string' },
    period: { type: 'string' },
    attempt: { type: 'integer', description: 'Attempts at one period count from 1; a failed one is tried again when a superseding delivery or a product change comes' },
    status: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
    product_version: { type: 'integer', description: 'The product version whose settings it ran' },
    settings_by: { type: 'string', description: 'Who had registered or last changed those settings' },
    deliveries: { type: 'array', items: { type: 'string' }, description: 'The period\'s current deliveries it ran on' },
    job_id: { type: ['string', 'null'] },
    release_id: { type: ['string', 'null'], description: 'The release draft it built (built by system:koppel)' },
    error: {
      type: ['object', 'null'],
      description: 'Why it failed: the error code and message (never a value from a delivery) and the stage',
      properties: { code: { type: 'string' }, message: { type: 'string' }, stage: { type: 'string', enum: ['deliveries', 'job', 'release', 'interrupted'] } },
    },
    started_at: { type: 'string' },
    finished_at: { type: ['string', 'null'] },
  },
} as const;

const changeSummary = 'the changer becomes its last changer, who may not approve what it builds; a period that failed under the old settings is tried again';

export async function productRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.post<{ Params: { project: string } }>('/v1/projects/:project/products', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['products'],
      summary: 'Register a recurrent product: the project\'s job and release settings with a schedule; Koppel runs the job and builds the release draft by itself for each period whose deliveries are all in',
      security: [{ bearer: [] }],
      params: idParam('project', 'prj'),
      body: productBodySchema,
      response: { 201: productSchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(registerProduct(ctx, principalOf(request), request.params.project, request.body)));

  app.get<{ Params: { project: string } }>('/v1/projects/:project/products', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['products'], summary: 'The recurrent products of a project',
      security: [{ bearer: [] }],
      params: idParam('project', 'prj'),
      response: { 200: { type: 'array', items: productSchema }, ...errorResponses },
    },
  }, async (request) => listProducts(ctx, request.params.project));

  app.get<{ Params: { id: string } }>('/v1/products/:id', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['products'], summary: 'A recurrent product and who registered and last changed it',
      security: [{ bearer: [] }],
      params: idParam('id', 'prd'),
      response: { 200: productSchema, ...errorResponses },
    },
  }, async (request) => readProduct(ctx, request.params.id));

  app.put<{ Params: { id: string } }>('/v1/products/:id', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['products'], summary: `Replace a product's settings (from stays unless given); ${changeSummary}`,
      security: [{ bearer: [] }],
      params: idParam('id', 'prd'),
      body: productBodySchema,
      response: { 200: productSchema, ...errorResponses },
    },
  }, async (request) => changeProduct(ctx, principalOf(request), request.params.id, request.body, true));

  app.patch<{ Params: { id: string } }>('/v1/products/:id', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['products'], summary: `Change some of a product's settings (each one named replaces the product's, job and release as a whole); ${changeSummary}`,
      security: [{ bearer: [] }],
      params: idParam('id', 'prd'),
      body: productPatchSchema,
      response: { 200: productSchema, ...errorResponses },
    },
  }, async (request) => changeProduct(ctx, principalOf(request), request.params.id, request.body, false));

  app.get<{ Params: { id: string } }>('/v1/products/:id/runs', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['products'], summary: 'A product\'s runs, oldest first: period, attempt, status, job, release draft, and why a failed one failed',
      security: [{ bearer: [] }],
      params: idParam('id', 'prd'),
      response: { 200: { type: 'array', items: runSchema }, ...errorResponses },
    },
  }, async (request) => listProductRuns(ctx, request.params.id));
}
