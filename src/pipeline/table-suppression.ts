/**
 * Where a table build meets the suppression engine (release/tables/suppress-table.ts): off the
 * main thread in a worker of the one pool (util/worker-pool.ts) when the server runs, so that
 * a table of 100,000 cells (seconds of linear programmes) never stalls HTTP; inline for the CLI
 * and for `jobWorkers: 0`.
 *
 * `earlier` is every table the project published before (the ledger): the engine keeps cells
 * published before published and cells suppressed before suppressed, and audits across them.
 * This file is the one place it is handed over.
 */
import { loadLpSolver } from '../release/tables/lp-solver.js';
import { suppressTable, type EarlierTable, type SuppressedTable, type TableSpec } from '../release/tables/suppress-table.js';
import type { TableInput } from '../release/tables/table-cells.js';
import { WorkerPool } from '../util/worker-pool.js';

/** A table the project published before, as the engine takes it (its own output: trees, measure, values, status). */
export type { EarlierTable } from '../release/tables/suppress-table.js';

export interface SuppressionTask {
  readonly spec: TableSpec;
  readonly input: TableInput;
  readonly earlier: readonly EarlierTable[];
}

/** Whether the engine takes `earlier` yet (recorded in every manifest, so a reader knows). */
export const EARLIER_ENFORCED = true;

export type TableTasks = { suppress: (task: SuppressionTask) => Promise<SuppressedTable> };

/** The engine itself, on whichever thread runs it. */
export async function suppressHere(task: SuppressionTask): Promise<SuppressedTable> {
  const highs = await loadLpSolver();
  return suppressTable(highs, task.spec, task.input, { earlier: task.earlier });
}

let pool: WorkerPool<TableTasks> | undefined;

export async function runSuppression(task: SuppressionTask, where: 'worker' | 'inline'): Promise<SuppressedTable> {
  if (where === 'inline') return suppressHere(task);
  pool ??= new WorkerPool<TableTasks>({ from: import.meta.url, entry: 'table-worker', role: 'suppressing a table', size: 1, start: 'on-demand' });
  // The per-record arrays (tens of MB for millions of records) are moved, not copied: the
  // build does not read them again.
  const buffers = new Set<ArrayBufferLike>([...task.input.leaves.map((l) => l.buffer), task.input.contributor.buffer]);
  if (task.input.value !== null) buffers.add(task.input.value.buffer);
  return pool.run('suppress', task, [...buffers].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
}
