/**
 * The peak memory of a linkage run, estimated before it starts from its sources' record counts
 * and its fields' encoding widths, and checked against the configured budget
 * (`KOPPEL_MEMORY_BUDGET`): memory planned, not hoped for.
 *
 * The model, per record over all sources, plus a fixed runtime:
 * ```
 * peak = RUNTIME_BYTES + records * (held + ids + WORKING_BYTES_PER_RECORD)
 *   held     the encodings as the engine holds them at the index (encodingBytes: presence,
 *            tokens, Bloom filters and popcounts, pseudonyms); tokens and pseudonyms are
 *            dropped after it, the filters stay to the end
 *   ids      the dense token ids, 4 bytes per token slot, held to the end
 *   working  candidate pairs (about 4 per record on the benchmarks), their levels, weights and
 *            assignment, the token tables and what the allocator keeps: measured, see README
 *            "Memory"
 * ```
 * The constants come from the peak RSS of `koppel link` at 0.30M, 1.49M and 2.97M records of the
 * Belgian benchmark (0.43, 0.88 and 1.61 GiB): the model gives 0.44, 1.03 and 1.77 GiB, erring
 * high by 2 to 18%. Its slope, 534 bytes per record there, is the measured slope between the
 * two larger runs (0.50 GiB per million records).
 */
import { KoppelError } from '../errors.js';
import type { FieldType } from '../model.js';
import { BLOOM_SHAPE, TOKEN_SLOTS } from '../pseudonymise/encoded-source.js';

/** Node, V8, the worker threads and the reading of the sources: what small runs measure. */
export const RUNTIME_BYTES = 300 * 1024 * 1024;
/** Pairs, levels, weights, tables and allocator slack per record (measured; see the header). */
export const WORKING_BYTES_PER_RECORD = 200;

/** Bytes one record of a field takes in the engine's encodings (encoded-source.ts layout). */
export function encodingBytes(type: FieldType): number {
  const slots = TOKEN_SLOTS[type].length;
  const words = BLOOM_SHAPE[type].words;
  return 1 + 8 * slots + (words > 0 ? 4 * words + 2 : 0) + (type === 'national_id' ? 32 : 0);
}

export interface MemoryEstimate {
  readonly records: number;
  /** Bytes per record: encodings, ids and working memory. */
  readonly bytesPerRecord: number;
  /** Estimated peak in bytes. */
  readonly peakBytes: number;
}

export function estimateLinkMemory(records: readonly number[], fields: readonly { readonly type: FieldType }[]): MemoryEstimate {
  const total = records.reduce((a, b) => a + b, 0);
  let perRecord = WORKING_BYTES_PER_RECORD;
  for (const f of fields) perRecord += encodingBytes(f.type) + 4 * TOKEN_SLOTS[f.type].length;
  return { records: total, bytesPerRecord: perRecord, peakBytes: RUNTIME_BYTES + total * perRecord };
}

const GIB = 1024 ** 3;

/**
 * Refuses a run whose estimate exceeds `budget` bytes, before it starts, with the estimate and
 * the budget. Partitioned runs (by pseudonym range, by blocking key) are the way past this; until
 * they are built, this is the floor: a clear refusal rather than a process killed at 90%.
 */
export function checkMemoryBudget(estimate: MemoryEstimate, budget: number): void {
  if (estimate.peakBytes <= budget) return;
  const gib = (x: number) => (x / GIB).toFixed(1);
  throw new KoppelError('KOPPEL_ERR_LINK_OVER_MEMORY_BUDGET',
    `The linkage of ${estimate.records} records needs an estimated ${gib(estimate.peakBytes)} GiB (${estimate.bytesPerRecord} bytes per record), over the memory budget of ${gib(budget)} GiB.`,
    { records: estimate.records, estimated_bytes: estimate.peakBytes, budget_bytes: budget });
}
