/**
 * The deterministic pass: records with equal valid national numbers link (method
 * `deterministic`).
 *
 * Records are grouped by the dense id of their pseudonym's first 8 bytes (shared across sources)
 * and each group is confirmed on the full 32 bytes. Within a group, every pair from two
 * different sources (or from one source being deduplicated) is offered to the constrained
 * union-find; records of one non-unique source with the same number join one person without
 * counting as a link; a pair it rejects (two records of a unique source with the same number) is
 * counted as a conflict, not linked. A group larger than `maxGroup` (a placeholder number used
 * for many people) is skipped and reported.
 */
import { Union, type ConstrainedUnionFind } from './assignment.js';
import type { PairList } from './blocking.js';
import type { EncodedSource } from './encoded-source.js';

export interface DeterministicOutcome {
  /** Accepted links, per source pair (local record indices). */
  readonly lists: PairList[];
  /** Per source, 1 for records linked here. */
  readonly settled: Uint8Array[];
  /** linkedTo[s][t]: per record of source s, 1 when linked here to a record of source t (null: none). */
  readonly linkedTo: (Uint8Array | null)[][];
  readonly links: number;
  /** Pairs rejected because they would put two records of a unique source in one person. */
  readonly conflicts: number;
  /** Groups skipped for having more than `maxGroup` records, and the records in them. */
  readonly oversizedGroups: number;
  readonly oversizedRecords: number;
  /** 8-byte prefixes shared by different pseudonyms (kept apart). */
  readonly prefixCollisions: number;
  /** Global record pairs of one non-unique source joined into one person without a link. */
  readonly merges: { readonly a: Int32Array; readonly b: Int32Array; readonly length: number };
}

export function deterministicPass(
  sources: readonly EncodedSource[],
  idsBySource: readonly Int32Array[],
  keySpace: number,
  uf: ConstrainedUnionFind,
  dedupe: readonly boolean[],
  maxGroup: number,
): DeterministicOutcome {
  const S = sources.length;
  const offsets = uf.offsets;
  const start = new Int32Array(keySpace + 1);
  for (let s = 0; s < S; s++) for (const id of idsBySource[s]) if (id >= 0) start[id + 1]++;
  for (let k = 0; k < keySpace; k++) start[k + 1] += start[k];
  const fill = start.slice(0, keySpace);
  const members = new Int32Array(start[keySpace]);
  for (let s = 0; s < S; s++) {
    const ids = idsBySource[s];
    for (let r = 0; r < ids.length; r++) if (ids[r] >= 0) members[fill[ids[r]]++] = offsets[s] + r;
  }

  const sourceOf = (g: number): number => { let s = 0; while (offsets[s + 1] <= g) s++; return s; };
  const lists = new Map<number, PairList>();
  const settled = sources.map((src) => new Uint8Array(src.size));
  const linkedTo: (Uint8Array | null)[][] = sources.map(() => sources.map(() => null));
  const mark = (s: number, t: number, r: number) => { (linkedTo[s][t] ??= new Uint8Array(sources[s].size))[r] = 1; };
  let links = 0; let conflicts = 0; let oversizedGroups = 0; let oversizedRecords = 0; let prefixCollisions = 0;
  const merges = { a: new Int32Array(256), b: new Int32Array(256), length: 0 };
  const srcOf = new Int32Array(64);
  let local = new Int32Array(64);

  for (let k = 0; k < keySpace; k++) {
    const from = start[k]; const to = start[k + 1];
    const size = to - from;
    if (size < 2) continue;
    if (size > maxGroup) { oversizedGroups++; oversizedRecords += size; continue; }
    if (local.length < size) local = new Int32Array(size * 2);
    const srcs = size <= srcOf.length ? srcOf : new Int32Array(size);
    for (let i = 0; i < size; i++) { srcs[i] = sourceOf(members[from + i]); local[i] = members[from + i] - offsets[srcs[i]]; }
    for (let i = 0; i < size; i++) {
      for (let j = i + 1; j < size; j++) {
        const si = srcs[i]; const sj = srcs[j];
        if (si === sj && !dedupe[si] && sources[si].unique) continue;
        if (!samePseudonym(sources[si].pseudonyms!, local[i], sources[sj].pseudonyms!, local[j])) { prefixCollisions++; continue; }
        if (si === sj && !dedupe[si]) {
          // Rows of one person in a source with many rows per person (quarterly wages): the same
          // person, but not a link between sources, so no entry in the links.
          if (uf.union(offsets[si] + local[i], offsets[sj] + local[j]) === Union.Merged) {
            if (merges.length === merges.a.length) {
              const na = new Int32Array(merges.a.length * 2); na.set(merges.a); merges.a = na;
              const nb = new Int32Array(merges.b.length * 2); nb.set(merges.b); merges.b = nb;
            }
            merges.a[merges.length] = offsets[si] + local[i];
            merges.b[merges.length] = offsets[sj] + local[j];
            merges.length++;
          }
          continue;
        }
        // Left source first in job order; within one source, the lower record first.
        const [ls, la, rs, rb] = si < sj || (si === sj && local[i] < local[j]) ? [si, local[i], sj, local[j]] : [sj, local[j], si, local[i]];
        const outcome = uf.union(offsets[ls] + la, offsets[rs] + rb);
        if (outcome === Union.Rejected) { conflicts++; continue; }
        settled[ls][la] = 1;
        settled[rs][rb] = 1;
        mark(ls, rs, la);
        mark(rs, ls, rb);
        const key = ls * S + rs;
        let list = lists.get(key);
        if (list === undefined) {
          list = { left: ls, right: rs, a: new Int32Array(1024), b: new Int32Array(1024), length: 0 };
          lists.set(key, list);
        }
        if (list.length === list.a.length) {
          const na = new Int32Array(list.a.length * 2); na.set(list.a); list.a = na;
          const nb = new Int32Array(list.b.length * 2); nb.set(list.b); list.b = nb;
        }
        list.a[list.length] = la; list.b[list.length] = rb; list.length++;
        links++;
      }
    }
  }
  return {
    lists: [...lists.values()].sort((x, y) => x.left - y.left || x.right - y.right),
    settled, linkedTo, links, conflicts, oversizedGroups, oversizedRecords, prefixCollisions, merges,
  };
}

function samePseudonym(x: Uint8Array, i: number, y: Uint8Array, j: number): boolean {
  const a = i * 32; const b = j * 32;
  for (let k = 0; k < 32; k++) if (x[a + k] !== y[b + k]) return false;
  return true;
}
