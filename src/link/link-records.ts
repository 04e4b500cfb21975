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
 * cleartext.
 */
import { assignStage } from './assignment.js';
import { blockingRules } from './blocking-choice.js';
import { blockCandidates } from './blocking.js';
import { linksAndClusters } from './clusters.js';
import { comparePairs } from './comparison.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import { linkDeterministic, saturation } from './deterministic.js';
import { deterministicOnly, probabilisticSkipReason } from './deterministic-only.js';
import { estimateStage } from './estimation.js';
import { releaseIndexedEncodings } from './field-index.js';
import { linkFrame } from './link-frame.js';
import { buildReport } from './link-report.js';
import type { LinkHooks, LinkResult } from './link-result.js';
import type { LinkSettings } from './link-settings.js';
import { scoreStage } from './scoring.js';
import { stageTimer } from './stage-timer.js';

export type { LinkHooks, LinkResult } from './link-result.js';

export function linkRecords(sources: readonly EncodedSource[], settings: LinkSettings, hooks: LinkHooks = {}): LinkResult {
  const timer = stageTimer(hooks);
  const frame = linkFrame(sources, settings);
  if (hooks.releaseInputs === true) releaseIndexedEncodings(sources);
  timer.lap('index');
  const det = linkDeterministic(frame, settings);
  timer.lap('deterministic');
  const skippedBecause = probabilisticSkipReason(frame.specs);
  if (skippedBecause !== null) return deterministicOnly(frame, settings, det, skippedBecause, timer, hooks);

  // A record linked to a record of a constrained source can take no other record of it.
  const saturated = saturation(det, frame.constrained);
  const ruleSet = blockingRules(frame, settings);
  const blocked = blockCandidates(ruleSet, frame.sourcePairs, { maxBlockPairs: settings.maxBlockPairs, saturated });
  timer.lap('blocking');
  const compared = comparePairs(blocked.lists, det?.lists ?? [], frame.specs, frame.index, sources);
  timer.lap('comparison');
  const estimated = estimateStage(frame, settings, det, ruleSet, blocked, compared, saturated);
  timer.lap('estimation');
  const scored = scoreStage(frame, estimated.estimate.params, estimated.prior, blocked.lists, compared.candidates);
  timer.lap('scoring');
  const assigned = assignStage(frame, settings, det, blocked.lists, scored.weights);
  timer.lap('assignment');
  const linked = linksAndClusters(frame.offsets, det, assigned);
  timer.lap('clusters');
  hooks.onLinked?.({ offsets: frame.offsets, ...linked });

  const stages = { ruleSet, blocked, compared, estimated, scored, assigned };
  const report = buildReport({ frame, settings, det, probabilistic: { stages }, linked, timings: timer.timings });
  return { offsets: frame.offsets, ...linked, report };
}
