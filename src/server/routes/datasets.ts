/** Dataset schemas (operator) and supplier uploads of deliveries. */
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { KoppelError } from '../../errors.js';
import { UPLOAD_MEDIA_TYPES, receiveDelivery, readDeliveryFor } from '../../pipeline/deliveries.js';
import { registerDataset, listDatasetsFor } from '../../pipeline/registry.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { principalOf } from '../auth.js';
import { holdOpenUntilAnswered } from '../hold-open.js';
import { WholeBodySlots } from '../load-guards.js';
import {
  datasetBodySchema, datasetRecordSchema, deliverySchema, errorResponses, idParam,
} from '../schemas.js';

const UPLOAD_TYPES = Object.keys(UPLOAD_MEDIA_TYPES);

/**
 * The upload body per media type, for the OpenAPI document. Description only, no `type`: fastify
 * would validate a `type` against the raw stream, and ingest validates the bytes as they arrive.
 */
const UPLOAD_BODIES = {
  'text/csv': { schema: { description: 'The extract as CSV (UTF-8, header row; delimiter , ; or tab). Also accepted as application/csv and text/plain.' } },
  'application/vnd.apache.arrow.stream': {
    schema: { description: 'The extract as an Arrow IPC stream (read batch by batch as it arrives; must end with the end-of-stream marker). An Arrow IPC file (ARROW1) is accepted here too, and as application/vnd.apache.arrow.file.' },
  },
  'application/vnd.apache.parquet': { schema: { description: 'The extract as a Parquet file (held up to the upload limit, then read row group by row group).' } },
};

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

  await uploadRoute(app, ctx);

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

/** `PUT /v1/datasets/{dataset}/deliveries/{period}`: uploads stream, the body handed to ingest as it arrives, never buffered whole. */
async function uploadRoute(app: FastifyInstance, ctx: PipelineContext): Promise<void> {
  const wholeBody = new WholeBodySlots(ctx.config.maxWholeBodyUploads);
  await app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    uploads.put<{ Params: { dataset: string; period: string }; Querystring: { supersede?: boolean; empty?: boolean } }>('/v1/datasets/:dataset/deliveries/:period', {
      config: { roles: ['supplier'] },
      schema: {
        tags: ['deliveries'],
        summary: 'Upload a delivery (one dataset, one period). Same bytes again: 200 with the existing delivery; different bytes: 409 unless ?supersede=true. No data rows: 400 KOPPEL_ERR_INGEST_EMPTY unless ?empty=true declares a period without records',
        description: `Body: CSV, an Arrow IPC stream or a Parquet file, each optionally with Content-Encoding: gzip (the size limit applies to the decompressed bytes). Media types: ${UPLOAD_TYPES.join(', ')}; anything else is answered 415. Column names must match the dataset schema in every format. Arrow and Parquet columns may be text, integers, decimals, floats (NaN is empty), booleans (true/false), dates or timestamps (the calendar day, in the column's time zone, written in the schema column's date format) or dictionaries of these; empty text is a missing value, as in CSV. Other column types (lists, structs, binary, times of day) are answered 422 KOPPEL_ERR_INGEST_COLUMN_TYPE, a body that is not the format it claims, is truncated or has a buffer too short for its declared rows 422 KOPPEL_ERR_INGEST_COLUMNAR. Limits: the upload's bytes (after gzip too, known before anything is staged) 413 KOPPEL_ERR_INGEST_TOO_LARGE, its rows 413 KOPPEL_ERR_INGEST_TOO_MANY_ROWS, one field's or one row's bytes 413 KOPPEL_ERR_INGEST_FIELD_TOO_LARGE / _ROW_TOO_LARGE (naming row and column). No data rows: 400 KOPPEL_ERR_INGEST_EMPTY unless ?empty=true declares a period without records (then recorded as declared_empty). The response is the delivery with its quality report (rows numbered from 1, the first data row, in every format).`,
        security: [{ bearer: [] }],
        params: {
          type: 'object', required: ['dataset', 'period'],
          properties: { dataset: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' }, period: { type: 'string', maxLength: 16 } },
        },
        querystring: { type: 'object', additionalProperties: false, properties: { supersede: { type: 'boolean', default: false }, empty: { type: 'boolean', default: false } } },
        consumes: UPLOAD_TYPES,
        // Documents the body; the stream itself is not validated here but by ingest, as it arrives.
        body: { content: UPLOAD_BODIES },
        response: { 200: deliverySchema, 201: deliverySchema, ...errorResponses, 409: { $ref: 'Error#' }, 413: { $ref: 'Error#' }, 415: { $ref: 'Error#' }, 422: { $ref: 'Error#' } },
      },
    }, async (request, reply) => {
      const body = (request.body ?? request.raw) as Readable;
      // While the body streams in, a stalled client is cut by the idle timeout; once it is all
      // here, finishing the delivery (last batches, hashes, the commit) sends nothing for a while.
      if (request.raw.complete) holdOpenUntilAnswered(request);
      else request.raw.once('end', () => holdOpenUntilAnswered(request));
      const release = wholeBody.acquire(String(request.headers['content-type'] ?? ''), reply, String(request.headers['content-encoding'] ?? ''));
      let result;
      try {
        result = await receiveDelivery(ctx, {
          principal: principalOf(request),
          dataset: request.params.dataset,
          period: request.params.period,
          body,
          contentType: String(request.headers['content-type'] ?? ''),
          contentEncoding: request.headers['content-encoding'],
          supersede: request.query.supersede === true,
          declaredEmpty: request.query.empty === true,
        });
      } catch (err) {
        // A refusal may come before the body was read to its end (a bad header, or bytes that are
        // not Arrow at all), and the reader then releases, i.e. destroys, the request stream. The
        // connection cannot carry another request: say so, or a keep-alive client reuses a dead socket.
        if (!request.raw.complete) void reply.header('connection', 'close');
        throw abortedUpload(request.raw, err) ?? err;
      } finally {
        release();
      }
      return reply.code(result.created ? 201 : 200).send(result.delivery);
    });
  });
}

/**
 * The client went away mid-body (reset, or closed its side early): KOPPEL_ERR_INGEST_ABORTED, a
 * 4xx logged at info, instead of the stream's own error reaching the log as unexpected.
 */
function abortedUpload(raw: IncomingMessage, err: unknown): KoppelError | null {
  if (err instanceof KoppelError) return null;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const gone = raw.destroyed || raw.aborted === true || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error | undefined)?.message === 'aborted';
  return gone ? new KoppelError('KOPPEL_ERR_INGEST_ABORTED', 'the upload ended before its body was complete; send the delivery again') : null;
}
