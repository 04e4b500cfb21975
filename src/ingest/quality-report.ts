/**
 * The quality report a supplier gets back for a delivery. JSON-serialisable and value-free: it
 * names rows, columns, reasons and counts, never a value from the extract.
 */
import { INSZ_STATUS_NAMES, type InszStatusName } from './insz.js';

/** Why a row was rejected. `field_count` comes from the CSV reader; the rest are per column. */
export const FAULT_REASONS = ['field_count', 'missing_required', 'not_a_number', 'not_an_integer', 'not_in_code_list', 'bad_date'] as const;
export type FaultReason = (typeof FAULT_REASONS)[number];

export const FIRST_ROWS_KEPT = 10;

export interface QualityFault {
  reason: FaultReason;
  column?: string;
  /** Rows with this fault (a row can carry several faults; it is rejected once). */
  count: number;
  /** The first data row numbers with this fault, ascending. */
  first_rows: number[];
  /** field_count only: the header's field count, and the actual count of each row in first_rows. */
  expected_fields?: number;
  actual_fields?: number[];
}

export interface QualityReport {
  rows_read: number;
  rows_kept: number;
  rows_rejected: number;
  /** Status of the national number over the kept rows (all zero when the schema has none). */
  national_id: Record<InszStatusName, number>;
  faults: QualityFault[];
}

/** Counts faults per (reason, column) while batches stream by. */
/** Counts faults per (reason, column) while batches stream by. */
export class FaultTally {
  private fieldCount: QualityFault | null = null;
  private readonly byColumn = new Map<string, QualityFault>();

  /** Count every row with `bad[i] !== 0` under one reason and column, and mark it in `reject`. */
  addMarked(reason: FaultReason, column: string, bad: Uint8Array, rows: Uint32Array, reject: Uint8Array): void {
    let fault: QualityFault | undefined;
    for (let i = 0; i < bad.length; i++) {
      if (bad[i] === 0) continue;
      reject[i] = 1;
      if (fault === undefined) fault = this.entry(reason, column);
      fault.count++;
      if (fault.first_rows.length < FIRST_ROWS_KEPT) fault.first_rows.push(rows[i]);
    }
  }

  /** The CSV reader's rejected records (it keeps the first ones with their field counts). */
  setFieldCount(count: number, first: readonly { row: number; expected: number; actual: number }[]): void {
    if (count === 0) return;
    this.fieldCount = {
      reason: 'field_count',
      count,
      first_rows: first.map((x) => x.row),
      expected_fields: first[0]?.expected,
      actual_fields: first.map((x) => x.actual),
    };
  }

  /** field_count first, then per column in the order the faults were first met; copies. */
  list(): QualityFault[] {
    const all = this.fieldCount === null ? [] : [this.fieldCount];
    all.push(...this.byColumn.values());
    return all.map((f) => ({ ...f, first_rows: [...f.first_rows], ...(f.actual_fields ? { actual_fields: [...f.actual_fields] } : {}) }));
  }

  private entry(reason: FaultReason, column: string): QualityFault {
    const key = `${reason}\u0000${column}`;
    let f = this.byColumn.get(key);
    if (f === undefined) {
      f = { reason, column, count: 0, first_rows: [] };
      this.byColumn.set(key, f);
    }
    return f;
  }
}

export function emptyNationalIdCounts(): Record<InszStatusName, number> {
  const out = {} as Record<InszStatusName, number>;
  for (const name of INSZ_STATUS_NAMES) out[name] = 0;
  return out;
}
