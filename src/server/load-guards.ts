/**
 * What keeps one client, or one burst, from taking the server down: @fastify/under-pressure
 * answers 503 KOPPEL_ERR_API_OVERLOADED (with Retry-After) while the event loop lags past
 * `maxEventLoopDelayMs` on average over a second or the heap nears its limit, and a counter admits at most
 * `maxWholeBodyUploads` uploads that must be held whole before they are read (Parquet, and
 * Arrow IPC files), each up to the upload limit, so that their memory is bounded too.
 */
import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance, FastifyReply } from 'fastify';
import underPressure from '@fastify/under-pressure';
import type { KoppelConfig } from '../config.js';
import { KoppelError } from '../errors.js';

const RETRY_AFTER_S = 10;
/** Share of V8's heap limit past which new requests wait: the rest is for the ones in flight. */
const HEAP_SHARE = 0.9;

export async function registerLoadGuards(app: FastifyInstance, config: KoppelConfig): Promise<void> {
  await app.register(underPressure, {
    // 0 leaves the check off (under-pressure's own convention); the mean over each second.
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    sampleInterval: 1000,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * HEAP_SHARE),
    retryAfter: RETRY_AFTER_S,
    pressureHandler: async (_request, reply, type, value) => {
      // No sample in the last interval (the loop was never free to record one, as at start-up)
      // reads as an infinite delay in under-pressure: that is not a measurement, let it pass.
      if (type === 'eventLoopDelay' && typeof value === 'number' && !Number.isFinite(value)) return;
      void reply.header('retry-after', String(RETRY_AFTER_S));
      throw new KoppelError('KOPPEL_ERR_API_OVERLOADED', `the server is overloaded (${type}); try again in ${RETRY_AFTER_S} s`, { retry_after_s: RETRY_AFTER_S });
    },
  });
  app.addHook('onListen', async () => {
    app.server.maxConnections = config.maxConnections;
  });
}

/** Media types whose bodies are held whole before reading. */
const WHOLE_BODY_TYPES = new Set(['application/vnd.apache.parquet', 'application/vnd.apache.arrow.file']);

/** Admits a whole-body upload while fewer than `limit` are held; `release` once it is done. */
export class WholeBodySlots {
  private held = 0;

  constructor(private readonly limit: number) {}

  /**
   * A release function, or throws KOPPEL_ERR_API_BUSY (429, Retry-After). Streamed bodies need no
   * slot; a gzip-encoded body of any type is held whole too (compressed, until its inflated size
   * is known: ingest's gunzipWithinLimit).
   */
  acquire(contentType: string, reply: FastifyReply, contentEncoding = ''): () => void {
    const mediaType = contentType.split(';')[0].trim().toLowerCase();
    const gzip = contentEncoding.trim().toLowerCase() === 'gzip';
    if (!WHOLE_BODY_TYPES.has(mediaType) && !gzip) return () => {};
    if (this.held >= this.limit) {
      void reply.header('retry-after', String(RETRY_AFTER_S));
      throw new KoppelError('KOPPEL_ERR_API_BUSY', `${this.held} whole-body uploads are being read; try again in ${RETRY_AFTER_S} s or send a stream`, { retry_after_s: RETRY_AFTER_S });
    }
    this.held++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.held--;
      }
    };
  }
}
