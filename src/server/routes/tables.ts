/**
 * Aggregate tables (issue 12): operators register specifications, build versions and approve
 * them (four-eyes) or withdraw them; researchers list and download the published versions of
 * their projects' tables.
 */
import type { FastifyInstance } from 'fastify';
import { holdOpenUntilAnswered } from '../hold-open.js';
import { approveTable, buildTable, withdrawTable } from '../../pipeline/tables.js';
import { downloadTableFor, listTablesFor, readTableFor } from '../../pipeline/table-access.js';
import { registerTable, type TableSpecBody } from '../../pipeline/table-specs.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParam, releaseWithdrawBodySchema } from '../schemas.js';
import { fileResponse, tableBuildBodySchema, tableFileParam, tableIdOf, tableSpecBodySchema, tableSpecSchema, tableVersionSchema } from '../table-schemas.js';

const versionParam = { type: 'object', required: ['id'], properties: { id: tableIdOf('tbv') } } as const;

export async function tableRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.post<{ Params: { project: string }; Body: TableSpecBody }>('/v1/projects/:project/tables', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['tables'],
      summary: 'Register a table specification over a job or an approved release of the project: dimensions (approved variables, generalisation, hierarchy), measure, policy overrides, open-data fields',
      security: [{ bearer: [] }],
      params: idParam('project', 'prj'),
      body: tableSpecBodySchema,
      response: { 201: tableSpecSchema, ...errorResponses, 409: { $ref: 'Error#' }, 410: { $ref: 'Error#' } },
    },
  }, async (request, reply) => reply.code(201).send(registerTable(ctx, principalOf(request), request.params.project, request.body)));

  app.post<{ Params: { id: string }; Body: { job?: string; release?: string } | undefined }>('/v1/tables/:id/versions', {
    config: { roles: ['operator'] },
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    },
    schema: {
      tags: ['tables'],
      summary: 'Build a version of a table: cells from the job\'s records or the approved release\'s files, primary and secondary suppression, the attacker\'s audit, consistency with the project\'s published tables; a draft until approved. An unsafe table is refused (422) and nothing is kept',
      security: [{ bearer: [] }],
      params: { type: 'object', required: ['id'], properties: { id: tableIdOf('tbl') } },
      body: tableBuildBodySchema,
      response: { 201: tableVersionSchema, ...errorResponses, 409: { $ref: 'Error#' }, 410: { $ref: 'Error#' }, 422: { $ref: 'Error#' } },
    },
  }, async (request, reply) => {
    holdOpenUntilAnswered(request);
    return reply.code(201).send(await buildTable(ctx, principalOf(request), request.params.id, request.body ?? {}));
  });

  app.post<{ Params: { id: string } }>('/v1/table-versions/:id/approve', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['tables'], summary: 'Approve a table version (four-eyes: never by its builder): numbers it and supersedes the table\'s previous version',
      security: [{ bearer: [] }],
      params: versionParam,
      response: { 200: tableVersionSchema, ...errorResponses, 409: { $ref: 'Error#' } },
    },
  }, async (request) => approveTable(ctx, principalOf(request), request.params.id));

  app.post<{ Params: { id: string }; Body: { reason: string } }>('/v1/table-versions/:id/withdraw', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['tables'], summary: 'Withdraw a published table version (audited with the reason): its files answer 410; it stays in the ledger',
      security: [{ bearer: [] }],
      params: versionParam,
      body: releaseWithdrawBodySchema,
      response: { 200: tableVersionSchema, ...errorResponses, 409: { $ref: 'Error#' } },
    },
  }, async (request) => withdrawTable(ctx, principalOf(request), request.params.id, request.body.reason));

  await tableReadRoutes(app, ctx);
}

/** Listing, manifests and downloads: operators, and researchers of the project once published. */
async function tableReadRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.get('/v1/tables', {
    config: { roles: ['operator', 'researcher'] },
    schema: {
      tags: ['tables'], summary: 'Table versions: a researcher sees the published versions of its projects\' tables (within their validity window); an operator sees all',
      security: [{ bearer: [] }],
      response: { 200: { type: 'array', items: tableVersionSchema }, ...errorResponses },
    },
  }, async (request) => listTablesFor(ctx, principalOf(request)));

  app.get<{ Params: { id: string } }>('/v1/table-versions/:id', {
    config: { roles: ['operator', 'researcher'] },
    schema: {
      tags: ['tables'], summary: 'A table version and its manifest (operator, or a researcher of the project once published)',
      security: [{ bearer: [] }],
      params: versionParam,
      response: { 200: tableVersionSchema, ...errorResponses },
    },
  }, async (request) => readTableFor(ctx, principalOf(request), request.params.id));

  app.get<{ Params: { id: string; name: string } }>('/v1/table-versions/:id/files/:name', {
    config: { roles: ['operator', 'researcher'] },
    schema: {
      tags: ['tables'],
      summary: 'Download a table version\'s file: table.csv (flag column per cell), table.json (JSON-stat 2.0), table.sdmx.csv (SDMX-CSV 2.0), datapackage.json (open data), manifest.json; a withdrawn version answers 410',
      security: [{ bearer: [] }],
      params: { type: 'object', required: ['id', 'name'], properties: { ...versionParam.properties, ...tableFileParam.properties } },
      response: { 200: fileResponse, ...errorResponses, 410: { $ref: 'Error#' } },
    },
  }, async (request, reply) => {
    const file = downloadTableFor(ctx, principalOf(request), request.params.id, request.params.name);
    return reply.type(file.contentType).header('content-disposition', `attachment; filename="${file.filename}"`).header('x-content-type-options', 'nosniff').send(file.bytes);
  });
}
