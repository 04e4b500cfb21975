/**
 * The first stage of a run: the sources in one global record numbering, their fields indexed
 * to dense token ids with the comparison levels of each, the source pairs to link and which
 * sources hold a person at most once. Every later stage reads it; none changes it.
 */
import { KoppelError } from '../errors.js';
import type { SourcePair } from './blocking.js';
import { comparisonSpecs, type ComparisonSpec } from './comparison.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import { indexFields, type FieldIndex } from './field-index.js';
import type { LinkSettings } from './link-settings.js';
import { pairsOf } from './u-sampling.js';

export interface LinkFrame {
  readonly sources: readonly EncodedSource[];
  /** Global numbering: source s's records are offsets[s] .. offsets[s+1]. */
  readonly offsets: Int32Array;
  readonly totalRecords: number;
  readonly index: FieldIndex[];
  readonly specs: ComparisonSpec[];
  /** Comparison levels per field (level 0: a value is missing). */
  readonly levelCounts: number[];
  /** The source pairs compared, in order; `left === right` when a source is deduplicated. */
  readonly sourcePairs: SourcePair[];
  /** Sources whose records never share a person (unique, one-to-one, not deduplicated). */
  readonly constrained: boolean[];
  readonly dedupe: boolean[];
  /** All pairs of records the run could compare, over every source pair. */
  readonly comparablePairs: number;
  /**
   * An incremental run (spine-links.ts): which sources are new, and its share of the pairs a full
   * run would compare (the engine's pair budget per blocking rule shrinks with it).
   */
  readonly incremental?: { readonly newSources: readonly boolean[]; readonly budgetShare: number };
}

/** With `newSources` (an incremental run), the spine's records are looked up in the new records' values (field-index.ts). */
export function linkFrame(sources: readonly EncodedSource[], settings: LinkSettings, newSources: readonly boolean[] | null = null): LinkFrame {
  checkSources(sources);
  const S = sources.length;
  const offsets = new Int32Array(S + 1);
  for (let s = 0; s < S; s++) offsets[s + 1] = offsets[s] + sources[s].size;
  const index = indexFields(sources, newSources);
  const specs = comparisonSpecs(index);
  const sourcePairs: SourcePair[] = [];
  for (let l = 0; l < S; l++) {
    if (settings.deduplicate) sourcePairs.push({ left: l, right: l });
    for (let r = l + 1; r < S; r++) sourcePairs.push({ left: l, right: r });
  }
  return {
    sources, offsets, totalRecords: offsets[S], index, specs, levelCounts: specs.map((s) => s.levels.length), sourcePairs,
    constrained: sources.map((s) => s.unique && settings.oneToOne && !settings.deduplicate),
    dedupe: sources.map(() => settings.deduplicate),
    comparablePairs: sourcePairs.reduce((sum, sp) => sum + pairsOf(sources, sp), 0),
  };
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
