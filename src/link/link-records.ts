/**
 * The linkage engine: deterministic pass on national numbers, then the probabilistic
 * (Fellegi–Sunter, EM-trained) pass over keyed encodings, then clusters, across N sources.
 *
 * ```
 * encodings ─> dense token ids ─> deterministic pass (equal pseudonyms, constrained union-find)
 *           ─> blocking (rules chosen or given; pairs assignment could still accept)
 *           ─> comparison levels ─> pattern histogram ─> u from random pairs, m and share by EM
 *           ─> weights (term-frequency adjusted) ─> assignment strongest first ─> threshold ─> clusters
 * ```
 * Pure: typed arrays in, typed arrays and a report out; no files, no keys, no cleartext.
 */
import { KoppelError } from '../errors.js';
import { ConstrainedUnionFind, Union } from './assignment.js';
import { chooseBlockingRules } from './blocking-choice.js';
import { generatePairs, ruleKeys, type BlockingRule, type PairList, type SourcePair } from './blocking.js';
import { compareField, comparisonSpecs, type ComparisonSpec } from './comparison.js';
import { slotIndex, TOKEN_SLOTS, type EncodedSource } from '../pseudonymise/encoded-source.js';
import { MIN_M, initialM, priorWeight, weightTable } from './fellegi-sunter.js';
import { estimateModel } from './estimation.js';
import { indexFields, type FieldIndex } from './field-index.js';
import { deterministicPass, type DeterministicOutcome } from './deterministic.js';
import { deterministicOnly, probabilisticSkipReason } from './deterministic-only.js';
import { buildReport, METHOD_DETERMINISTIC, METHOD_PROBABILISTIC, type LinkTable } from './link-report.js';
import type { LinkHooks, LinkResult } from './link-result.js';

export type { LinkHooks, LinkResult } from './link-result.js';
import type { LinkSettings } from './link-settings.js';
import { scorePairs, scoringModel } from './scoring.js';
import { chooseThreshold } from './threshold.js';
import { pairsOf, sampleU } from './u-sampling.js';

export { METHOD_DETERMINISTIC, METHOD_PROBABILISTIC } from './link-report.js';


/** Deterministic links from which m is measured on them and not re-estimated by EM. */
const M_FROM_LINKS_MIN = 1000;

function now(): number {
  return performance.now();
}


