/**
 * The records a table counts, as every source hands them to table-prepare.ts: a finished job
 * (tables.ts), an approved release (table-release-source.ts) or local files (local-table.ts).
 * Its own module because table-prepare.ts reaches table-release-source.ts through
 * table-specs.ts: declared in either, the type would close an import cycle.
 */
import type { Data, Vector } from 'apache-arrow';
import type { PeriodRun } from '../release/index.js';

/** One row each: its person, its delivery period and its columns. */
export interface TableRecordsInput {
  readonly personOfRow: Int32Array;
  readonly persons: number;
  /** Runs of rows per period (a job's deliveries), or a column of periods (local files). */
  readonly periods: readonly PeriodRun[] | Vector | Data;
  readonly columns: Readonly<Record<string, Vector | Data>>;
}
