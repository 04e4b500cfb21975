/**
 * The linkage engine: deterministic pass on national numbers, then the probabilistic
 * (Fellegi–Sunter, EM-trained) pass over keyed encodings, then clusters, across N sources.
 *
 * ```
 * encodings ─> frame: dense token ids, comparison levels, source pairs        link-frame.ts
 *           ─> deterministic pass (equal pseudonyms, constrained union-find)  deterministic.ts
 *           ─> blocking (rules chosen or given; pairs assignment could accept) blocking-choice.ts, blocking.ts
 *           ─> comparison levels of candidates and deterministic links        comparison.ts
 *           ─> u from random pairs, m and the match share by EM per rule      estimation.ts
 *           ─> weights (term-frequency adjusted)                              scoring.ts
 *           ─> assignment strongest first, then the threshold                 assignment.ts
 *           ─> links and clusters                                             clusters.ts
 * ```
 * Each stage is a function of the earlier stages' results; the report is built from them all
 * (link-report.ts). Pure: typed arrays in, typed arrays and a report out; no files, no keys, no
 * cleartext. The pseudonym join, blocking and comparison can run on another engine
 * (`linkRecordsOn`, link-engine.ts); the stages that need the whole picture always run here.
 */
import { assignStage } from './assignment.js';
import { blockingRules } from './blocking-choice.js';
import { blockCandidates } from './blocking.js';
import { linksAndClusters } from './clusters.js';
import { comparePairs } from './comparison.js';
import { decidedKeys, defaultBand, reviewQueue } from './clerical.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import { deterministicPass, linkDeterministic, saturation, type DeterministicOutcome } from './deterministic.js';
import { deterministicOnly, probabilisticSkipReason } from './deterministic-only.js';
import { estimateStage } from './estimation.js';
import type { LinkEngine, PairStage, PairStageInput } from './link-engine.js';
import { releaseIndexedEncodings } from './field-index.js';
import { linkFrame, type LinkFrame } from './link-frame.js';
import { buildReport } from './link-report.js';
import type { LinkHooks, LinkResult } from './link-result.js';
import type { LinkSettings } from './link-settings.js';
import { scoreStage } from './scoring.js';
import { restrictToNew, type SpineLinks } from './spine-links.js';
import { stageTimer, type StageTimer } from './stage-timer.js';

export type { LinkHooks, LinkResult } from './link-result.js';

/**
 * A run on the in-process engine, synchronously. With `spine`, an incremental run: only pairs
 * with a new record are compared, and the spine's earlier links hold its persons (spine-links.ts).
 */
export function linkRecords(sources: readonly EncodedSource[], settings: LinkSettings, hooks: LinkHooks = {}, spine?: SpineLinks): LinkResult {
  const timer = stageTimer(hooks);
  // An incremental run indexes the spine against the new records' values only (field-index.ts).
  const frame = restrictToNew(linkFrame(sources, settings, spine?.newSources ?? null), spine);
  if (hooks.releaseInputs === true) releaseIndexedEncodings(sources);
  timer.lap('index');
  const det = linkDeterministic(frame, settings);
  timer.lap('deterministic');
  const skippedBecause = probabilisticSkipReason(frame.specs);
  if (skippedBecause !== null) return deterministicOnly(frame, settings, det, skippedBecause, timer, hooks);
  const input = pairStageInput(frame, settings, det);
  const blocked = blockCandidates(input.ruleSet, frame.sourcePairs, { maxBlockPairs: input.maxBlockPairs, saturated: input.saturated });
  timer.lap('blocking');
  const compared = comparePairs(blocked.lists, det?.lists ?? [], frame.specs, frame.index, sources, spine?.newSources ?? null);
  timer.lap('comparison');
  return afterPairs(input, settings, { blocked, compared }, timer, hooks, spine);
}

/** A run whose pseudonym join, blocking and comparison run on `engine` (the caller closes it). */
export async function linkRecordsOn(
  engine: LinkEngine, sources: readonly EncodedSource[], settings: LinkSettings, hooks: LinkHooks = {},
): Promise<LinkResult> {
  const timer = stageTimer(hooks);
  const frame = linkFrame(sources, settings);
  timer.lap('index');
  const nid = frame.index.findIndex((fi) => fi.type === 'national_id');
  const det = nid < 0 ? null : deterministicPass({
    sources, offsets: frame.offsets, ...(await engine.pseudonymGroups(frame, nid)),
    constrained: frame.constrained, dedupe: frame.dedupe, maxGroup: settings.maxDeterministicGroup,
  });
  timer.lap('deterministic');
  const skippedBecause = probabilisticSkipReason(frame.specs);
  if (skippedBecause !== null) return deterministicOnly(frame, settings, det, skippedBecause, timer, hooks);
  const input = pairStageInput(frame, settings, det);
  const pairs = await engine.pairs(input);
  timer.lap('blocking and comparison');
  return afterPairs(input, settings, pairs, timer, hooks);
}

function pairStageInput(frame: LinkFrame, settings: LinkSettings, det: DeterministicOutcome | null): PairStageInput {
  // A record linked to a record of a constrained source can take no other record of it.
  const saturated = saturation(det, frame.constrained);
  return { frame, det, saturated, ruleSet: blockingRules(frame, settings, saturated), maxBlockPairs: settings.maxBlockPairs };
}

/**
 * The deterministic pass as the model sees it: in an incremental run, only its links with a new
 * record were compared (comparePairs), so only they count as known matches measuring m.
 */
function comparedLinks(det: DeterministicOutcome | null, spine: SpineLinks | undefined): DeterministicOutcome | null {
  if (det === null || spine === undefined) return det;
  const links = det.lists.reduce((n, l) => n + (spine.newSources[l.left] || spine.newSources[l.right] ? l.length : 0), 0);
  return { ...det, links };
}

/** The stages that need the whole picture: EM on pattern counts, scoring, assignment, clusters, the report. */
function afterPairs(input: PairStageInput, settings: LinkSettings, pairs: PairStage, timer: StageTimer, hooks: LinkHooks, spine?: SpineLinks): LinkResult {
  const { frame, det, ruleSet, saturated } = input;
  const { blocked, compared } = pairs;
  const prior = spine?.prior;
  const estimated = estimateStage(frame, settings, comparedLinks(det, spine), ruleSet, blocked, compared, saturated, pairs.ruleHistograms);
  timer.lap('estimation');
  const scored = scoreStage(frame, estimated.estimate.params, estimated.prior, blocked.lists, compared.candidates);
  timer.lap('scoring');
  const assigned = assignStage(frame, settings, det, blocked.lists, scored.weights, prior);
  timer.lap('assignment');
  const linked = linksAndClusters(frame.offsets, det, assigned);
  timer.lap('clusters');
  hooks.onLinked?.({ offsets: frame.offsets, ...linked });
  const review = reviewQueue({
    frame, det, lists: blocked.lists, levels: compared.candidates, weights: scored.weights, model: scored.model,
    band: settings.review ?? defaultBand(assigned.choice.threshold), decided: decidedKeys(settings.decisions, frame.offsets),
    persons: assigned.persons, max: settings.maxReviewPairs,
  });
  timer.lap('review queue');

  const stages = { ruleSet, blocked, compared, estimated, scored, assigned };
  const report = buildReport({ frame, settings, det, probabilistic: { stages }, linked, timings: timer.timings });
  return { offsets: frame.offsets, ...linked, report, review };
}
