/** Dataset schemas (operator) and supplier uploads of deliveries. */
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { receiveDelivery, readDeliveryFor } from '../../pipeline/deliveries.js';
import { registerDataset, listDatasetsFor } from '../../pipeline/registry.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { principalOf } from '../auth.js';
import {
  datasetBodySchema, datasetRecordSchema, deliverySchema, errorResponses, idParam,
} from '../schemas.js';

const UPLOAD_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/vnd.apache.arrow.stream', 'application/vnd.apache.parquet', 'application/octet-stream'];

export async function datasetRoutes(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  app.post('/v1/datasets', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['datasets'], summary: 'Register a dataset schema (a supplier extract: columns with roles and types)',
      security: [{ bearer: [] }],
      body: datasetBodySchema,
      response: { 201: datasetRecordSchema, ...errorResponses, 409: { $ref: 'Error#' } },
    },
  }, async (request, reply) => {
    const record = registerDataset(ctx, principalOf(request), request.body);
    return reply.code(201).send(record);
  });

  app.get('/v1/datasets', {
    config: { roles: ['operator', 'supplier'] },
    schema: {
      tags: ['datasets'], summary: 'List datasets (a supplier sees its own)',
      security: [{ bearer: [] }],
      response: { 200: { type: 'array', items: datasetRecordSchema }, ...errorResponses },
    },
  }, async (request) => listDatasetsFor(ctx, principalOf(request)));

  // Uploads stream: the body is handed to ingest as it arrives, never buffered whole.
  await app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    uploads.put<{ Params: { dataset: string; period: string }; Querystring: { supersede?: boolean } }>('/v1/datasets/:dataset/deliveries/:period', {
      config: { roles: ['supplier'] },
      schema: {
        tags: ['deliveries'],
        summary: 'Upload a delivery (one dataset, one period). Same bytes again: 200 with the existing delivery; different bytes: 409 unless ?supersede=true',
        description: `Body: text/csv, optionally with Content-Encoding: gzip. Media types accepted at the door: ${UPLOAD_TYPES.join(', ')} (Arrow and Parquet uploads are answered 415 for now). The response is the delivery with its quality report.`,
        security: [{ bearer: [] }],
        params: {
          type: 'object', required: ['dataset', 'period'],
          properties: { dataset: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' }, period: { type: 'string', maxLength: 16 } },
        },
        querystring: { type: 'object', additionalProperties: false, properties: { supersede: { type: 'boolean', default: false } } },
        consumes: UPLOAD_TYPES,
        // Documents the body; the stream itself is not validated here but by ingest, as it arrives.
        body: {
          content: {
            'text/csv': { schema: { description: 'The extract as CSV (UTF-8, header row; delimiter , ; or tab), optionally gzip-encoded' } },
          },
        },
        response: { 200: deliverySchema, 201: deliverySchema, ...errorResponses, 409: { $ref: 'Error#' }, 413: { $ref: 'Error#' }, 415: { $ref: 'Error#' }, 422: { $ref: 'Error#' } },
      },
    }, async (request, reply) => {
      const body = (request.body ?? request.raw) as Readable;
      const result = await receiveDelivery(ctx, {
        principal: principalOf(request),
        dataset: request.params.dataset,
        period: request.params.period,
        body,
        contentType: String(request.headers['content-type'] ?? ''),
        contentEncoding: request.headers['content-encoding'],
        supersede: request.query.supersede === true,
      });
      return reply.code(result.created ? 201 : 200).send(result.delivery);
    });
  });

  app.get<{ Params: { id: string } }>('/v1/deliveries/:id', {
    config: { roles: ['operator', 'supplier'] },
    schema: {
      tags: ['deliveries'], summary: 'A delivery: status and quality report (operator, or the owning supplier)',
      security: [{ bearer: [] }],
      params: idParam('id', 'dlv'),
      response: { 200: deliverySchema, ...errorResponses },
    },
  }, async (request) => readDeliveryFor(ctx, principalOf(request), request.params.id));
}
