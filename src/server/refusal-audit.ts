/**
 * Refused requests are audited in aggregate: one entry per principal (or `anonymous`), route and
 * code, with the count and the first and last time, written every FLUSH_MS, before the trail is
 * read, and at shutdown. One synced write per refusal would let a flood of bad tokens grow the
 * database and bury the entries that matter; counted entries keep the evidence at a bounded cost.
 * A crash loses at most the refusals of the last FLUSH_MS.
 */
import type { FastifyRequest } from 'fastify';
import type { KoppelError } from '../errors.js';
import { recordAudit } from '../pipeline/audit.js';
import type { PipelineContext } from '../pipeline/context.js';

const FLUSH_MS = 10_000;

interface Tally {
  readonly actor: string;
  readonly action: string;
  readonly code: string;
  readonly status: number;
  count: number;
  readonly first: string;
  last: string;
}

export class RefusalAudit {
  private readonly pending = new Map<string, Tally>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly ctx: PipelineContext) {
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  record(request: FastifyRequest, err: KoppelError): void {
    const actor = request.principal?.id ?? 'anonymous';
    const action = `refused ${request.method} ${request.routeOptions.url ?? '(no route)'}`;
    const key = `${actor}\u0000${action}\u0000${err.code}`;
    const at = new Date().toISOString();
    const tally = this.pending.get(key);
    if (tally === undefined) this.pending.set(key, { actor, action, code: err.code, status: err.statusCode, count: 1, first: at, last: at });
    else {
      tally.count++;
      tally.last = at;
    }
  }

  flush(): void {
    const tallies = [...this.pending.values()];
    this.pending.clear();
    for (const t of tallies) {
      try {
        recordAudit(this.ctx, { actor: t.actor, action: t.action, outcome: 'refused', detail: { code: t.code, status: t.status, count: t.count, first: t.first, last: t.last } });
      } catch (err) {
        this.ctx.log.error({ err }, 'could not audit refused requests');
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
