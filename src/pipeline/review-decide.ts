/**
 * A reviewer's decision on a pair of a job's queue: stored (the verdict in force for those two
 * records, whatever job asks about them next), audited with the reviewer, applied to the job's
 * persons (review-persons.ts) with merges and splits in the person change log, and counted in
 * the job report's review section (precision and recall from reviewed pairs, review-quality.ts).
 * Decisions on one job are applied one after another.
 */
import type { Principal } from '../model.js';
import type { Decision } from '../store/review-decisions.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import { recordPersonChanges } from './person-change-log.js';
import { rederivePersons } from './review-persons.js';
import { JobQueue, type PairView } from './review-queue.js';
import { reviewQuality } from './review-quality.js';

const applying = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier decision on the same job has been applied. */
function inTurn<T>(jobId: string, work: () => Promise<T>): Promise<T> {
  const before = applying.get(jobId) ?? Promise.resolve();
  const next = before.catch(() => undefined).then(work);
  applying.set(jobId, next);
  void next.finally(() => { if (applying.get(jobId) === next) applying.delete(jobId); }).catch(() => undefined);
  return next;
}

export interface DecisionOutcome extends PairView {
  readonly previous: Decision | null;
  readonly persons: { readonly merged: number; readonly split: number; readonly records_moved: number };
}

export function decideReviewPair(ctx: PipelineContext, principal: Principal, jobId: string, pair: number, decision: Decision): Promise<DecisionOutcome> {
  return inTurn(jobId, async () => {
    const queue = await JobQueue.open(ctx, jobId);
    const before = queue.view(pair);
    const previous = before.state === 'open' ? null : before.state;
    // Stored and audited first: the decision stands even if applying it to the persons fails
    // (the next decision or run applies it then).
    ctx.store.reviews.decide(before.left, before.right, decision, principal.id, { id: jobId, pair });
    recordAudit(ctx, { actor: principal.id, action: 'review.decide', target: jobId, outcome: 'ok', detail: { pair, decision, previous, left: before.left, right: before.right } });
    const { changes, moved } = await rederivePersons(ctx, queue.job);
    const evidence = `review decision on job ${jobId} pair ${pair}: ${decision} (records ${before.left.delivery}#${before.left.row} and ${before.right.delivery}#${before.right.row})`;
    recordPersonChanges(ctx, changes, evidence, jobId, principal.id);
    queue.refresh();
    await updateReport(ctx, queue);
    return {
      ...queue.view(pair), previous,
      persons: { merged: changes.filter((c) => c.kind === 'merge').length, split: changes.filter((c) => c.kind === 'split').length, records_moved: moved },
    };
  });
}

/** The job report's review section: decisions so far and the estimates beside the model's. */
async function updateReport(ctx: PipelineContext, queue: JobQueue): Promise<void> {
  const report = (ctx.store.getJob(queue.job.id)?.report ?? {}) as { review?: { band: { upper: number } }; linkage?: { estimate?: { precision: number; recall: number } } };
  if (report.review === undefined || report.review === null) return;
  const { linked, unlinked, decided } = queue.samples();
  const quality = reviewQuality(linked, unlinked, await ctx.store.readJobFile(queue.job.id, 'links'), report.review.band.upper);
  const model = report.linkage?.estimate === undefined ? null : { precision: report.linkage.estimate.precision, recall: report.linkage.estimate.recall };
  ctx.store.updateJob(queue.job.id, { report: { ...report, review: { ...report.review, decided, estimate_from_review: quality, estimate_of_model: model } } });
}
