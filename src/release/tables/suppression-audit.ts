/**
 * The audit of a suppressed table: the attacker's problem, solved. Given everything that is
 * published (every cell not suppressed, every total and subtotal), the suppressed cells are
 * the unknowns of a linear programme: every additive constraint of the table (table-shape.ts)
 * with its published cells moved to the right-hand side, and every cell >= 0. For each
 * suppressed cell, minimising and maximising it gives the interval the attacker can narrow it
 * to; a primary cell is protected when max - x >= its upper level and x - min >= its lower.
 *
 * The unknowns fall apart into independent components (cells linked through constraints that
 * hold more than one of them): one HiGHS model per component, one warm-started solve per bound.
 * The audit is independent of how the suppression was chosen, so it checks any method
 * (the optimiser and the hypercube baseline alike).
 */
import type { Highs, Model } from 'highs';
import { PRIMARY, PUBLISHED } from './primary-suppression.js';
import type { Constraints } from './table-shape.js';
import { certifiedMoves } from './deviation-certificates.js';
import type { Deviations } from './deviation-certificates.js';

export interface AuditInput {
  readonly values: Float64Array;
  readonly status: Uint8Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly constraints: Constraints;
  /** Which suppressed cells to solve for: all of them, or only the primary ones. */
  readonly cells: 'all' | 'primary';
  /**
   * Deviations that, once checked against every constraint, prove a primary cell's interval
   * wide enough without solving for it (deviation-certificates.ts).
   */
  readonly certificates?: Deviations;
  /** Solve for at most this many cells, evenly spread (an estimate, for a benchmark's peer). */
  readonly sample?: number;
}

export interface SuppressionAudit {
  readonly suppressed: number;
  /** Primary cells proven protected by a checked deviation. */
  readonly certified: number;
  /** Certificates that failed the check. */
  readonly rejectedCertificates: number;
  readonly solvedCells: number;
  /** Primary cells neither certified nor solved for (only with a sample). */
  readonly unchecked: number;
  readonly components: number;
  readonly largestComponent: number;
  readonly linearProgrammes: number;
  /** Primary cells whose interval is narrower than their protection levels require. */
  readonly narrow: number;
  /** Suppressed cells the attacker recovers exactly (interval of width 0). */
  readonly exact: number;
  /** Solves that ended without an optimum (counted as narrow when the cell is primary). */
  readonly failed: number;
  /** Per cell, the attacker's bounds (NaN where not solved; max may be Infinity). */
  readonly min: Float64Array;
  readonly max: Float64Array;
}

const TOLERANCE = 1e-6;

export function auditSuppression(highs: Highs, input: AuditInput): SuppressionAudit {
  const { values, status, constraints } = input;
  const cells = values.length;
  const variable = new Int32Array(cells).fill(-1);
  const vars: number[] = [];
  for (let c = 0; c < cells; c++) if (status[c] !== PUBLISHED) { variable[c] = vars.length; vars.push(c); }
  const { wanted, certified, rejected } = cellsToSolve(input, vars);
  const comp = components(vars.length, variable, constraints);
  const min = new Float64Array(cells).fill(NaN);
  const max = new Float64Array(cells).fill(NaN);
  let linearProgrammes = 0;
  let largest = 0;
  for (const members of comp.members) {
    largest = Math.max(largest, members.length);
    if (!members.some((v) => wanted[vars[v]] === 1)) continue;
    linearProgrammes += solveComponent(highs, input, members, vars, variable, comp.rowsOf(members), { min, max, wanted });
  }
  let narrow = 0;
  let exact = 0;
  let solvedCells = 0;
  let failed = 0;
  let unchecked = 0;
  for (const c of vars) {
    if (wanted[c] === 0) {
      if (status[c] === PRIMARY && certified[c] === 0) unchecked++;
      continue;
    }
    solvedCells++;
    if (Number.isNaN(min[c]) || Number.isNaN(max[c])) {
      failed++;
      if (status[c] === PRIMARY) narrow++;
      continue;
    }
    const tol = TOLERANCE * Math.max(1, Math.abs(values[c]));
    if (max[c] - min[c] <= tol) exact++;
    if (status[c] === PRIMARY && (max[c] - values[c] < input.upper[c] - tol || values[c] - min[c] < input.lower[c] - tol)) narrow++;
  }
  return {
    suppressed: vars.length, certified: certified.reduce((a, b) => a + b, 0), rejectedCertificates: rejected, solvedCells, unchecked,
    components: comp.members.length, largestComponent: largest, linearProgrammes, narrow, exact, failed, min, max,
  };
}

