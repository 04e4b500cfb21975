/**
 * The deterministic pass: records with equal valid national numbers link (method
 * `deterministic`).
 *
 * Records are grouped by the dense id of their pseudonym (shared across sources; see
 * `field-index.ts`) and groups are taken in id order. Within a group, every pair from two
 * different sources (or from one source being deduplicated) is offered to a constrained
 * union-find; records of one non-unique source with the same number join one person without
 * counting as a link; a pair it rejects (two records of a unique source with the same number) is
 * counted as a conflict, not linked. A group larger than `maxGroup` (a placeholder number used
 * for many people) is skipped and reported.
 *
 * Groups never share a record and every record starts alone, so each group's union-find is
 * its own: it runs over the group's members only (a few slots of scratch, in cache), and the
 * outcome for all records is one array, `rep`: the first record of each record's person. The
 * caller turns that into clusters directly, or into its union-find when more links follow.
 */
import type { PairList } from './blocking.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import type { LinkFrame } from './link-frame.js';
import type { LinkSettings } from './link-settings.js';
import { groupByKey } from '../util/group-by-key.js';

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
  /** Different pseudonyms grouped together (0 when groups compare all 32 bytes). */
  readonly prefixCollisions: number;
  /** Global record pairs of one non-unique source joined into one person without a link. */
  readonly merges: { readonly a: Int32Array; readonly b: Int32Array; readonly length: number };
  /** Per global record: the first (smallest) record of its person after this pass (itself when alone). */
  readonly rep: Int32Array;
}

export interface DeterministicInput {
  readonly sources: readonly EncodedSource[];
  /** Global numbering: source s's records are offsets[s] .. offsets[s+1]. */
  readonly offsets: Int32Array;
  /** Group id per global record (-1: no valid number); groups numbered 0.. in order of first record. */
  readonly ids: Int32Array;
  /** Records per group. */
  readonly sizes: Int32Array;
  /** Sources whose records never share a person (unique, one-to-one, not deduplicated). */
  readonly constrained: readonly boolean[];
  readonly dedupe: readonly boolean[];
  readonly maxGroup: number;
}

const MERGED = 1;
const ALREADY = 2;
const REJECTED = 0;

/** A union-find over one group's members (indices 0..size), with one source bitmask per root. */
class GroupUnionFind {
  parent = new Int32Array(64);
  mask = new Uint32Array(64);

  reset(size: number, bits: (i: number) => number): void {
    if (this.parent.length < size) { this.parent = new Int32Array(size * 2); this.mask = new Uint32Array(size * 2); }
    for (let i = 0; i < size; i++) { this.parent[i] = i; this.mask[i] = bits(i); }
  }

  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; }
    return x;
  }

  /** As ConstrainedUnionFind.union; the smaller index stays root, so a root is its set's first member. */
  union(x: number, y: number): number {
    let rx = this.find(x);
    let ry = this.find(y);
    if (rx === ry) return ALREADY;
    if ((this.mask[rx] & this.mask[ry]) !== 0) return REJECTED;
    if (ry < rx) { const t = rx; rx = ry; ry = t; }
    this.parent[ry] = rx;
    this.mask[rx] |= this.mask[ry];
    return MERGED;
  }
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** The pass's outcome as it accumulates: links per source pair, flags per record, merges. */
class Outcome {
  readonly lists = new Map<number, PairList>();
  readonly settled: Uint8Array[];
  readonly linkedTo: (Uint8Array | null)[][];
  readonly merges: { a: Int32Array; b: Int32Array; length: number } = { a: new Int32Array(256), b: new Int32Array(256), length: 0 };
  links = 0;
  conflicts = 0;
  // The last source pair's list and flags: nearly every link is between the same two sources.
  private lastKey = -1;
  private last: PairList | null = null;
  private lastLeft: Uint8Array | null = null;
  private lastRight: Uint8Array | null = null;

  constructor(private readonly sources: readonly EncodedSource[]) {
    this.settled = sources.map((src) => new Uint8Array(src.size));
    this.linkedTo = sources.map(() => sources.map(() => null));
  }

  /** A link between record `la` of source `ls` and record `rb` of source `rs` (left first). */
  link(ls: number, la: number, rs: number, rb: number): void {
    const key = ls * this.sources.length + rs;
    if (key !== this.lastKey) {
      let list = this.lists.get(key);
      if (list === undefined) {
        list = { left: ls, right: rs, a: new Int32Array(1024), b: new Int32Array(1024), length: 0 };
        this.lists.set(key, list);
      }
      this.lastKey = key;
      this.last = list;
      this.lastLeft = (this.linkedTo[ls][rs] ??= new Uint8Array(this.sources[ls].size));
      this.lastRight = (this.linkedTo[rs][ls] ??= new Uint8Array(this.sources[rs].size));
    }
    const list = this.last!;
    if (list.length === list.a.length) { list.a = grow(list.a); list.b = grow(list.b); }
    list.a[list.length] = la; list.b[list.length] = rb; list.length++;
    this.settled[ls][la] = 1;
    this.settled[rs][rb] = 1;
    this.lastLeft![la] = 1;
    this.lastRight![rb] = 1;
    this.links++;
  }

  /** Two records (global numbers) of one non-unique source joined into one person, without a link. */
  merge(x: number, y: number): void {
    const m = this.merges;
    if (m.length === m.a.length) { m.a = grow(m.a); m.b = grow(m.b); }
    m.a[m.length] = x; m.b[m.length] = y; m.length++;
  }
}

