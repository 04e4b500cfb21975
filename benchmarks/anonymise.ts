/**
 * k-anonymity at k = 5 on a synthetic population (default 50,000 persons; see
 * data/anonymise-population.ts) with key variables birth year, sex, NIS municipality and
 * nationality group, most important first.
 *
 * Competitors, on the same persons and key variables, in the same run:
 * - koppel: src/release/k-anonymity.ts with hierarchies (birth year bands of 5, 10, 20; NIS
 *   arrondissement and province digit; nationality EU / non-EU), suppression limit 1% (the
 *   default; also reported at 100%, i.e. no limit): the lattice node of least loss, then local
 *   suppression with importance;
 * - today: the method before issue 10 (anonymise-peer.ts): the variable with most distinct
 *   values suppressed in every violator, on the values as delivered;
 * - today + fixed bands: the same after the fixed recoding a project could name before
 *   (`generalise`: birth year bands of 5, NIS prefix 2).
 * Reported: information loss (Iyengar's, information-loss.ts: generalised cells lose
 * (m-1)/(M-1), suppressed cells 1, mean over cells), values suppressed, values generalised,
 * records affected, and the median time from the person columns to the released codes.
 * Every result is checked k-anonymous before it is reported.
 */
import { Int32, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import type { HierarchySpec } from '../src/model.js';
import { groupByCodes } from '../src/release/group-codes.js';
import { codesAtLevel, releasedLossSum, valueCells, type LevelledVariable } from '../src/release/information-loss.js';
import { enforceKAnonymity, type KeyVariableCodes } from '../src/release/k-anonymity.js';
import { codeKeyVariable } from '../src/release/key-variables.js';
import { wholeVariableSuppression } from './anonymise-peer.js';
import { anonymisePopulation } from './data/anonymise-population.js';
import { compared, timeMediansInterleaved, type BenchOptions, type BenchResult, type Benchmark } from './harness.js';

const DEFAULT_N = 50_000;
const K = 5;
const EU = { BE: 'BE', EU14: 'EU', EU13: 'EU', MAGHREB: 'non-EU', TURKEY: 'non-EU', AFRICA: 'non-EU', ASIA: 'non-EU', OTHER: 'non-EU' };
const HIERARCHIES: Readonly<Record<string, HierarchySpec>> = {
  birth_year: { bands: [5, 10, 20] },
  nis_code: { prefixes: [2, 1] },
  nationality: { groups: [EU] },
};
/** The fixed recoding of the "today + fixed bands" peer: level 1 of the two hierarchies. */
const FIXED_LEVEL: Readonly<Record<string, number>> = { birth_year: 1, nis_code: 1 };

interface Outcome { loss: number; suppressed: number; generalised: number; affected: number; levels: number; chosen: string }

function columns(n: number): { name: string; data: Data }[] {
  const p = anonymisePopulation(n);
  return [
    { name: 'birth_year', data: vectorFromArray(Array.from(p.birthYear), new Int32()).data[0] },
    { name: 'sex', data: vectorFromArray(p.sex, new Utf8()).data[0] },
    { name: 'nis_code', data: vectorFromArray(p.nisCode, new Utf8()).data[0] },
    { name: 'nationality', data: vectorFromArray(p.nationality, new Utf8()).data[0] },
  ];
}

function assertKAnonymous(codes: readonly Int32Array[], cards: readonly number[], n: number, who: string): void {
  const g = groupByCodes(codes, cards, n);
  for (let i = 0; i < g.count; i++) if (g.size[i] < K) throw new Error(`anonymise benchmark: ${who} left a group of ${g.size[i]} < ${K}`);
}

function runKoppel(cols: readonly { name: string; data: Data }[], n: number, suppressionLimit?: number): Outcome {
  const vars = cols.map((c) => codeKeyVariable(c.name, c.data, HIERARCHIES[c.name]));
  const { codes, levels, report } = enforceKAnonymity(vars, { k: K, suppressionLimit });
  assertKAnonymous(codes, codes.map((c) => c.reduce((m, x) => Math.max(m, x + 1), 0)), n, 'koppel');
  const sum = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    loss: report.information_loss, suppressed: sum(report.suppressed_values), generalised: sum(report.generalised_values),
    affected: report.records_affected, levels: levels.reduce((a, b) => a + b, 0), chosen: JSON.stringify(report.generalisation_levels),
  };
}

