/**
 * The job's review queue as a file, and earlier decisions as the link stage's constraints.
 *
 * review.arrow, one row per uncertain pair (the row number is the pair's id in the API):
 * ```
 * left_delivery, left_row, right_delivery, right_row   the two records (delivery id + row)
 * match_weight, match_probability                      the pair's total and its probability
 * provisional                                          `linked` / `not linked`: the threshold's call
 * level.<field>, weight.<field>                         per field the level reached and its weight
 * ```
 * Nothing from an upload: record references, level names and numbers only.
 */
import { Float64, Uint32, makeData, tableToIPC, Dictionary, Utf8, Int32 } from 'apache-arrow';
import { DECISION_MATCH, DECISION_NON_MATCH, type ClericalDecisions } from '../link/clerical-decisions.js';
import type { ReviewQueue } from '../link/clerical.js';
import type { NamedBytes } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { dictionaryColumn } from '../util/arrow-columns.js';
import { recordBatchOf, schemaOf, tableOf } from '../util/arrow-batch.js';

/** A decision as it crosses to the link worker: two records and the verdict. */
export interface DecisionRef {
  readonly left_delivery: string;
  readonly left_row: number;
  readonly right_delivery: string;
  readonly right_row: number;
  readonly decision: 'match' | 'non-match';
}

export const PROVISIONAL = ['not linked', 'linked'] as const;

const u32 = (a: Uint32Array) => makeData({ type: new Uint32(), length: a.length, nullCount: 0, data: a });
const f64 = (a: Float64Array) => makeData({ type: new Float64(), length: a.length, nullCount: 0, data: a });
const dict = () => new Dictionary(new Utf8(), new Int32());

export const REVIEW_BASE_FILE = 'review-base';

/**
 * review.arrow of a job, and review-base.arrow: per record (in clusters.arrow's order) the
 * record its person started from after the deterministic pass. `rows[s]` maps source s's
 * record numbers to its delivery rows.
 */
export function reviewFiles(queue: ReviewQueue, rows: readonly Uint32Array[], deliveryIds: readonly string[]): NamedBytes[] {
  const n = queue.length;
  const F = queue.fields.length;
  const leftRow = new Uint32Array(n); const rightRow = new Uint32Array(n);
  for (let q = 0; q < n; q++) {
    leftRow[q] = rows[queue.leftSource[q]][queue.leftRecord[q]];
    rightRow[q] = rows[queue.rightSource[q]][queue.rightRecord[q]];
  }
  const columns = [
    { name: 'left_delivery', type: dict(), data: dictionaryColumn(deliveryIds, queue.leftSource) },
    { name: 'left_row', type: new Uint32(), data: u32(leftRow) },
    { name: 'right_delivery', type: dict(), data: dictionaryColumn(deliveryIds, queue.rightSource) },
    { name: 'right_row', type: new Uint32(), data: u32(rightRow) },
    { name: 'match_weight', type: new Float64(), data: f64(queue.weight) },
    { name: 'match_probability', type: new Float64(), data: f64(queue.probability) },
    { name: 'provisional', type: dict(), data: dictionaryColumn(PROVISIONAL, Int32Array.from(queue.linked)) },
  ];
  queue.fields.forEach((field, f) => {
    const level = new Int32Array(n); const weight = new Float64Array(n);
    for (let q = 0; q < n; q++) { level[q] = queue.levels[q * F + f]; weight[q] = queue.fieldWeights[q * F + f]; }
    columns.push({ name: `level.${field.name}`, type: dict(), data: dictionaryColumn(field.levels, level) });
    columns.push({ name: `weight.${field.name}`, type: new Float64(), data: f64(weight) });
  });
  const schema = schemaOf(columns);
  const table = tableOf(schema, [recordBatchOf(schema, columns.map((c) => c.data))]);
  const baseSchema = schemaOf([{ name: 'base', type: new Uint32() }]);
  const base = tableOf(baseSchema, [recordBatchOf(baseSchema, [u32(Uint32Array.from(queue.base))])]);
  return [
    { name: 'review', bytes: tableToIPC(table, 'file'), rows: n },
    { name: REVIEW_BASE_FILE, bytes: tableToIPC(base, 'file'), rows: queue.base.length },
  ];
}

/**
 * Decisions on records of this job's deliveries, as source and record numbers. A decision
 * naming a row the job does not hold (another delivery, a row dropped) is left out.
 */
export function clericalDecisions(decisions: readonly DecisionRef[], deliveryIds: readonly string[], rows: readonly Uint32Array[]): ClericalDecisions | null {
  if (decisions.length === 0) return null;
  const sourceOf = new Map(deliveryIds.map((id, s) => [id, s]));
  const recordOf = new Map<number, Map<number, number>>();
  const record = (s: number, row: number): number => {
    let map = recordOf.get(s);
    if (map === undefined) {
      map = new Map();
      for (let r = 0; r < rows[s].length; r++) map.set(rows[s][r], r);
      recordOf.set(s, map);
    }
    return map.get(row) ?? -1;
  };
  const kept: [number, number, number, number, number][] = [];
  for (const d of decisions) {
    const ls = sourceOf.get(d.left_delivery); const rs = sourceOf.get(d.right_delivery);
    if (ls === undefined || rs === undefined) continue;
    const lr = record(ls, d.left_row); const rr = record(rs, d.right_row);
    if (lr < 0 || rr < 0) continue;
    kept.push([ls, lr, rs, rr, d.decision === 'match' ? DECISION_MATCH : DECISION_NON_MATCH]);
  }
  if (kept.length === 0) return null;
  return {
    leftSource: Int32Array.from(kept, (k) => k[0]), leftRecord: Int32Array.from(kept, (k) => k[1]),
    rightSource: Int32Array.from(kept, (k) => k[2]), rightRecord: Int32Array.from(kept, (k) => k[3]),
    verdict: Uint8Array.from(kept, (k) => k[4]),
  };
}

const probability = (w: number) => 1 / (1 + Math.pow(2, -w));

/** The job report's summary of its queue, from the link task's (band in weights and probabilities). */
export function reviewSummary(review: { band: { lower: number; upper: number }; pairs: number; truncated: number } | null) {
  if (review === null) return null;
  const { lower, upper } = review.band;
  return {
    band: { lower, upper, lower_probability: probability(lower), upper_probability: probability(upper) },
    pairs: review.pairs,
    truncated: review.truncated,
  };
}

/** The decisions a new job over these deliveries applies: matches and non-matches (unsure is no constraint). */
export function settledDecisions(ctx: PipelineContext, deliveries: readonly string[]): DecisionRef[] {
  const out: DecisionRef[] = [];
  for (const d of ctx.store.reviews.among(deliveries)) {
    if (d.decision === 'unsure') continue;
    out.push({ left_delivery: d.left_delivery, left_row: d.left_row, right_delivery: d.right_delivery, right_row: d.right_row, decision: d.decision });
  }
  return out;
}
