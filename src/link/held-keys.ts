/**
 * An incremental run's blocking keys (issue 13): only the keys the new records that can still
 * pair have, and a spine record's key only where one of them has it. Work on a spine record is a
 * bit test per rule; the spine records that get a key are listed as they are found, so later
 * passes over a rule's keys read the list, not the spine (blocking.ts).
 */
import type { BlockingRule } from './blocking-rule.js';
import type { FieldIndex } from './field-index.js';
import { keySpace } from './rule-keys.js';
import { TokenTable } from './token-table.js';

/** A rule's keys per source, with the records that have one where they were listed while keying. */
export interface KeyedRule {
  readonly keys: Int32Array[];
  readonly withKey: (Int32Array | null)[];
}

/**
 * Which records of each source an incremental run's keys are kept for: `null` for a spine
 * source (its records keep a key only where a held record has it), else one byte per record (1:
 * held). A new record that can pair with nothing (saturated towards every source it is compared
 * with) need not be held: no block would take it.
 */
export type HeldRecords = readonly (Uint8Array | null)[];

/**
 * An incremental run's keys of `rule`: the keys of the held records, and a spine record's key
 * only where a held record has it; -1 elsewhere. Each conjunction step inserts the held records'
 * (x, y) into a table and looks the spine records' up in it, behind a bit set of the held pairs'
 * hashes that turns most misses away from cache (a spine record's combination is mostly one no
 * new record has). So the work on a spine record is a bit test, and no key only spine records
 * hold is ever made. Ids are in order of first held record.
 */
export function ruleKeysHeldBy(rule: BlockingRule, index: readonly FieldIndex[], held: HeldRecords): Int32Array[] {
  return heldRuleKeys(rule, index, held).keys;
}

/** `ruleKeysHeldBy`, with each spine source's keyed records listed as they are found (ascending). */
export function heldRuleKeys(rule: BlockingRule, index: readonly FieldIndex[], held: HeldRecords): KeyedRule {
  const S = held.length;
  let current = index[rule[0].field].ids[rule[0].slot].slice(0, S);
  if (rule.length === 1) { const keys = keysHeldBy(current, held); return { keys, withKey: keys.map(() => null) }; }
  const withKey: (Int32Array | null)[] = held.map(() => null);
  let fresh = 0;
  for (let s = 0; s < S; s++) { const h = held[s]; if (h !== null) for (let r = 0; r < h.length; r++) fresh += h[r]; }
  for (let k = 1; k < rule.length; k++) {
    const next = index[rule[k].field].ids[rule[k].slot];
    const table = new TokenTable(Math.min(fresh, 1 << 22));
    // At most 1 bit in 16 set: about 94% of misses answered by the bit set.
    let bits = 1 << 16;
    while (bits < fresh * 16 && bits < 1 << 30) bits *= 2;
    const filter = new Int32Array(bits >>> 5);
    const mask = bits - 1;
    // Every slot is written below (no fill first: at national size these are 100 MB a source).
    const out = current.map((x) => new Int32Array(x.length));
    for (let s = 0; s < S; s++) {
      const h = held[s];
      if (h === null) continue;
      const x = current[s]; const y = next[s]; const o = out[s];
      for (let r = 0; r < x.length; r++) {
        const a = x[r]; const b = y[r];
        if (h[r] === 0 || a < 0 || b < 0) { o[r] = -1; continue; }
        o[r] = table.add(a, b);
        const bit = pairHash(a, b) & mask;
        filter[bit >>> 5] |= 1 << (bit & 31);
      }
    }
    const last = k === rule.length - 1;
    for (let s = 0; s < S; s++) {
      if (held[s] !== null) continue;
      const x = current[s]; const y = next[s]; const o = out[s];
      let list = last ? new Int32Array(1024) : null;
      let listed = 0;
      for (let r = 0; r < x.length; r++) {
        const a = x[r]; const b = y[r];
        if (a < 0 || b < 0) { o[r] = -1; continue; }
        const bit = pairHash(a, b) & mask;
        const id = (filter[bit >>> 5] & (1 << (bit & 31))) === 0 ? -1 : table.find(a, b);
        o[r] = id;
        if (id < 0 || list === null) continue;
        if (listed === list.length) { const grown = new Int32Array(listed * 2); grown.set(list); list = grown; }
        list[listed++] = r;
      }
      if (list !== null) withKey[s] = list.slice(0, listed);
    }
    current = out;
  }
  return { keys: current, withKey };
}

/** A hash of two dense ids for the bit set (not the token table's: its bits would repeat the table's slot). */
function pairHash(a: number, b: number): number {
  let h = Math.imul(a, 0x27d4eb2d) ^ Math.imul(b + 0x165667b1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * An incremental run's keys of a one-slot rule: only keys a held record has (`HeldRecords`),
 * renumbered in order of first record (as `combineKeys` numbers them); -1 elsewhere. The run
 * compares no pair without a new record, so a key only spine records hold forms no pair;
 * dropping it makes every later pass over the key space (block sizes, buckets) follow the new
 * records, not the spine.
 */
function keysHeldBy(keys: readonly Int32Array[], held: HeldRecords): Int32Array[] {
  const space = keySpace(keys);
  const rename = new Int32Array(space).fill(-1);
  for (let s = 0; s < keys.length; s++) {
    const h = held[s];
    if (h === null) continue;
    const k = keys[s];
    for (let r = 0; r < k.length; r++) if (k[r] >= 0 && h[r] === 1) rename[k[r]] = 0;
  }
  // Ids in order of first record over all sources, as combineKeys gives them.
  let next = 0;
  const seen = new Uint8Array(space);
  return keys.map((k, s) => {
    const h = held[s];
    const out = new Int32Array(k.length);
    for (let r = 0; r < k.length; r++) {
      const v = k[r];
      if (v < 0 || rename[v] < 0 || (h !== null && h[r] === 0)) { out[r] = -1; continue; }
      if (seen[v] === 0) { seen[v] = 1; rename[v] = next++; }
      out[r] = rename[v];
    }
    return out;
  });
}
