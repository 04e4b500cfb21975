/**
 * The TTP's persistent person id of each cluster of a job: that of the first record carrying a
 * pseudonym (looked up or created by pseudonym), or else of the cluster's first record (by
 * delivery and row), so the same person keeps one id across jobs.
 *
 * Split in two so the main thread only talks to SQLite:
 *   personKeys        (worker thread)  which pseudonym or row stands for each cluster, the
 *                                      pseudonyms' sort order and their duplicates
 *   resolvePersonIds  (main thread)    SQLite, in transactions of ~20 ms with the event loop
 *                                      running between them
 * New persons are numbered exactly as one big transaction numbered them (`Persons.byPseudonym`
 * then `byRecord` per delivery: in order of first appearance), whatever the slice sizes.
 */
import type { LinkResult } from '../link/link-records.js';
import { hasPseudonym, PseudonymTable, type PseudonymColumn } from '../link/pseudonym-join.js';
import type { DeliveryRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';

/**
 * ```
 * keyedPseudonyms  Uint8Array(k * 32)  per keyed cluster, the pseudonym of its first record carrying one
 * keyedClusters    Int32Array(k)       ... and that cluster, in cluster order
 * keyedFirst       Int32Array(k)       index of the first keyed entry with the same pseudonym (itself if none)
 * keyedOrder       Int32Array(k)       entries ordered by pseudonym (first 4 bytes), for B-tree locality
 * unkeyedRows[s]   Uint32Array         row in delivery s of the first record of each cluster that has
 *                                      no pseudonym at all and whose first record is in s
 * unkeyedClusters[s] Int32Array       ... and that cluster
 * ```
 */
export interface PersonKeys {
  readonly clusterCount: number;
  readonly keyedPseudonyms: Uint8Array;
  readonly keyedClusters: Int32Array;
  readonly keyedFirst: Int32Array;
  readonly keyedOrder: Int32Array;
  readonly unkeyedRows: readonly Uint32Array[];
  readonly unkeyedClusters: readonly Int32Array[];
}

/** The source of global record g (sources concatenated in job order). */
function sourceOf(offsets: Int32Array, g: number): number {
  let s = 0;
  while (offsets[s + 1] <= g) s++;
  return s;
}

/**
 * Entries ordered by their pseudonym's first 4 bytes (big-endian, as SQLite compares blobs):
 * an LSD radix sort, two passes of 16 bits. Ties (about k^2 / 2^33 pairs) keep input order;
 * the order only serves locality, so ties do not matter.
 */
export function pseudonymOrder(pseudonyms: Uint8Array, k: number): Int32Array {
  let from = Int32Array.from({ length: k }, (_, i) => i);
  let to = new Int32Array(k);
  const counts = new Int32Array(65_537);
  for (const byte of [2, 0]) {
    counts.fill(0);
    for (let i = 0; i < k; i++) counts[((pseudonyms[i * 32 + byte] << 8) | pseudonyms[i * 32 + byte + 1]) + 1]++;
    for (let b = 0; b < 65_536; b++) counts[b + 1] += counts[b];
    for (let j = 0; j < k; j++) {
      const i = from[j];
      to[counts[(pseudonyms[i * 32 + byte] << 8) | pseudonyms[i * 32 + byte + 1]]++] = i;
    }
    [from, to] = [to, from];
  }
  return from;
}

export function personKeys(result: LinkResult, pseudonyms: readonly PseudonymColumn[], rows: readonly Uint32Array[]): PersonKeys {
  const C = result.clusterCount;
  const { offsets, clusters } = result;
  const byPseudonym = new Int32Array(C).fill(-1);
  const first = new Int32Array(C).fill(-1);
  for (let s = 0; s < pseudonyms.length; s++) {
    for (let r = 0; r < pseudonyms[s].length; r++) {
      const g = offsets[s] + r;
      const c = clusters[g];
      if (first[c] < 0) first[c] = g;
      if (byPseudonym[c] < 0 && hasPseudonym(pseudonyms[s], r)) byPseudonym[c] = g;
    }
  }
  let keyed = 0;
  for (let c = 0; c < C; c++) if (byPseudonym[c] >= 0) keyed++;
  const keyedPseudonyms = new Uint8Array(keyed * 32);
  const keyedClusters = new Int32Array(keyed);
  let k = 0;
  for (let c = 0; c < C; c++) {
    const g = byPseudonym[c];
    if (g < 0) continue;
    const s = sourceOf(offsets, g);
    const r = g - offsets[s];
    keyedPseudonyms.set(pseudonyms[s].pseudonyms.subarray(r * 32, r * 32 + 32), k * 32);
    keyedClusters[k++] = c;
  }
  // Clusters that share a pseudonym are one person: the first of them stands for the rest.
  const table = new PseudonymTable(keyed);
  const ids = table.internColumn({ pseudonyms: keyedPseudonyms, valid: null, length: keyed });
  const firstOfId = new Int32Array(table.size).fill(-1);
  const keyedFirst = new Int32Array(keyed);
  for (let i = 0; i < keyed; i++) {
    if (firstOfId[ids[i]] < 0) firstOfId[ids[i]] = i;
    keyedFirst[i] = firstOfId[ids[i]];
  }
  const unkeyedRows: Uint32Array[] = [];
  const unkeyedClusters: Int32Array[] = [];
  for (let s = 0; s < pseudonyms.length; s++) {
    let count = 0;
    for (let c = 0; c < C; c++) if (byPseudonym[c] < 0 && first[c] >= offsets[s] && first[c] < offsets[s + 1]) count++;
    const sourceRows = new Uint32Array(count);
    const which = new Int32Array(count);
    let j = 0;
    for (let c = 0; c < C; c++) {
      if (byPseudonym[c] < 0 && first[c] >= offsets[s] && first[c] < offsets[s + 1]) {
        sourceRows[j] = rows[s][first[c] - offsets[s]];
        which[j++] = c;
      }
    }
    unkeyedRows.push(sourceRows);
    unkeyedClusters.push(which);
  }
  return {
    clusterCount: C, keyedPseudonyms, keyedClusters, keyedFirst, keyedOrder: pseudonymOrder(keyedPseudonyms, keyed), unkeyedRows, unkeyedClusters,
  };
}

/**
 * How many lookups go into one SQLite transaction. better-sqlite3 is synchronous, so a
 * transaction blocks the event loop for its whole length: the size adapts so each takes about
 * `sliceMs` (costs per row differ by kind, machine, and table size; the first is slower).
 */
class ChunkSizer {
  private size: number;
  constructor(private readonly sliceMs: number, private readonly fixed: number | undefined) {
    this.size = fixed ?? 1000;
  }

  get next(): number {
    return this.size;
  }

  /** Resize from the last transaction: at most double, at least 200, at most 100k. */
  observe(count: number, ms: number): void {
    if (this.fixed !== undefined) return;
    const fitting = (count * this.sliceMs) / Math.max(ms, 0.1);
    this.size = Math.max(200, Math.min(100_000, Math.round(fitting), this.size * 2));
  }
}

export interface PersonResolution {
  /** Target duration of one transaction, in ms (default 20). */
  readonly sliceMs?: number;
  /** A fixed number of rows per transaction instead (tests). */
  readonly chunk?: number;
  /** The key the pseudonyms were made under (default: the first delivery's; a job's common key during a key rotation). */
  readonly keyId?: string;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `step(at, n)` over [0, total) in time-sized slices, yielding to the event loop after each. */
async function inSlices(total: number, options: PersonResolution, step: (at: number, n: number) => void): Promise<void> {
  const sizer = new ChunkSizer(options.sliceMs ?? 20, options.chunk);
  for (let at = 0; at < total;) {
    const n = Math.min(sizer.next, total - at);
    const t0 = performance.now();
    step(at, n);
    sizer.observe(n, performance.now() - t0);
    at += n;
    await nextTurn();
  }
}

/** The pseudonyms of entries `order[at .. at + n)`, back to back. */
function gather(pseudonyms: Uint8Array, order: Int32Array, at: number, n: number): Uint8Array {
  const out = new Uint8Array(n * 32);
  for (let j = 0; j < n; j++) {
    const i = order[at + j];
    out.set(pseudonyms.subarray(i * 32, i * 32 + 32), j * 32);
  }
  return out;
}

/**
 * Person ids per cluster:
 *   1. look every keyed pseudonym up, in pseudonym order (read transactions: no write lock);
 *   2. number the unknown ones in order of first appearance from one reserved block of ids;
 *   3. record them, in pseudonym order (~5x cheaper than random order: few B-tree pages per
 *      transaction); one another writer recorded meanwhile keeps its id;
 *   4. records without any pseudonym, by delivery and row (ascending rows insert cheaply).
 */
export async function resolvePersonIds(ctx: PipelineContext, keys: PersonKeys, deliveries: readonly DeliveryRecord[], options: PersonResolution = {}): Promise<Float64Array> {
  const { store } = ctx;
  const { keyedPseudonyms: pseudonyms, keyedOrder: order, keyedFirst: first } = keys;
  const keyId = options.keyId ?? deliveries[0].key_id;
  const k = keys.keyedClusters.length;
  const person = new Float64Array(k).fill(Number.NaN);
  // The first job under a key finds nobody: its lookups are skipped.
  if (store.anyPersonPseudonymUnder(keyId)) await inSlices(k, options, (at, n) => {
    const found = store.lookupPersonsByPseudonym(gather(pseudonyms, order, at, n), n, keyId);
    for (let j = 0; j < n; j++) person[order[at + j]] = found[j];
  });

  // New persons: numbered in order of first appearance, as one big transaction numbered them.
  const isNew = new Uint8Array(k);
  let fresh = 0;
  for (let i = 0; i < k; i++) if (Number.isNaN(person[i]) && first[i] === i) { isNew[i] = 1; fresh++; }
  if (fresh > 0) {
    let next = store.reservePersonIds(fresh);
    for (let i = 0; i < k; i++) if (isNew[i] === 1) person[i] = ++next;
    const create = new Int32Array(fresh);
    for (let j = 0, c = 0; j < k; j++) if (isNew[order[j]] === 1) create[c++] = order[j];
    await inSlices(fresh, options, (at, n) => {
      const ids = new Float64Array(n);
      for (let j = 0; j < n; j++) ids[j] = person[create[at + j]];
      const stored = store.recordPersonsByPseudonym(gather(pseudonyms, create, at, n), ids, n, keyId);
      for (let j = 0; j < n; j++) person[create[at + j]] = stored[j];
    });
  }
  const ids = new Float64Array(keys.clusterCount);
  for (let i = 0; i < k; i++) ids[keys.keyedClusters[i]] = person[first[i]];

  for (let s = 0; s < deliveries.length; s++) {
    const rows = keys.unkeyedRows[s];
    const which = keys.unkeyedClusters[s];
    await inSlices(rows.length, options, (at, n) => {
      const found = store.resolvePersonsByRecord(deliveries[s].id, rows.subarray(at, at + n));
      for (let j = 0; j < n; j++) ids[which[at + j]] = found[j];
    });
  }
  return ids;
}
