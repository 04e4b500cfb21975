/**
 * The one place clerical review writes to the person change log. The log (a store class with
 * `record({ kind, personsBefore, personsAfter, evidence, run, by })`) is being built alongside;
 * until this store has it, each change is an audit entry of the same shape, so nothing is lost.
 */
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import type { PersonChange } from './review-persons.js';

interface ChangeLog {
  record(change: PersonChange & { evidence: object; run: string; by: string }): unknown;
}

export function recordPersonChanges(ctx: PipelineContext, changes: readonly PersonChange[], evidence: object, run: string, by: string): void {
  const log = (ctx.store as unknown as { personChanges?: ChangeLog }).personChanges;
  for (const change of changes) {
    if (log !== undefined) log.record({ ...change, evidence, run, by });
    else recordAudit(ctx, { actor: by, action: `person.${change.kind}`, target: run, outcome: 'ok', detail: { persons_before: change.personsBefore, persons_after: change.personsAfter, evidence } });
  }
}
