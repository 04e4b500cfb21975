/**
 * The disk space a linkage job's outputs need, estimated from its deliveries' row counts before
 * the job starts, so that a job that could not store its results is refused at once (507,
 * KOPPEL_ERR_STORE_NO_SPACE) instead of failing after an hour of linking. The store checks the
 * exact sizes again when it writes the files.
 *
 * Bytes per row, from the schemas in job-outputs.ts and store/migrations.ts:
 *   clusters.arrow   per record: delivery and link_method as Int32 dictionary indices (4 + 4),
 *                    row Uint32 (4), person_id and match_probability Float64 (8 + 8) = 28, plus
 *                    validity bitmaps and Arrow's 8-byte padding per buffer: 32.
 *   links.arrow      per link: two (delivery index, row) pairs (4 + 4 + 4 + 4), method index
 *                    (4), match_probability and match_weight (8 + 8) = 36, plus bitmaps: 40.
 *                    The number of links is not known before linking; a record of a unique
 *                    source links to at most one record of each other delivery, so a job over
 *                    D deliveries is estimated at records x (D - 1) / 2 links (records / 2 when
 *                    one delivery is deduplicated): exact when every person is in every source.
 *   persons (SQLite) at most one new person_pseudonyms or person_records row per record: a
 *                    32-byte pseudonym or a delivery id and row, the key id and the person id,
 *                    about 60 bytes in a WITHOUT ROWID B-tree, over pages about 2/3 full: 100.
 *                    Every record is counted as a new person: an upper bound (people already
 *                    known from earlier jobs take no new row).
 *   report.json      a fixed 1 MiB: its size depends on the fields and histogram bins, not rows.
 */
import type { DeliveryRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';

const CLUSTER_ROW_BYTES = 32;
const LINK_ROW_BYTES = 40;
const PERSON_ROW_BYTES = 100;
const REPORT_BYTES = 1 << 20;

/** Estimated bytes of a job's outputs over `deliveries` (see the table above). */
export function estimateJobOutputBytes(deliveries: readonly Pick<DeliveryRecord, 'rows_kept'>[]): number {
  const records = deliveries.reduce((sum, d) => sum + d.rows_kept, 0);
  const links = Math.ceil(records * Math.max(1, deliveries.length - 1) / 2);
  return records * (CLUSTER_ROW_BYTES + PERSON_ROW_BYTES) + links * LINK_ROW_BYTES + REPORT_BYTES;
}

/** KOPPEL_ERR_STORE_NO_SPACE unless the data directory can hold the job's estimated outputs. */
export function ensureJobSpace(ctx: PipelineContext, deliveries: readonly DeliveryRecord[]): void {
  ctx.store.ensureFreeSpace(estimateJobOutputBytes(deliveries), `the outputs of a job over ${deliveries.length} deliveries`);
}
