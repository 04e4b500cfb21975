/**
 * Replaces fastify's default error handler: known codes go out as
 * `{ statusCode, code, error, message, details? }`; anything else is logged (redacted) and
 * answered with a generic 500 that echoes nothing from the request.
 * Refusals (401, 403, and 404s that hide a resource from a principal) are audited.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, KoppelError, isKoppelError, type ErrorCode } from '../errors.js';

export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  details?: unknown;
}

export function errorBody(err: KoppelError): ErrorBody {
  const body: ErrorBody = {
    statusCode: err.statusCode,
    code: err.code,
    error: STATUS_CODES[err.statusCode] ?? 'Error',
    message: err.message,
  };
  if (err.details !== undefined) body.details = err.details;
  return body;
}

/** Fastify's own errors (validation, body parsing, limits) mapped onto the catalogue. */
export function fromFastifyError(err: FastifyError): KoppelError | null {
  if (err.validation) {
    const problems = err.validation.map((v) => `${v.instancePath || '/'} ${v.message ?? 'is invalid'}`.trim());
    return new KoppelError('KOPPEL_ERR_API_BAD_REQUEST', `invalid request ${err.validationContext ?? ''}: ${problems.join('; ')}`.replace('  ', ' '), { problems });
  }
  const byCode: Record<string, ErrorCode> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'KOPPEL_ERR_INGEST_TOO_LARGE',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'KOPPEL_ERR_API_BAD_REQUEST',
    FST_ERR_CTP_INVALID_JSON_BODY: 'KOPPEL_ERR_API_BAD_REQUEST',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'KOPPEL_ERR_API_BAD_REQUEST',
  };
  const code = byCode[err.code];
  if (code !== undefined) return new KoppelError(code, ERROR_CATALOGUE[code].meaning);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    // Fastify's other 4xx messages (SyntaxError text, for instance) may quote the body: do not echo.
    return new KoppelError('KOPPEL_ERR_API_BAD_REQUEST', 'the request is malformed');
  }
  return null;
}

export type RefusalHook = (request: FastifyRequest, err: KoppelError) => void;

export function makeErrorHandler(onRefusal: RefusalHook) {
  return function handleError(this: unknown, error: unknown, request: FastifyRequest, reply: FastifyReply) {
    let known: KoppelError | null = null;
    if (isKoppelError(error)) known = error;
    else if (error instanceof Error && typeof (error as FastifyError).code === 'string') known = fromFastifyError(error as FastifyError);
    if (known === null) {
      request.log.error({ err: error, route: request.routeOptions.url }, 'unexpected error');
      known = new KoppelError('KOPPEL_ERR_API_INTERNAL', `unexpected error (request ${request.id})`);
    } else if (known.statusCode >= 500) {
      request.log.error({ err: known, route: request.routeOptions.url }, 'server error');
    } else {
      request.log.info({ code: known.code, statusCode: known.statusCode, route: request.routeOptions.url }, 'request refused');
    }
    if (known.statusCode === 401 || known.statusCode === 403 || known.code === 'KOPPEL_ERR_RELEASE_NOT_FOUND' || known.code === 'KOPPEL_ERR_RELEASE_FILE_NOT_FOUND') {
      try { onRefusal(request, known); } catch (auditErr) { request.log.error({ err: auditErr }, 'could not audit a refusal'); }
    }
    if (!reply.sent) {
      // A refused upload may still be streaming its body: close the connection rather than drain it.
      if (request.raw.readable && !request.raw.readableEnded) reply.header('connection', 'close');
      void reply.code(known.statusCode).type('application/json').send(errorBody(known));
    }
  };
}
