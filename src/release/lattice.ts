/**
 * The generalisation lattice (ARX): a node picks one level per key variable; node a is below
 * node b when every level of a is at most b's. Generalising merges groups, so a record in a
 * compliant group (k records, l-diverse) stays in one higher up: the number of violators only
 * falls along the lattice. Two consequences drive the search:
 *  - a node whose violators fit the suppression limit makes every node above it fit, and a
 *    node that does not fit makes every node below it fail (checked without grouping, as
 *    Flash prunes);
 *  - a node's loss after local suppression is at least its loss from generalisation alone
 *    (a suppressed cell loses 1, the most a cell can lose).
 * So the nodes are visited in order of generalisation loss (ties: lower height, then index),
 * each that fits the limit is suppressed locally and its true loss measured, and the search
 * stops at the first node whose generalisation loss alone is no better than the best found:
 * the node chosen has the least loss among all nodes that fit the limit. When no node fits,
 * the search is repeated without the limit and the report says the limit was exceeded.
 */
import { KoppelError } from '../errors.js';
import { compliantGroups, violatorsOf, type Diversity } from './group-compliance.js';
import { groupByCodes } from './group-codes.js';
import {
  cardinalityAtLevel, codesAtLevel, levelLossSum, releasedLossSum, type LevelledVariable,
} from './information-loss.js';
import { suppressLocally, type SuppressionOutcome } from './local-suppression.js';

/** Lattices beyond this many nodes are refused (project validation keeps them smaller). */
export const MAX_LATTICE_NODES = 65536;

export interface LatticeChoice {
  /** Per variable, the chosen level (0 = the value itself). */
  readonly levels: Int32Array;
  /** Per variable, the released codes at that level after local suppression (-1 = null). */
  readonly codes: Int32Array[];
  readonly outcome: SuppressionOutcome;
  /** Sum of cell losses (divide by the value cells for the measure). */
  readonly lossSum: number;
  /** Records in violating groups at the chosen node, before local suppression. */
  readonly violators: number;
  readonly withinLimit: boolean;
  readonly nodes: number;
  /** Nodes whose groups were counted (the others were decided by monotonicity or the bound). */
  readonly evaluated: number;
}

interface Search {
  readonly variables: readonly LevelledVariable[];
  readonly k: number;
  readonly records: number;
  readonly diversity: Diversity | undefined;
  readonly radix: Int32Array;
  readonly genLoss: Float64Array;
  readonly visit: Int32Array;
  readonly cache: Map<number, Int32Array>;
  evaluated: number;
}

export function searchLattice(
  variables: readonly LevelledVariable[], k: number, records: number, limitRecords: number, diversity?: Diversity,
): LatticeChoice {
  const radix = Int32Array.from(variables.map((v) => v.hierarchy.length + 1));
  let nodes = 1;
  for (const r of radix) nodes *= r;
  if (nodes > MAX_LATTICE_NODES) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', `the hierarchies span ${nodes} lattice nodes; at most ${MAX_LATTICE_NODES}`, { nodes });
  }
  const levelLoss = variables.map((v, i) => Float64Array.from({ length: radix[i] }, (_, h) => levelLossSum(v, h)));
  const genLoss = new Float64Array(nodes);
  const height = new Int32Array(nodes);
  for (let node = 0; node < nodes; node++) {
    let rest = node;
    for (let v = 0; v < variables.length; v++) {
      const h = rest % radix[v];
      rest = (rest - h) / radix[v];
      genLoss[node] += levelLoss[v][h];
      height[node] += h;
    }
  }
  const visit = Int32Array.from({ length: nodes }, (_, i) => i)
    .sort((a, b) => genLoss[a] - genLoss[b] || height[a] - height[b] || a - b);
  const search: Search = { variables, k, records, diversity, radix, genLoss, visit, cache: new Map(), evaluated: 0 };
  const within = bestNode(search, limitRecords);
  const choice = within ?? bestNode(search, Number.POSITIVE_INFINITY);
  if (choice === null) throw new Error('unreachable: without a limit every node fits');
  return { ...choice, withinLimit: within !== null, nodes, evaluated: search.evaluated };
}

type Candidate = Omit<LatticeChoice, 'withinLimit' | 'nodes' | 'evaluated'>;

function bestNode(search: Search, limitRecords: number): Candidate | null {
  const { variables, radix, genLoss, visit } = search;
  const fits: Int32Array[] = [];
  const fails: Int32Array[] = [];
  let best: Candidate | null = null;
  for (const node of visit) {
    if (best !== null && genLoss[node] >= best.lossSum) break;
    const levels = levelsOf(node, radix);
    if (fails.some((f) => below(levels, f))) continue;
    let violators = -1;
    if (!fits.some((f) => below(f, levels))) {
      violators = countViolators(search, levels);
      search.evaluated++;
      if (violators > limitRecords) {
        fails.push(levels);
        continue;
      }
      fits.push(levels);
    }
    const codes = variables.map((v, i) => codesAt(search, i, levels[i]).slice());
    const cards = variables.map((v, i) => cardinalityAtLevel(v, levels[i]));
    if (violators < 0) {
      violators = countViolators(search, levels);
      search.evaluated++;
    }
    const outcome = suppressLocally(codes, cards, search.k, search.records, search.diversity);
    let lossSum = 0;
    variables.forEach((v, i) => { lossSum += releasedLossSum(v, levels[i], codes[i]); });
    if (best === null || lossSum < best.lossSum) best = { levels, codes, outcome, lossSum, violators };
  }
  return best;
}

function levelsOf(node: number, radix: Int32Array): Int32Array {
  const levels = new Int32Array(radix.length);
  let rest = node;
  for (let v = 0; v < radix.length; v++) {
    levels[v] = rest % radix[v];
    rest = (rest - levels[v]) / radix[v];
  }
  return levels;
}

/** a is at or below b on every variable. */
function below(a: Int32Array, b: Int32Array): boolean {
  for (let v = 0; v < a.length; v++) if (a[v] > b[v]) return false;
  return true;
}

function codesAt(search: Search, v: number, h: number): Int32Array {
  const key = v * 1024 + h;
  let codes = search.cache.get(key);
  if (codes === undefined) {
    codes = codesAtLevel(search.variables[v], h);
    search.cache.set(key, codes);
  }
  return codes;
}

function countViolators(search: Search, levels: Int32Array): number {
  const { variables, records } = search;
  const codes = variables.map((_, i) => codesAt(search, i, levels[i]));
  const cards = variables.map((v, i) => cardinalityAtLevel(v, levels[i]));
  const grouping = groupByCodes(codes, cards, records);
  const compliant = compliantGroups(grouping, search.k, search.diversity);
  return violatorsOf(grouping, compliant, new Int32Array(records));
}