/** The peer at fixed levels (0 = as delivered), measured with the same loss. */
function runToday(cols: readonly { name: string; data: Data }[], n: number, fixed: Readonly<Record<string, number>>): Outcome {
  const vars: LevelledVariable[] = cols.map((c) => {
    const v: KeyVariableCodes = codeKeyVariable(c.name, c.data, HIERARCHIES[c.name]);
    return { name: v.name, codes: v.codes, cardinality: v.cardinality, hierarchy: v.hierarchy ?? [] };
  });
  const levels = vars.map((v) => fixed[v.name] ?? 0);
  const atLevel = vars.map((v, i) => ({ codes: codesAtLevel(v, levels[i]), cardinality: levels[i] === 0 ? v.cardinality : v.hierarchy[levels[i] - 1].groups }));
  const result = wholeVariableSuppression(atLevel, K, n);
  assertKAnonymous(result.codes, atLevel.map((v) => v.cardinality), n, 'today');
  let loss = 0;
  let generalised = 0;
  vars.forEach((v, i) => {
    loss += releasedLossSum(v, levels[i], result.codes[i]);
    if (levels[i] > 0) for (let r = 0; r < n; r++) if (result.codes[i][r] >= 0) generalised++;
  });
  const suppressed = result.suppressed.reduce((a, b) => a + b, 0);
  return {
    loss: loss / valueCells(vars), suppressed, generalised, affected: result.recordsAffected,
    levels: levels.reduce((a, b) => a + b, 0), chosen: JSON.stringify(fixed),
  };
}

const bench: Benchmark = {
  name: 'anonymise',
  description: 'k-anonymity (k = 5) on 50,000 synthetic persons: lattice + local suppression vs whole-variable suppression',
  run(opts: BenchOptions): BenchResult[] {
    const n = opts.n ?? DEFAULT_N;
    const cols = columns(n);
    const outcomes: Record<string, Outcome> = {};
    const ms = timeMediansInterleaved({
      koppel: () => { outcomes.koppel = runKoppel(cols, n); },
      unlimited: () => { outcomes.unlimited = runKoppel(cols, n, 1); },
      today: () => { outcomes.today = runToday(cols, n, {}); },
      fixed: () => { outcomes.fixed = runToday(cols, n, FIXED_LEVEL); },
    }, opts);
    const peers = [
      { key: 'today', name: `today: whole-variable suppression (n=${n})` },
      { key: 'fixed', name: `today + fixed bands (birth year 5, NIS 2 digits) (n=${n})` },
    ];
    const out: BenchResult[] = [];
    const metrics = [
      ['loss', 'information loss', 'share'], ['suppressed', 'values suppressed', 'values'], ['generalised', 'values generalised', 'values'],
      ['levels', 'levels generalised (sum over variables)', 'levels'], ['affected', 'records affected', 'records'],
    ] as const;
    for (const [key, metric, unit] of metrics) {
      for (const p of peers) out.push(compared('anonymise', metric, unit, outcomes.koppel[key], { name: p.name, value: outcomes[p.key][key] }));
    }
    // The default limit (1%) is a policy: it buys complete records with coarser levels.
    for (const p of peers) out.push(compared('anonymise', 'information loss, suppression limit 100%', 'share', outcomes.unlimited.loss, { name: p.name, value: outcomes[p.key].loss }));
    out.push(compared('anonymise', 'time, suppression limit 100%', 'ms', ms.unlimited, { name: peers[0].name, value: ms.today }));
    process.stderr.write(`anonymise: koppel chose ${outcomes.koppel.chosen}; with no limit ${outcomes.unlimited.chosen}\n`);
    for (const p of peers) out.push(compared('anonymise', 'time', 'ms', ms.koppel, { name: p.name, value: ms[p.key as 'today' | 'fixed'] }));
    return out;
  },
};

export default bench;
