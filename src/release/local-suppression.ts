/**
 * Local suppression with variable importance (sdcMicro's `localSuppression`): for each record
 * of a group that is not compliant (fewer than k records, or not l-diverse), suppress the
 * fewest values, the least important variables first, until the record falls into a
 * compliant group.
 *
 * A suppressed value is null, and null is its own category (a null matches only null, never
 * a value): the released tuples are grouped exactly as they are, so the k-check is exact.
 *
 * Importance is the order of the variables (the project's `key_variables`, most important
 * first). A suppression pattern is a bit mask over the variables (bit v = variable v); the
 * patterns are tried fewest values first, then by the importance of what they suppress (the
 * pattern whose most important variable is least important first, and so on down).
 *
 * Rounds, each over the current grouping (deterministic: records in row order). For b = 1, 2,
 * ... values, until some record moved:
 *  A. a violator joins an existing compliant group by the first pattern of b values that gets
 *     it there (compliant groups only grow, so every join keeps them compliant);
 *  B. the violators left over form new groups: violators whose tuple under a pattern of b
 *     values is shared by at least k of them take it together (the pattern that places the
 *     most violators first, ties to the less important).
 * C. Only if no pattern moved anyone: each violator loses its least important value left.
 * Every round nulls at least one value, so the rounds end. When the violators are all null on
 * every variable, the all-null group takes records from compliant groups (fill-null-group.ts).
 */
import { compliantGroups, violatorsOf, type Diversity } from './group-compliance.js';
import { groupByCodes } from './group-codes.js';
import { fillNullGroup } from './fill-null-group.js';
import { TupleTable } from './tuple-table.js';

export interface SuppressionOutcome {
  /** Values turned into null, per variable. */
  readonly suppressed: Int32Array;
  /** Per record, 1 when any of its values was suppressed. */
  readonly affected: Uint8Array;
  /** Even every record in one group is not compliant: every value was suppressed. */
  readonly unattainable: boolean;
}

/** At most this many patterns are tried per record (all of them up to 8 variables). */
const MAX_PATTERNS = 256;

/**
 * Non-empty masks over `n` variables, fewest bits first, then least important first (as
 * numbers with variable v weighing 2^(n-1-v): the smaller, the less important its most
 * important member). Masks of b bits come from Gosper's next-combination step.
 */
export function suppressionPatterns(n: number): Int32Array {
  const out: number[] = [];
  const weight = (m: number): number => {
    let w = 0;
    for (let v = 0; v < n; v++) if ((m >>> v) & 1) w += 2 ** (n - 1 - v);
    return w;
  };
  for (let b = 1; b <= n && out.length < MAX_PATTERNS; b++) {
    const level: number[] = [];
    for (let m = 2 ** b - 1; m < 2 ** n;) {
      level.push(m);
      const low = m & -m;
      const ripple = m + low;
      m = ripple + Math.floor((m ^ ripple) / low / 4);
    }
    level.sort((x, y) => weight(x) - weight(y));
    out.push(...level);
  }
  return Int32Array.from(out.slice(0, MAX_PATTERNS));
}

/** Suppresses in place: `codes` (one array per variable, -1 = null) become compliant. */
export function suppressLocally(
  codes: readonly Int32Array[], cards: readonly number[], k: number, records: number, diversity?: Diversity,
): SuppressionOutcome {
  if (codes.length > 30) throw new RangeError('local suppression handles at most 30 key variables');
  const state: State = {
    codes, suppressed: new Int32Array(codes.length), affected: new Uint8Array(records),
    patterns: suppressionPatterns(codes.length), levels: [], violators: new Int32Array(records), resolved: new Uint8Array(records),
  };
  for (let i = 0; i < state.patterns.length; i++) {
    if (i === 0 || bitCount(state.patterns[i]) !== bitCount(state.patterns[i - 1])) state.levels.push(i);
  }
  state.levels.push(state.patterns.length);
  for (;;) {
    const grouping = groupByCodes(codes, cards, records);
    const compliant = compliantGroups(grouping, k, diversity);
    const n = violatorsOf(grouping, compliant, state.violators);
    if (n === 0) return { suppressed: state.suppressed, affected: state.affected, unattainable: false };
    state.resolved.fill(0);
    const table = new TupleTable(codes, 64);
    for (let g = 0; g < compliant.length; g++) if (compliant[g] === 1) table.add(grouping.order[grouping.start[g]], 0);
    let progress = 0;
    // Fewest values first: a level that moved anyone ends the round, so that the next one
    // sees the groups it formed before any record pays more values.
    for (let level = 0; level < state.levels.length - 1 && progress === 0; level++) {
      const patterns = state.patterns.subarray(state.levels[level], state.levels[level + 1]);
      progress += joinCompliant(state, n, table, patterns);
      progress += formGroups(state, n, k, patterns);
    }
    if (progress === 0) progress = dropLeastImportant(state, n);
    if (progress > 0) continue;
    // Every violator is null on every variable: only the all-null group (group 0) violates.
    const filled = fillNullGroup(grouping, compliant, k, diversity, (row) => suppressRecord(state, row, -1));
    if (!filled) {
      for (let i = 0; i < records; i++) suppressRecord(state, i, -1);
      return { suppressed: state.suppressed, affected: state.affected, unattainable: true };
    }
  }
}

