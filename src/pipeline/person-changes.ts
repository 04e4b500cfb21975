/**
 * The change log of persistent persons, for operators (GET /v1/person-changes): which ids an
 * incremental job or a review decision merged or split, on which evidence (store/person-changes.ts).
 */
import type { PersonChange } from '../store/person-changes.js';
import type { PipelineContext } from './context.js';

export interface PersonChangeQuery {
  readonly after?: number;
  readonly limit?: number;
  readonly person?: number;
  readonly run?: string;
}

/** A page of changes, oldest first, and the `after` of the next page (null on the last). */
export function listPersonChanges(ctx: PipelineContext, query: PersonChangeQuery): { changes: PersonChange[]; next: number | null } {
  const limit = query.limit ?? 100;
  const changes = ctx.store.personChanges.list({ afterId: query.after ?? 0, limit, person: query.person, run: query.run });
  return { changes, next: changes.length === limit ? changes[changes.length - 1].id : null };
}