export function linkRecords(sources: readonly EncodedSource[], settings: LinkSettings, hooks: LinkHooks = {}): LinkResult {
  const timings: Record<string, number> = {};
  let t0 = now();
  const lap = (stage: string) => {
    const t = now();
    timings[stage] = Math.round((t - t0) * 10) / 10;
    t0 = t;
    hooks.onStage?.(stage, timings[stage]);
  };
  checkSources(sources);
  const S = sources.length;
  const offsets = new Int32Array(S + 1);
  for (let s = 0; s < S; s++) offsets[s + 1] = offsets[s] + sources[s].size;
  const totalRecords = offsets[S];

  const index = indexFields(sources);
  const specs = comparisonSpecs(index);
  const levelCounts = specs.map((s) => s.levels.length);
  const sourcePairs: SourcePair[] = [];
  for (let l = 0; l < S; l++) {
    if (settings.deduplicate) sourcePairs.push({ left: l, right: l });
    for (let r = l + 1; r < S; r++) sourcePairs.push({ left: l, right: r });
  }
  const constrained = sources.map((s) => s.unique && settings.oneToOne && !settings.deduplicate);
  const dedupe = sources.map(() => settings.deduplicate);
  lap('index');

  // 1. Deterministic pass.
  const nid = index.findIndex((fi) => fi.type === 'national_id');
  let det: DeterministicOutcome | null = null;
  if (nid >= 0) {
    det = deterministicPass({
      sources, offsets, ids: index[nid].globalIds ?? concatenated(index[nid].ids[0], totalRecords), sizes: index[nid].wholeCounts,
      constrained, dedupe, maxGroup: settings.maxDeterministicGroup,
    });
  }
  // A record linked to a record of a constrained source can take no other record of it.
  const saturated = (s: number, t: number): Uint8Array | null => (constrained[t] ? det?.linkedTo[s][t] ?? null : null);
  lap('deterministic');

  // With no field but the national number there is nothing to compare records on: equal
  // numbers are linked already and unequal ones would only be compared as "different".
  const skipReason = probabilisticSkipReason(specs);
  if (skipReason !== null) {
    const comparable = sourcePairs.reduce((sum, sp) => sum + pairsOf(sources, sp), 0);
    // The deterministic pass's persons are final: no later link can merge them.
    return deterministicOnly({ sources, settings, specs, index, det, offsets, comparable, skipReason, timings, lap, hooks });
  }
  // The persons of the deterministic pass, as the union-find the probabilistic links extend.
  const uf = new ConstrainedUnionFind(offsets, constrained);
  if (det !== null) for (let g = 0; g < totalRecords; g++) if (det.rep[g] !== g) uf.union(det.rep[g], g);

  // 2. Blocking.
  const budget = Math.max(settings.minRulePairs, settings.rulePairsPerRecord * totalRecords);
  const chosenBy: 'engine' | 'job' = settings.blocking === null ? 'engine' : 'job';
  const engineRules = settings.blocking === null ? chooseBlockingRules(index, S, sourcePairs, budget) : null;
  const rules: BlockingRule[] = engineRules !== null
    ? engineRules.map((c) => c.rule)
    : settings.blocking!.map((names) => parseRule(names, index));
  const ruleKeyArrays = engineRules !== null ? engineRules.map((c) => c.keys) : rules.map((r) => ruleKeys(r, index, S));
  const blocked = generatePairs(ruleKeyArrays, sourcePairs, { maxBlockPairs: settings.maxBlockPairs, saturated });
  const lists = blocked.pairs;
  const candidatePairs = lists.reduce((s, l) => s + l.length, 0);
  const comparablePairs = sourcePairs.reduce((s, sp) => s + pairsOf(sources, sp), 0);
  lap('blocking');

  // 3. Comparison levels.
  const listLevels = lists.map((list) => compareList(list, specs, index, sources));
  const detLevels = det === null ? [] : det.lists.map((list) => compareList(list, specs, index, sources));
  lap('comparison');

  // 4. Estimation: u from random pairs, m per blocking rule by EM, the number of matches.
  const uSample = sampleU(sources, sourcePairs, index, specs, settings.uSamplePairs);
  // With enough deterministic links (equal valid national numbers: known matches), m of every
  // field is measured on them and held: EM over one blocking rule's pairs can otherwise take a
  // cluster of look-alike non-matches (namesakes in one postcode) for the matches.
  const mKnown = det !== null && det.links >= M_FROM_LINKS_MIN;
  const fixedM = specs.map((s) => mKnown || s.type === 'national_id');
  let startM: Float64Array[] | null = null;
  if (det !== null && det.links >= 30) startM = mFromPairs(initialM(levelCounts), det.lists, detLevels, levelCounts);
  // Held m keeps EM's floor: a level no known match showed is rare, not impossible.
  if (mKnown && startM !== null) for (const m of startM) floorM(m);
  if (nid >= 0) {
    startM ??= initialM(levelCounts);
    // A true match with two valid, different national numbers is rare (a valid-looking typo, a
    // BIS number replaced by a national register number): measured where the data allows it.
    const different = nationalIdDifferentShare(specs, nid, lists, listLevels, det, detLevels) ?? NATIONAL_ID_DIFFERENT_DEFAULT;
    startM[nid][1] = 1 - different; startM[nid][2] = different;
  }
  // Pairs the probabilistic pass can still link: neither side saturated towards the other's source.
  const openPairs = sourcePairs.reduce((sum, sp) => {
    const a = sources[sp.left].size - count(saturated(sp.left, sp.right));
    const b = sources[sp.right].size - count(saturated(sp.right, sp.left));
    return sum + (sp.left === sp.right ? (a * (a - 1)) / 2 : a * b);
  }, 0);
  const estimate = estimateModel({
    specs, rules, ruleKeys: ruleKeyArrays, skippedBlocks: blocked.outcomes.map((o) => o.skippedBlocks), lists, listLevels, uSample, startM, fixedM,
    comparablePairs: Math.max(openPairs, 1), allPairs: comparablePairs, knownMatches: det?.links ?? 0,
  });
  const params = estimate.params;
  const em = { iterations: estimate.iterations, converged: estimate.converged };
  const expectedMatches = estimate.matches;
  const prior = priorWeight(params.lambda);
  const hist = { size: estimate.distinctPatterns };
  const mFromDeterministic = startM !== null && det !== null && det.links >= 30;
  lap('estimation');

  // 5. Scoring.
  const table = weightTable(params, levelCounts);
  const model = scoringModel(specs, index, params, table);
  const listWeights = lists.map((list, i) => {
    const w = new Float64Array(list.length);
    scorePairs(list, listLevels[i], model, specs, index, prior, w);
    return w;
  });
  const allWeights = new Float64Array(candidatePairs);
  { let at = 0; for (const w of listWeights) { allWeights.set(w, at); at += w.length; } }
  const floorWeight = Math.log2(settings.probabilityFloor / (1 - settings.probabilityFloor));
  lap('scoring');

  // 6. Assignment, strongest first, then the threshold.
  const edges = collectEdges(lists, listWeights, floorWeight);
  const acceptedIdx: number[] = [];
  let rejected = 0;
  for (let i = 0; i < edges.order.length; i++) {
    const e = edges.order[i];
    const x = offsets[edges.left[e]] + edges.a[e];
    const y = offsets[edges.right[e]] + edges.b[e];
    const outcome = uf.union(x, y);
    if (outcome === Union.Rejected) { rejected++; continue; }
    acceptedIdx.push(e);
  }
  // Thresholding after assignment equals assigning with the threshold, except for merges: redo
  // the union-find with only the links that pass, so clusters never hold sub-threshold links.
  const acceptedProb = Float64Array.from(acceptedIdx, (e) => 1 / (1 + Math.pow(2, -edges.weight[e])));
  const choice = chooseThreshold(acceptedProb, settings.threshold, settings.probabilityFloor);
  const final = new ConstrainedUnionFind(offsets, constrained);
  replayDeterministic(det, final, offsets);
  const kept: number[] = [];
  for (let i = 0; i < acceptedIdx.length; i++) {
    if (acceptedProb[i] < choice.threshold) continue;
    const e = acceptedIdx[i];
    const x = offsets[edges.left[e]] + edges.a[e];
    const y = offsets[edges.right[e]] + edges.b[e];
    if (final.union(x, y) !== Union.Rejected) kept.push(e);
  }
  lap('assignment');

  // 7. Links and clusters.
  const detCount = det?.links ?? 0;
  const n = detCount + kept.length;
  const links = {
    left: new Int32Array(n), right: new Int32Array(n), probability: new Float64Array(n),
    weight: new Float64Array(n), method: new Uint8Array(n), length: n,
  };
  let k = 0;
  for (const list of det?.lists ?? []) {
    for (let p = 0; p < list.length; p++, k++) {
      links.left[k] = offsets[list.left] + list.a[p];
      links.right[k] = offsets[list.right] + list.b[p];
      links.probability[k] = 1;
      links.weight[k] = Number.NaN;
      links.method[k] = METHOD_DETERMINISTIC;
    }
  }
  for (const e of kept) {
    links.left[k] = offsets[edges.left[e]] + edges.a[e];
    links.right[k] = offsets[edges.right[e]] + edges.b[e];
    links.weight[k] = edges.weight[e];
    links.probability[k] = 1 / (1 + Math.pow(2, -edges.weight[e]));
    links.method[k] = METHOD_PROBABILISTIC;
    k++;
  }
  const { ids: clusters, count: clusterCount } = final.clusterIds();
  lap('clusters');
  hooks.onLinked?.({ offsets, links, clusters, clusterCount });

  const report = buildReport({
    probabilistic: { run: true, skippedBecause: null },
    sources, settings, specs, index, params, hist, listLevels, lists, det, detLevels, rules, chosenBy,
    outcomes: blocked.outcomes, candidatePairs, comparablePairs, em, uPairs: uSample.pairs, expectedMatches,
    prior, mFromDeterministic, mHeld: mKnown, allWeights, edgesAboveFloor: edges.order.length, accepted: acceptedIdx.length,
    rejected, links, offsets, clusters, clusterCount, choice, timings, table,
  });
  return { offsets, links, clusters, clusterCount, report };
}

