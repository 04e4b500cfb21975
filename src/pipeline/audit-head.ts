/**
 * Publishes the audit chain's head outside the data dir while the server runs: every
 * `auditHeadIntervalMs` and at shutdown, when it has moved, as a log line and, when
 * `auditHeadFile` is set, as a line of that file (see config.ts).
 */
import { appendAuditHead, type AuditHead } from '../store/index.js';
import type { PipelineContext } from './context.js';

export function publishAuditHeads(ctx: PipelineContext): { stop(): void } {
  let last: AuditHead | null = null;
  const publish = (): void => {
    const head = ctx.store.auditHead();
    if (head === null || (last !== null && last.seq === head.seq && last.mac === head.mac)) return;
    last = head;
    ctx.log.info({ audit_head: { seq: head.seq, mac: head.mac } }, 'audit head');
    if (ctx.config.auditHeadFile !== '') {
      try {
        appendAuditHead(ctx.config.auditHeadFile, head, new Date().toISOString());
      } catch (err) {
        ctx.log.error({ err, file: ctx.config.auditHeadFile }, 'could not publish the audit head');
      }
    }
  };
  publish();
  const timer = setInterval(publish, ctx.config.auditHeadIntervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      publish();
    },
  };
}
