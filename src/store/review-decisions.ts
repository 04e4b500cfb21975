/**
 * Clerical review decisions: per pair of records (delivery id + row, the smaller reference
 * first, so a pair is one row whichever side a run put it on) the latest verdict, who gave it,
 * when, and in which job's queue. The audit trail keeps every decision; this table keeps the one
 * in force, which later runs apply (a match links, a non-match never links) and skip in their
 * queues. Record references only: nothing from an upload.
 */
import type { Db } from './database.js';
import { now } from './ids.js';

export const DECISIONS = ['match', 'non-match', 'unsure'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface RecordRef {
  readonly delivery: string;
  readonly row: number;
}

export interface DecisionRow {
  readonly left_delivery: string;
  readonly left_row: number;
  readonly right_delivery: string;
  readonly right_row: number;
  readonly decision: Decision;
  readonly job_id: string;
  readonly pair: number;
  readonly decided_by: string;
  readonly decided_at: string;
}

/** The pair in its stored orientation. */
export function orderedPair(a: RecordRef, b: RecordRef): [RecordRef, RecordRef] {
  return a.delivery < b.delivery || (a.delivery === b.delivery && a.row <= b.row) ? [a, b] : [b, a];
}


export class ReviewDecisions {
  private readonly upsert;
  private readonly byDeliveries;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO review_decisions (left_delivery, left_row, right_delivery, right_row, decision, job_id, pair, decided_by, decided_at)
      VALUES (@left_delivery, @left_row, @right_delivery, @right_row, @decision, @job_id, @pair, @decided_by, @decided_at)
      ON CONFLICT DO UPDATE SET decision = excluded.decision, job_id = excluded.job_id, pair = excluded.pair,
        decided_by = excluded.decided_by, decided_at = excluded.decided_at`);
    this.byDeliveries = db.prepare<[{ ids: string }], DecisionRow>(`SELECT * FROM review_decisions
      WHERE left_delivery IN (SELECT value FROM json_each(@ids)) AND right_delivery IN (SELECT value FROM json_each(@ids))
      ORDER BY left_delivery, left_row, right_delivery, right_row`);
  }

  /** Records the verdict in force for the pair (replacing an earlier one); returns the stored row. */
  decide(a: RecordRef, b: RecordRef, decision: Decision, by: string, job: { id: string; pair: number }): DecisionRow {
    const [l, r] = orderedPair(a, b);
    const row: DecisionRow = {
      left_delivery: l.delivery, left_row: l.row, right_delivery: r.delivery, right_row: r.row,
      decision, job_id: job.id, pair: job.pair, decided_by: by, decided_at: now(),
    };
    this.upsert.run(row);
    return row;
  }

  /** The decisions in force between records of these deliveries. */
  among(deliveries: readonly string[]): DecisionRow[] {
    return this.byDeliveries.all({ ids: JSON.stringify(deliveries) });
  }
}