export function deterministicPass(input: DeterministicInput): DeterministicOutcome {
  const { sources, offsets, ids, sizes, constrained, dedupe, maxGroup } = input;
  const S = sources.length;
  const total = offsets[S];
  const keySpace = sizes.length;

  // Members of each group of 2..maxGroup records, in global order.
  const kept = new Uint8Array(keySpace);
  let oversizedGroups = 0; let oversizedRecords = 0;
  for (let k = 0; k < keySpace; k++) {
    const size = sizes[k];
    if (size > maxGroup) { oversizedGroups++; oversizedRecords += size; }
    kept[k] = size >= 2 && size <= maxGroup ? 1 : 0;
  }
  const { start, order: members } = groupByKey(ids, keySpace, kept);

  const rep = new Int32Array(total);
  for (let g = 0; g < total; g++) rep[g] = g;
  const out = new Outcome(sources);
  const unique = sources.map((src) => src.unique);
  const bit = constrained.map((c, s) => (c ? (1 << s) >>> 0 : 0));
  const guf = new GroupUnionFind();
  let srcs = new Int32Array(64);
  let local = new Int32Array(64);
  const sourceOf = (g: number): number => { let s = 0; while (offsets[s + 1] <= g) s++; return s; };

  for (let k = 0; k < keySpace; k++) {
    const from = start[k];
    const size = start[k + 1] - from;
    if (size === 0) continue;
    if (size === 2) {
      // Most groups: one number in two records, both still alone. The union-find's answer is
      // known: the pair is refused only when both are of one constrained source.
      const x = members[from]; const y = members[from + 1];
      const sx = sourceOf(x); const sy = sourceOf(y);
      if (sx === sy && !dedupe[sx]) {
        if (unique[sx] || (bit[sx] & bit[sy]) !== 0) continue;
        out.merge(x, y);
      } else if ((bit[sx] & bit[sy]) !== 0) {
        out.conflicts++;
        continue;
      } else {
        out.link(sx, x - offsets[sx], sy, y - offsets[sy]);
      }
      rep[y] = x;
      continue;
    }
    if (srcs.length < size) { srcs = new Int32Array(size * 2); local = new Int32Array(size * 2); }
    for (let i = 0; i < size; i++) { const g = members[from + i]; srcs[i] = sourceOf(g); local[i] = g - offsets[srcs[i]]; }
    guf.reset(size, (i) => bit[srcs[i]]);
    // Pairs in member order; members ascend, so i's source comes first in job order (or, in
    // one source, i's record first): i is the link's left side.
    for (let i = 0; i < size; i++) {
      for (let j = i + 1; j < size; j++) {
        const si = srcs[i]; const sj = srcs[j];
        if (si === sj && !dedupe[si]) {
          if (unique[si]) continue;
          // Rows of one person in a source with many rows per person (quarterly wages): the same
          // person, but not a link between sources, so no entry in the links.
          if (guf.union(i, j) === MERGED) out.merge(members[from + i], members[from + j]);
          continue;
        }
        if (guf.union(i, j) === REJECTED) { out.conflicts++; continue; }
        out.link(si, local[i], sj, local[j]);
      }
    }
    // Roots are each set's first member: that record represents the person.
    for (let i = 1; i < size; i++) {
      const r = guf.find(i);
      if (r !== i) rep[members[from + i]] = members[from + r];
    }
  }
  return {
    lists: [...out.lists.values()].sort((x, y) => x.left - y.left || x.right - y.right),
    settled: out.settled, linkedTo: out.linkedTo, links: out.links, conflicts: out.conflicts,
    oversizedGroups, oversizedRecords, prefixCollisions: 0, merges: out.merges, rep,
  };
}

/** Dense person ids 0.. in order of each person's first record, from `rep` (as ConstrainedUnionFind.clusterIds). */
export function clustersOfReps(rep: Int32Array): { ids: Int32Array; count: number } {
  const ids = new Int32Array(rep.length);
  let count = 0;
  for (let g = 0; g < rep.length; g++) {
    const r = rep[g];
    ids[g] = r === g ? count++ : ids[r];
  }
  return { ids, count };
}

/** The deterministic stage of a run: its outcome, or null when the job has no national_id field. */
export function linkDeterministic(frame: LinkFrame, settings: LinkSettings): DeterministicOutcome | null {
  const nid = frame.index.findIndex((fi) => fi.type === 'national_id');
  if (nid < 0) return null;
  const fi = frame.index[nid];
  return deterministicPass({
    sources: frame.sources, offsets: frame.offsets, ids: fi.globalIds ?? concatenated(fi.ids[0], frame.totalRecords), sizes: fi.wholeCounts,
    constrained: frame.constrained, dedupe: frame.dedupe, maxGroup: settings.maxDeterministicGroup,
  });
}

/**
 * saturated(s, t): per record of source s, 1 when the deterministic pass linked it to a record
 * of constrained source t, which then can take no other record of it; null when none is.
 */
export function saturation(det: DeterministicOutcome | null, constrained: readonly boolean[]): (s: number, t: number) => Uint8Array | null {
  return (s, t) => (constrained[t] ? det?.linkedTo[s][t] ?? null : null);
}

/** Per-source id columns as one column in global numbering. */
function concatenated(columns: readonly Int32Array[], total: number): Int32Array {
  const out = new Int32Array(total);
  let at = 0;
  for (const c of columns) { out.set(c, at); at += c.length; }
  return out;
}
