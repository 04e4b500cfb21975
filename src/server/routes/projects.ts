/** Project authorisations and linkage jobs (operators). */
import type { FastifyInstance } from 'fastify';
import { registerProject, readProject } from '../../pipeline/registry.js';
import { startJob, readJob, type JobRequest } from '../../pipeline/jobs.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { principalOf } from '../auth.js';
import {
  errorResponses, idParam, jobBodySchema, jobSchema, projectBodySchema, projectSchema,
} from '../schemas.js';

export async function projectRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.post('/v1/projects', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['projects'], summary: 'Register a project authorisation (purpose, legal basis, validity, researchers, approved variables, disclosure-control policy)',
      security: [{ bearer: [] }],
      body: projectBodySchema,
      response: { 201: projectSchema, ...errorResponses },
    },
  }, async (request, reply) => reply.code(201).send(registerProject(ctx, principalOf(request), request.body)));

  app.get<{ Params: { project: string } }>('/v1/projects/:project', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['projects'], summary: 'A project authorisation',
      security: [{ bearer: [] }],
      params: idParam('project', 'prj'),
      response: { 200: projectSchema, ...errorResponses },
    },
  }, async (request) => readProject(ctx, request.params.project));

  app.post<{ Params: { project: string }; Body: JobRequest }>('/v1/projects/:project/jobs', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['jobs'], summary: 'Run a linkage job over chosen deliveries; answers 202 at once, poll GET /v1/jobs/{id}',
      security: [{ bearer: [] }],
      params: idParam('project', 'prj'),
      body: jobBodySchema,
      response: { 202: jobSchema, ...errorResponses, 422: { $ref: 'Error#' }, 507: { $ref: 'Error#' } },
    },
  }, async (request, reply) => reply.code(202).send(startJob(ctx, principalOf(request), request.params.project, request.body)));

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['jobs'], summary: 'A job: status, progress, report',
      security: [{ bearer: [] }],
      params: idParam('id', 'job'),
      response: { 200: jobSchema, ...errorResponses },
    },
  }, async (request) => readJob(ctx, request.params.id));
}
