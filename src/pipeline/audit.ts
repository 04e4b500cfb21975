/** Audit entries from the pipeline and the faces: value-free details only. */
import type { PipelineContext } from './context.js';

export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly outcome: 'ok' | 'refused' | 'failed';
  readonly detail?: Record<string, unknown>;
}

export function recordAudit(ctx: PipelineContext, entry: AuditInput): void {
  ctx.store.audit(entry);
}