/** Per-source id columns as one column in global numbering. */
function concatenated(columns: readonly Int32Array[], total: number): Int32Array {
  const out = new Int32Array(total);
  let at = 0;
  for (const c of columns) { out.set(c, at); at += c.length; }
  return out;
}

function checkSources(sources: readonly EncodedSource[]): void {
  if (sources.length === 0) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', 'A linkage needs at least one source.', { sources: 0 });
  if (sources.length > 32) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', 'A linkage takes at most 32 sources.', { sources: sources.length });
  const first = sources[0].fields;
  for (const s of sources) {
    if (s.fields.length !== first.length || s.fields.some((f, i) => f.name !== first[i].name || f.type !== first[i].type)) {
      throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Source ${s.name} does not have the same fields as source ${sources[0].name}.`, { source: s.name });
    }
  }
}

function parseRule(names: readonly string[], index: readonly FieldIndex[]): BlockingRule {
  if (names.length === 0) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', 'A blocking rule names no field.', {});
  return names.map((entry) => {
    const [name, slot = ''] = entry.split('.');
    const fi = index.find((x) => x.name === name);
    if (fi === undefined) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Blocking rule names field ${name}, which the job does not define.`, { field: name });
    if (slot !== '' && !TOKEN_SLOTS[fi.type].includes(slot)) {
      throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Blocking rule on field ${name}: type ${fi.type} has no part ${slot} (parts: ${TOKEN_SLOTS[fi.type].join(', ')}).`, { field: name });
    }
    return { field: fi.field, slot: slot === '' ? 0 : slotIndex(fi.type, slot) };
  });
}

function compareList(list: PairList, specs: readonly ComparisonSpec[], index: readonly FieldIndex[], sources: readonly EncodedSource[]): Uint8Array[] {
  return specs.map((spec) => {
    const out = new Uint8Array(list.length);
    compareField(spec, index, sources, list, out);
    return out;
  });
}

function count(flags: Uint8Array | null): number {
  if (flags === null) return 0;
  let n = 0;
  for (let i = 0; i < flags.length; i++) n += flags[i];
  return n;
}

/** m measured on deterministic links (known matches), with half a pair of smoothing per level. */
function mFromPairs(m: Float64Array[], lists: readonly PairList[], levels: readonly Uint8Array[][], levelCounts: readonly number[]): Float64Array[] {
  levelCounts.forEach((L, f) => {
    const c = new Float64Array(L);
    lists.forEach((list, i) => { const lv = levels[i][f]; for (let p = 0; p < list.length; p++) c[lv[p]]++; });
    let sum = 0;
    for (let l = 1; l < L; l++) sum += c[l] + 0.5;
    if (sum <= 0.5 * (L - 1)) return; // never present together: keep the prior
    for (let l = 1; l < L; l++) m[f][l] = (c[l] + 0.5) / sum;
  });
  return m;
}

/** m of "two valid, different national numbers" where the data cannot measure it. */
const NATIONAL_ID_DIFFERENT_DEFAULT = 0.01;
/** Pairs agreeing exactly on every other field, with equal numbers, needed to measure it. */
const NATIONAL_ID_EVIDENCE_MIN = 100;

/**
 * The share of near-certain matches whose valid national numbers differ: among pairs that
 * agree exactly on every other field, those with different numbers (candidate pairs) over all
 * of them (deterministic links have equal numbers). Twins alike in every other field count as
 * such matches, so the estimate errs high, never low. Null without enough such pairs.
 */
function nationalIdDifferentShare(
  specs: readonly { type: string }[], nid: number, lists: readonly PairList[], listLevels: readonly Uint8Array[][],
  det: DeterministicOutcome | null, detLevels: readonly Uint8Array[][],
): number | null {
  const others = specs.map((_, f) => f).filter((f) => f !== nid);
  if (others.length === 0 || det === null) return null;
  const allExact = (levels: readonly Uint8Array[], p: number) => {
    for (const f of others) if (levels[f][p] !== 1) return false;
    return true;
  };
  let same = 0;
  det.lists.forEach((list, i) => { for (let p = 0; p < list.length; p++) if (allExact(detLevels[i], p)) same++; });
  if (same < NATIONAL_ID_EVIDENCE_MIN) return null;
  let different = 0;
  lists.forEach((list, i) => {
    const lv = listLevels[i];
    for (let p = 0; p < list.length; p++) if (lv[nid][p] === 2 && allExact(lv, p)) different++;
  });
  return Math.min(0.5, Math.max(MIN_M, different / (same + different)));
}

/** At least `MIN_M` at every non-null level, as EM leaves it, the levels summing to 1 again. */
function floorM(m: Float64Array): void {
  let norm = 0;
  for (let l = 1; l < m.length; l++) norm += Math.max(m[l], MIN_M);
  for (let l = 1; l < m.length; l++) m[l] = Math.max(m[l], MIN_M) / norm;
}

interface Edges {
  left: Int32Array; right: Int32Array; a: Int32Array; b: Int32Array; weight: Float64Array; order: Int32Array;
}

/** Candidate pairs at or above the floor, ordered by weight descending (ties: by record). */
function collectEdges(lists: readonly PairList[], weights: readonly Float64Array[], floor: number): Edges {
  let n = 0;
  for (const w of weights) for (let p = 0; p < w.length; p++) if (w[p] >= floor) n++;
  const e: Edges = {
    left: new Int32Array(n), right: new Int32Array(n), a: new Int32Array(n), b: new Int32Array(n),
    weight: new Float64Array(n), order: new Int32Array(n),
  };
  let k = 0;
  lists.forEach((list, i) => {
    const w = weights[i];
    for (let p = 0; p < list.length; p++) {
      if (w[p] < floor) continue;
      e.left[k] = list.left; e.right[k] = list.right; e.a[k] = list.a[p]; e.b[k] = list.b[p]; e.weight[k] = w[p]; e.order[k] = k; k++;
    }
  });
  // Ties by record, not by the order blocking produced the pairs in: the links do not depend
  // on how candidates were generated.
  e.order.sort((x, y) => e.weight[y] - e.weight[x] || e.left[x] - e.left[y] || e.a[x] - e.a[y] || e.right[x] - e.right[y] || e.b[x] - e.b[y]);
  return e;
}

function replayDeterministic(det: DeterministicOutcome | null, uf: ConstrainedUnionFind, offsets: Int32Array): void {
  if (det !== null) for (let p = 0; p < det.merges.length; p++) uf.union(det.merges.a[p], det.merges.b[p]);
  for (const list of det?.lists ?? []) {
    for (let p = 0; p < list.length; p++) uf.union(offsets[list.left] + list.a[p], offsets[list.right] + list.b[p]);
  }
}
