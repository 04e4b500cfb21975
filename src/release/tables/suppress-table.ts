/**
 * A table from records to a published, audited result: cells built (table-cells.ts), primary
 * suppression by the policy's rules, secondary suppression by linear programmes over the
 * modular decomposition, then the attacker's audit over the whole table, which refuses the
 * table if any sensitive cell comes out narrower than its protection interval.
 *
 * The measure: `persons` counts distinct contributors, `records` counts records, `sum` adds a
 * numeric attribute, `mean` publishes sum / contributors where the sum is published (the
 * suppression runs on the sums, which are additive; means are not).
 */
import type { Highs } from 'highs';
import { KoppelError } from '../../errors.js';
import { auditSuppression, type SuppressionAudit } from './suppression-audit.js';
import { buildCells, type CellStats, type TableInput } from './table-cells.js';
import {
  DEFAULT_TABLE_POLICY, PRIMARY, policyProblems, primarySuppression, topContributionsNeeded, type SuppressionPolicy,
} from './primary-suppression.js';
import { secondarySuppression, type SecondaryReport } from './secondary-suppression.js';
import { tableConstraints, tableShape, type TableShape } from './table-shape.js';
import type { DimensionTree } from './dimension-tree.js';
import { linkEarlier, type EarlierReport, type EarlierTable, type LinkedSystem } from './earlier-tables.js';

export type { EarlierTable } from './earlier-tables.js';

export type TableMeasure = 'persons' | 'records' | 'sum' | 'mean';

export interface TableSpec {
  readonly dimensions: readonly DimensionTree[];
  readonly measure: TableMeasure;
  readonly policy?: Partial<SuppressionPolicy>;
  /** Information loss minimised by the secondary suppression: the value of the cells suppressed (default), or their number. */
  readonly loss?: 'cells' | 'value';
}

export interface SuppressedTable {
  readonly shape: TableShape;
  readonly policy: SuppressionPolicy;
  /** The information loss the secondary suppression minimised. */
  readonly loss: 'cells' | 'value';
  readonly stats: CellStats;
  /** Per cell, the value the suppression protects (count or sum). */
  readonly values: Float64Array;
  /** Per cell, what is published where the cell is (mean: sum / contributors). */
  readonly published: Float64Array;
  /** Per cell, PUBLISHED, PRIMARY or SECONDARY. */
  readonly status: Uint8Array;
  readonly reasons: Uint8Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly primaries: number;
  readonly secondary: SecondaryReport;
  /** The attacker's audit; with earlier tables, over the linked system (this table's cells first). */
  readonly audit: SuppressionAudit;
  /** What the earlier tables changed (all 0 without them). */
  readonly earlier: EarlierReport;
}

export interface SuppressOptions {
  /** Tables the project published before: shared cells keep their status, and all are protected together. */
  readonly earlier?: readonly EarlierTable[];
}

const NO_EARLIER: EarlierReport = Object.freeze({ linked: 0, sharedCells: 0, publishedBefore: 0, suppressedBefore: 0, differing: 0 });

export function resolvePolicy(spec: TableSpec): SuppressionPolicy {
  const policy = Object.freeze({ ...DEFAULT_TABLE_POLICY, ...spec.policy });
  const problems = policyProblems(policy);
  if (!['persons', 'records', 'sum', 'mean'].includes(spec.measure)) problems.push('measure must be persons, records, sum or mean');
  if (spec.loss !== undefined && spec.loss !== 'cells' && spec.loss !== 'value') problems.push('loss must be "cells" or "value"');
  if (spec.dimensions.length === 0) problems.push('a table needs at least one dimension');
  if (problems.length > 0) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_TABLE', `invalid table specification: ${problems.join('; ')}`, { problems });
  }
  return policy;
}

/**
 * The cost of suppressing each cell, as the secondary suppression minimises it. By default
 * its value plus one (tau-Argus's cost for frequency tables is the cell's frequency; the one
 * keeps zero cells from being free): a total costs what all its parts cost together, so a
 * protection moves a national or regional total only when no interior cells can carry it.
 * `cells`: one per cell, fewest cells whatever they hold.
 */
export function lossWeights(values: Float64Array, loss: TableSpec['loss']): Float64Array {
  return loss === 'cells' ? new Float64Array(values.length).fill(1) : values.map((v) => v + 1);
}

/** Build and protect a table; throws KOPPEL_ERR_RELEASE_TABLE_UNSAFE if the audit fails. */
export function suppressTable(highs: Highs, spec: TableSpec, input: TableInput, options: SuppressOptions = {}): SuppressedTable {
  const policy = resolvePolicy(spec);
  const magnitude = spec.measure === 'sum' || spec.measure === 'mean';
  if (magnitude !== (input.value !== null)) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_TABLE', `a ${spec.measure} table ${magnitude ? 'needs' : 'takes no'} value column`);
  }
  const shape = tableShape(spec.dimensions);
  const stats = buildCells(shape, input, topContributionsNeeded(policy, magnitude));
  if (spec.measure === 'persons' && stats.contributorsSplit > 0) {
    // Distinct persons do not add up over cells a person spans, and every rule and LP below
    // rests on totals being sums of their parts.
    throw new KoppelError(
      'KOPPEL_ERR_RELEASE_BAD_TABLE',
      `${stats.contributorsSplit} persons fall in more than one cell, so person counts would not add up; count records instead`,
      { contributors_split: stats.contributorsSplit },
    );
  }
  const values = spec.measure === 'persons' ? Float64Array.from(stats.contributors) : stats.total;
  const primary = primarySuppression(values, stats, policy, magnitude);
  const linked = linkEarlier(shape, values, primary, policy, spec.measure, options.earlier ?? []);
  const all: Pick<LinkedSystem, 'values' | 'status' | 'reasons' | 'upper' | 'lower'> = linked ?? { ...primary, values };
  const weights = lossWeights(all.values, spec.loss);
  const secondary = secondarySuppression(highs, {
    shape, values: all.values, status: all.status, upper: all.upper, lower: all.lower, weights,
    system: linked === null ? undefined : linked,
  });
  const audit = auditSuppression(highs, {
    values: all.values, status: all.status, upper: all.upper, lower: all.lower, constraints: linked?.constraints ?? tableConstraints(shape),
    cells: 'primary', certificates: secondary.deviations,
  });
  const n = shape.cells;
  const status = all.status.subarray(0, n);
  const primaries = status.reduce((k, s) => k + (s === PRIMARY ? 1 : 0), 0);
  if (audit.narrow > 0) {
    throw new KoppelError(
      'KOPPEL_ERR_RELEASE_TABLE_UNSAFE',
      `the audit found ${audit.narrow} of ${primaries} sensitive cells narrower than their protection interval`,
      { narrow: audit.narrow, primaries, suppressed: audit.suppressed },
    );
  }
  const published = spec.measure === 'mean' ? values.map((s, c) => (stats.contributors[c] > 0 ? s / stats.contributors[c] : 0)) : values;
  return {
    shape, policy, loss: spec.loss ?? 'value', stats, values, published, status, reasons: all.reasons.subarray(0, n), upper: all.upper.subarray(0, n),
    lower: all.lower.subarray(0, n), primaries, secondary, audit, earlier: linked?.report ?? NO_EARLIER,
  };
}
