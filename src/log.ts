/**
 * The one logger factory. Structured JSON (pino). Request logs carry method, route pattern,
 * status and timing only: never the URL with its parameters, never headers or bodies, since
 * a supplier's request could carry an identifier anywhere.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear, as a second line of defence. */
export const REDACT_PATHS = [
  'req.headers.authorization', 'headers.authorization', 'authorization', 'token',
  'req.url', 'url', 'body', 'req.body', 'query', 'params',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'koppel' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * Errors are logged with their code and message (which by the error catalogue's rule never
 * contain extract values) and a stack; never with arbitrary enumerable fields.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code?.startsWith('KOPPEL_ERR_')) return { type: e.name, code, message: e.message, stack: e.stack };
  // A foreign error's message may quote its input (a parser echoing a field, say): keep only
  // where it happened.
  const frames = (e.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).join('\n');
  return { type: e.name, code, message: '[redacted]', stack: frames };
}