/** Per cell, 1 if the audit solves for it: selected, not certified, within the sample. */
function cellsToSolve(input: AuditInput, vars: readonly number[]) {
  const { values, status, upper, lower } = input;
  const wanted = new Uint8Array(values.length);
  const certified = new Uint8Array(values.length);
  let rejected = 0;
  if (input.certificates !== undefined) {
    const proof = certifiedMoves(values, status, input.constraints, input.certificates);
    rejected = proof.rejected;
    for (const c of vars) {
      const tol = TOLERANCE * Math.max(1, Math.abs(values[c]));
      if (status[c] === PRIMARY && proof.up[c] >= upper[c] - tol && proof.down[c] >= lower[c] - tol) certified[c] = 1;
    }
  }
  const candidates = vars.filter((c) => certified[c] === 0 && (input.cells === 'all' || status[c] === PRIMARY));
  const step = input.sample === undefined || candidates.length <= input.sample ? 1 : candidates.length / input.sample;
  for (let i = 0; i < candidates.length; i += step) wanted[candidates[Math.floor(i)]] = 1;
  return { wanted, certified, rejected };
}

/** Union-find over the suppressed cells, joined by every constraint that holds two or more. */
function components(n: number, variable: Int32Array, { rowStart, entries }: Constraints) {
  const root = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (root[i] !== i) { root[i] = root[root[i]]; i = root[i]; }
    return i;
  };
  const rows = rowStart.length - 1;
  const rowComp = new Int32Array(rows).fill(-1);
  for (let r = 0; r < rows; r++) {
    let first = -1;
    for (let e = rowStart[r]; e < rowStart[r + 1]; e++) {
      const v = variable[entries[e]];
      if (v < 0) continue;
      if (first < 0) first = v;
      else root[find(v)] = find(first);
    }
    rowComp[r] = first;
  }
  const byRoot = new Map<number, number[]>();
  for (let v = 0; v < n; v++) {
    const r = find(v);
    let list = byRoot.get(r);
    if (list === undefined) { list = []; byRoot.set(r, list); }
    list.push(v);
  }
  const rowsByRoot = new Map<number, number[]>();
  for (let r = 0; r < rows; r++) {
    if (rowComp[r] < 0) continue;
    const k = find(rowComp[r]);
    let list = rowsByRoot.get(k);
    if (list === undefined) { list = []; rowsByRoot.set(k, list); }
    list.push(r);
  }
  return {
    members: [...byRoot.values()],
    rowsOf: (members: readonly number[]): readonly number[] => rowsByRoot.get(find(members[0])) ?? [],
  };
}

function solveComponent(
  highs: Highs, input: AuditInput, members: readonly number[], vars: readonly number[], variable: Int32Array,
  rows: readonly number[], { min, max, wanted }: { min: Float64Array; max: Float64Array; wanted: Uint8Array },
): number {
  const { values, constraints: { rowStart, entries } } = input;
  const local = new Map<number, number>();
  members.forEach((v, j) => local.set(v, j));
  const starts = new Int32Array(rows.length + 1);
  const indices: number[] = [];
  const coef: number[] = [];
  const rhs = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    for (let e = rowStart[r]; e < rowStart[r + 1]; e++) {
      const sign = e === rowStart[r] ? 1 : -1;
      const v = variable[entries[e]];
      if (v < 0) rhs[i] -= sign * values[entries[e]];
      else { indices.push(local.get(v) as number); coef.push(sign); }
    }
    starts[i + 1] = indices.length;
  });
  const m = members.length;
  const model = highs.createModel({
    numCols: m, numRows: rows.length, colCost: new Float64Array(m), colLower: new Float64Array(m),
    colUpper: new Float64Array(m).fill(highs.infinity), rowLower: rhs, rowUpper: rhs,
    matrix: { format: 'csr', numRows: rows.length, numCols: m, starts, indices, values: coef },
  });
  let solves = 0;
  try {
    model.options.set({ output_flag: false, presolve: 'off' });
    const { optimal, unbounded } = highs.constants.modelStatus;
    for (let j = 0; j < m; j++) {
      const cell = vars[members[j]];
      if (wanted[cell] === 0) continue;
      model.changeColCost(j, 1);
      solves += run(model, highs);
      min[cell] = model.getModelStatus() === optimal ? model.getObjectiveValue() : NaN;
      model.changeColCost(j, -1);
      solves += run(model, highs);
      const s = model.getModelStatus();
      max[cell] = s === optimal ? -model.getObjectiveValue() : s === unbounded ? Infinity : NaN;
      model.changeColCost(j, 0);
    }
  } finally {
    model.dispose();
  }
  return solves;
}

/**
 * One warm-started solve; should HiGHS end it without a verdict (status "unknown", seen on
 * a warm start after an objective change), once more from a cold start. The number of runs.
 */
function run(model: Model, highs: Highs): number {
  model.run();
  const s = model.getModelStatus();
  const { optimal, unbounded, infeasible } = highs.constants.modelStatus;
  if (s === optimal || s === unbounded || s === infeasible) return 1;
  model.clearSolver();
  model.run();
  return 2;
}