interface State {
  readonly codes: readonly Int32Array[];
  readonly suppressed: Int32Array;
  readonly affected: Uint8Array;
  readonly patterns: Int32Array;
  /** Where each run of patterns with one number of values starts in `patterns`, then the end. */
  readonly levels: number[];
  readonly violators: Int32Array;
  /** Per record, 1 once it moved in this round. */
  readonly resolved: Uint8Array;
}

/** Nulls the values of `row` under `mask` (-1: every variable); returns how many were non-null. */
function suppressRecord(state: State, row: number, mask: number): number {
  let count = 0;
  for (let v = 0; v < state.codes.length; v++) {
    if (((mask >>> v) & 1) === 0 || state.codes[v][row] < 0) continue;
    state.codes[v][row] = -1;
    state.suppressed[v]++;
    count++;
  }
  if (count > 0) state.affected[row] = 1;
  return count;
}

/** The variables of `row` that are non-null, as a mask. */
function nonNullMask(codes: readonly Int32Array[], row: number): number {
  let m = 0;
  for (let v = 0; v < codes.length; v++) if (codes[v][row] >= 0) m |= 1 << v;
  return m;
}

/** Step A, over the patterns of one level. `table` holds the compliant groups' tuples. */
function joinCompliant(state: State, n: number, table: TupleTable, patterns: Int32Array): number {
  if (table.size === 0) return 0;
  let progress = 0;
  for (let j = 0; j < n; j++) {
    const row = state.violators[j];
    if (state.resolved[row] === 1) continue;
    const open = nonNullMask(state.codes, row);
    for (const mask of patterns) {
      if ((mask & ~open) !== 0 || table.find(row, mask) < 0) continue;
      progress += suppressRecord(state, row, mask);
      state.resolved[row] = 1;
      break;
    }
  }
  return progress;
}

/** Patterns per level beyond which step B keeps the plain importance order (cost ~ level²). */
const GREEDY_LEVEL = 16;

/**
 * Step B, over the patterns of one level: the pattern that gathers the most violators into
 * tuples shared by >= k of them goes first (ties: the less important), then the counts are
 * redone without the violators it moved: taking patterns only in importance order splits the
 * violators between patterns and leaves groups short that one pattern would have filled.
 */
function formGroups(state: State, n: number, k: number, patterns: Int32Array): number {
  let progress = 0;
  const open = Array.from(patterns);
  if (open.length > GREEDY_LEVEL) {
    for (const mask of open) progress += applyPattern(state, n, k, mask, countPattern(state, n, mask));
    return progress;
  }
  for (;;) {
    let best = -1;
    let bestGain = 0;
    let bestTable: TupleTable | null = null;
    for (let i = 0; i < open.length; i++) {
      const table = countPattern(state, n, open[i]);
      let gain = 0;
      for (let e = 0; e < table.size; e++) if (table.counts[e] >= k) gain += table.counts[e];
      if (gain > bestGain) [best, bestGain, bestTable] = [i, gain, table];
    }
    if (best < 0) return progress;
    progress += applyPattern(state, n, k, open[best], bestTable!);
    open.splice(best, 1);
  }
}

function bitCount(mask: number): number {
  let b = 0;
  for (let x = mask; x !== 0; x &= x - 1) b++;
  return b;
}

/** The masked tuples of the unresolved violators the pattern applies to, with counts. */
function countPattern(state: State, n: number, mask: number): TupleTable {
  const table = new TupleTable(state.codes, 64);
  for (let j = 0; j < n; j++) {
    const row = state.violators[j];
    if (state.resolved[row] === 1 || (mask & ~nonNullMask(state.codes, row)) !== 0) continue;
    table.counts[table.add(row, mask)]++;
  }
  return table;
}

function applyPattern(state: State, n: number, k: number, mask: number, table: TupleTable): number {
  let progress = 0;
  for (let j = 0; j < n; j++) {
    const row = state.violators[j];
    if (state.resolved[row] === 1 || (mask & ~nonNullMask(state.codes, row)) !== 0) continue;
    if (table.counts[table.find(row, mask)] < k) continue;
    progress += suppressRecord(state, row, mask);
    state.resolved[row] = 1;
  }
  return progress;
}

/** Step C. */
function dropLeastImportant(state: State, n: number): number {
  let progress = 0;
  for (let j = 0; j < n; j++) {
    const row = state.violators[j];
    for (let v = state.codes.length - 1; v >= 0; v--) {
      if (state.codes[v][row] < 0) continue;
      progress += suppressRecord(state, row, 1 << v);
      break;
    }
  }
  return progress;
}
