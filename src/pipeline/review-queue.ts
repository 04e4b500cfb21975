/**
 * The review queue a reviewer reads (README "Clerical review"): a finished job's review.arrow
 * (review-file.ts) joined with the decisions in force. What a pair shows is safe by
 * construction: record references, per field the comparison level's name and its weight, the
 * total and its probability, and (one pair at a time) the records' attributes that the project
 * releases, recoded as its release recodes them. Never a name, number or birth date.
 */
import type { Table } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { DecisionRow, RecordRef } from '../store/review-decisions.js';
import { orderedPair } from '../store/review-decisions.js';
import type { JobRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import type { Sample } from './review-quality.js';
import { readJob } from './jobs.js';
import { recordAttributes, type RecordView } from './review-attributes.js';

export const REVIEW_STATES = ['open', 'decided', 'match', 'non-match', 'unsure', 'all'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export interface PairView {
  readonly pair: number;
  /** `open`, or the decision in force. */
  readonly state: 'open' | DecisionRow['decision'];
  readonly decided_by: string | null;
  readonly left: RecordRef;
  readonly right: RecordRef;
  readonly match_weight: number;
  readonly match_probability: number;
  /** What the threshold decided for this run: `linked` or `not linked`. */
  readonly provisional: string;
  readonly fields: readonly { readonly name: string; readonly level: string; readonly weight: number }[];
}

const keyOf = (a: RecordRef, b: RecordRef) => {
  const [l, r] = orderedPair(a, b);
  return `${l.delivery}:${l.row}|${r.delivery}:${r.row}`;
};

/** A finished job's queue: its review.arrow and the decisions in force among its deliveries. */
export class JobQueue {
  private decisions: Map<string, DecisionRow> | null = null;

  private constructor(private readonly ctx: PipelineContext, readonly job: JobRecord, private readonly table: Table) {}

  static async open(ctx: PipelineContext, jobId: string): Promise<JobQueue> {
    const job = readJob(ctx, jobId);
    if (job.status !== 'succeeded') throw new KoppelError('KOPPEL_ERR_LINK_JOB_NOT_DONE', `job ${jobId} is ${job.status}; its review queue exists once it has succeeded`, { job: jobId });
    if (!job.files.some((f) => f.name === 'review.arrow')) {
      throw new KoppelError('KOPPEL_ERR_LINK_NO_REVIEW', `job ${jobId} has no review queue (it ran without a probabilistic pass, or before clerical review existed)`, { job: jobId });
    }
    return new JobQueue(ctx, job, await ctx.store.readJobFile(jobId, 'review'));
  }

  get length(): number {
    return this.table.numRows;
  }

  get deliveries(): string[] {
    return (this.job.settings as { deliveries: string[] }).deliveries;
  }

  private decisionOf(left: RecordRef, right: RecordRef): DecisionRow | undefined {
    if (this.decisions === null) this.decisions = new Map(this.ctx.store.reviews.among(this.deliveries).map((d) => [keyOf({ delivery: d.left_delivery, row: d.left_row }, { delivery: d.right_delivery, row: d.right_row }), d]));
    return this.decisions.size === 0 ? undefined : this.decisions.get(keyOf(left, right));
  }

  /** Forget the cached decisions (after a new one). */
  refresh(): void {
    this.decisions = null;
  }

  private value(name: string, i: number): unknown {
    return this.table.getChild(name)!.get(i);
  }

  records(pair: number): { left: RecordRef; right: RecordRef } {
    this.check(pair);
    return {
      left: { delivery: String(this.value('left_delivery', pair)), row: Number(this.value('left_row', pair)) },
      right: { delivery: String(this.value('right_delivery', pair)), row: Number(this.value('right_row', pair)) },
    };
  }

  check(pair: number): void {
    if (!Number.isSafeInteger(pair) || pair < 0 || pair >= this.length) {
      throw new KoppelError('KOPPEL_ERR_LINK_UNKNOWN_PAIR', `job ${this.job.id} has no review pair ${pair} (it has ${this.length})`, { job: this.job.id, pairs: this.length });
    }
  }

  view(pair: number): PairView {
    const { left, right } = this.records(pair);
    const decision = this.decisionOf(left, right);
    const fields = this.table.schema.fields.filter((f) => f.name.startsWith('level.')).map((f) => {
      const name = f.name.slice('level.'.length);
      return { name, level: String(this.value(f.name, pair)), weight: round(Number(this.value(`weight.${name}`, pair))) };
    });
    return {
      pair, state: decision?.decision ?? 'open', decided_by: decision?.decided_by ?? null, left, right,
      match_weight: round(Number(this.value('match_weight', pair))), match_probability: round(Number(this.value('match_probability', pair))),
      provisional: String(this.value('provisional', pair)), fields,
    };
  }

  /** The reviewed samples on each side of the threshold (review-quality.ts), and decisions by kind. */
  samples(): { linked: Sample; unlinked: Sample; decided: Record<DecisionRow['decision'], number> } {
    const counts = [{ pairs: 0, reviewed: 0, matches: 0 }, { pairs: 0, reviewed: 0, matches: 0 }];
    const decided = { match: 0, 'non-match': 0, unsure: 0 };
    for (let pair = 0; pair < this.length; pair++) {
      const side = counts[String(this.value('provisional', pair)) === 'linked' ? 0 : 1];
      side.pairs++;
      const { left, right } = this.records(pair);
      const decision = this.decisionOf(left, right)?.decision;
      if (decision === undefined) continue;
      decided[decision]++;
      if (decision === 'unsure') continue;
      side.reviewed++;
      if (decision === 'match') side.matches++;
    }
    return { linked: counts[0], unlinked: counts[1], decided };
  }

  /** The pairs in a state, paged. */
  list(state: ReviewState, offset: number, limit: number): { total: number; pairs: PairView[] } {
    const matching: number[] = [];
    for (let pair = 0; pair < this.length; pair++) {
      if (state === 'all') { matching.push(pair); continue; }
      const { left, right } = this.records(pair);
      const decision = this.decisionOf(left, right)?.decision ?? 'open';
      if (decision === state || (state === 'decided' && decision !== 'open')) matching.push(pair);
    }
    return { total: matching.length, pairs: matching.slice(offset, offset + limit).map((p) => this.view(p)) };
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export async function listReviewQueue(ctx: PipelineContext, jobId: string, query: { state?: ReviewState; offset?: number; limit?: number }) {
  const queue = await JobQueue.open(ctx, jobId);
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 50;
  return { job: jobId, state: query.state ?? 'open', offset, limit, ...queue.list(query.state ?? 'open', offset, limit) };
}

/** One pair with its two records' releasable attributes. */
export async function readReviewPair(ctx: PipelineContext, jobId: string, pair: number): Promise<PairView & { records: { left: RecordView; right: RecordView } }> {
  const queue = await JobQueue.open(ctx, jobId);
  const view = queue.view(pair);
  const project = ctx.store.getProject(queue.job.project_id)!;
  return { ...view, records: { left: await recordAttributes(ctx, project, view.left), right: await recordAttributes(ctx, project, view.right) } };
}
