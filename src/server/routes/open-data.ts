/**
 * Open data without a token (issue 12): the latest approved version of every table marked
 * open data, at a stable URL, and a DCAT-AP catalogue of them for portals to harvest. These
 * routes declare no roles, so auth.ts lets them through; nothing else under /v1 does that.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { openCatalog, openTableFile, openTableRecord } from '../../pipeline/table-access.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { fileResponse, jsonLdResponse, tableFileParam } from '../table-schemas.js';

const tableParams = {
  type: 'object', required: ['project', 'name'],
  properties: { project: { type: 'string', pattern: '^prj_[0-9a-f]{20}$' }, name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' } },
} as const;

const notFound = { 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } } as const;

/** The server's public URL as the client reached it (the proxy's, when trustProxy is set). */
function baseOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export async function openDataRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.get('/open/catalog', {
    schema: { tags: ['open data'], summary: 'DCAT-AP catalogue of the open-data tables (JSON-LD), no token needed', response: { 200: jsonLdResponse } },
  }, async (request, reply) => reply.type('application/ld+json').send(JSON.stringify(openCatalog(ctx, baseOf(request)))));

  app.get<{ Params: { project: string; name: string } }>('/open/tables/:project/:name', {
    schema: {
      tags: ['open data'], summary: 'The DCAT-AP record of an open-data table\'s latest approved version (JSON-LD), no token needed',
      params: tableParams, response: { 200: jsonLdResponse, ...notFound, 410: { $ref: 'Error#' } },
    },
  }, async (request, reply) => reply.type('application/ld+json').send(JSON.stringify(openTableRecord(ctx, request.params.project, request.params.name, baseOf(request)))));

  app.get<{ Params: { project: string; name: string; file: string } }>('/open/tables/:project/:name/:file', {
    schema: {
      tags: ['open data'], summary: 'A file of an open-data table\'s latest approved version (table.csv, table.json, table.sdmx.csv, datapackage.json, manifest.json), no token needed',
      params: { type: 'object', required: ['project', 'name', 'file'], properties: { ...tableParams.properties, file: tableFileParam.properties.name } },
      response: { 200: fileResponse, ...notFound, 410: { $ref: 'Error#' } },
    },
  }, async (request, reply) => {
    const file = openTableFile(ctx, request.params.project, request.params.name, request.params.file);
    return reply.type(file.contentType).header('x-content-type-options', 'nosniff').header('access-control-allow-origin', '*').send(file.bytes);
  });
}
