/**
 * The one place clerical review writes to the person change log (store/person-changes.ts):
 * each merge or split a decision caused, with the decision as evidence (record references and
 * the verdict; never a value from an upload), the job as the run, and the reviewer.
 */
import type { PipelineContext } from './context.js';
import type { PersonChange } from './review-persons.js';

export function recordPersonChanges(ctx: PipelineContext, changes: readonly PersonChange[], evidence: string, run: string, by: string): void {
  for (const change of changes) ctx.store.personChanges.record({ ...change, evidence, run, by });
}
