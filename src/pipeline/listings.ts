/**
 * What each principal may list: deliveries (operators all, a supplier those of its own
 * datasets), projects (operators all, a researcher those that name it), jobs (operators), and
 * the audit chain's verification status (operators). Read-only; nothing here is audited.
 */
import type { Principal } from '../model.js';
import type { AuditHead, AuditVerification, DeliveryRecord, DeliveryStatus, JobRecord, ProjectRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';

export interface DeliveryQuery {
  readonly dataset?: string;
  readonly status?: DeliveryStatus;
}

export function listDeliveriesFor(ctx: PipelineContext, principal: Principal, query: DeliveryQuery): DeliveryRecord[] {
  const all = ctx.store.listDeliveries({ dataset: query.dataset, status: query.status });
  if (principal.role === 'operator') return all;
  const own = new Set(ctx.store.listDatasets().filter((d) => d.schema.supplier === principal.name).map((d) => d.name));
  return all.filter((d) => own.has(d.dataset));
}

export function listProjectsFor(ctx: PipelineContext, principal: Principal): ProjectRecord[] {
  const all = ctx.store.listProjects();
  return principal.role === 'operator' ? all : all.filter((p) => p.researchers.includes(principal.id));
}

export function listJobs(ctx: PipelineContext, query: { project?: string; limit: number }): JobRecord[] {
  return ctx.store.listJobs({ projectId: query.project, limit: query.limit });
}

export interface AuditStatus extends AuditVerification {
  readonly head: AuditHead | null;
  readonly checked_at: string;
}

/** `koppel audit verify` on the server's own store: the chain's MACs, order and recorded files. */
export function auditStatus(ctx: PipelineContext): AuditStatus {
  const result = ctx.store.verifyAudit();
  return { ...result, head: ctx.store.auditHead(), checked_at: new Date().toISOString() };
}
