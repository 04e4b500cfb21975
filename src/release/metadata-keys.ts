/**
 * Linkage metadata as person-level key variables (issue 10, "no identifying metadata").
 *
 * Per row, `match_probability` (near-continuous), `link_method` and the periods a person has
 * rows in single persons out as surely as a birth date does: 1,278 of 11,144 persons were
 * unique on the key variables plus the match probability alone. So none of them is released
 * per row. What the project chooses (model.ts `ReleaseMetadataPolicy`) is released once per
 * person, in `persons`, and counted as a key variable in the k-check, where it is suppressed
 * like any other:
 *  - `match_probability` (default): the band of the person's least certain record: `1`
 *    (deterministic, or probability 1), `0.99-1`, `0.95-0.99`, `<0.95`, or `unlinked` (the
 *    person is one record that linked to nothing);
 *  - `link_method` (off by default): the person's least certain method, `probabilistic` over
 *    `unlinked` over `deterministic`;
 *  - `period_pattern` (default): the sorted set of periods in which the person has rows across
 *    the release's datasets, joined by `|` (e.g. `2024|2024Q1`). The per-row `period` column
 *    stays, and is null in every row of a person whose pattern is suppressed. With
 *    `period_pattern: omit` there is no `period` column at all.
 * Each column is built per person straight into Arrow buffers: no string per row or person.
 */
import { Utf8, makeData, type Data, type Vector } from 'apache-arrow';
import type { ReleaseMetadataPolicy } from '../model.js';
import { groupByCodes } from './group-codes.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC, LINK_UNLINKED } from '../link/link-method.js';
import { chunksOf, takeRows } from './take.js';
import { utf8Column } from './utf8-column.js';
import { valueCodes } from './value-codes.js';

/** The project's choices with the defaults filled in (recorded in the manifest). */
export type ReleaseMetadataRules = Required<ReleaseMetadataPolicy>;

export function metadataRules(policy: ReleaseMetadataPolicy | undefined): ReleaseMetadataRules {
  return {
    match_probability: policy?.match_probability ?? 'bands',
    link_method: policy?.link_method ?? 'omit',
    period_pattern: policy?.period_pattern ?? 'key',
  };
}

/** The per-row inputs this module reads from each source. */
export interface MetadataSource {
  readonly personOfRow: Int32Array;
  readonly periods: readonly { readonly period: string; readonly rows: number }[] | Vector | Data;
  readonly linkMethod: Uint8Array;
  readonly matchProbability?: Float64Array;
}

/** A person-level key column: one Utf8 value per person index (the spine's order). */
export interface MetadataKey {
  readonly name: 'match_probability' | 'link_method' | 'period_pattern';
  readonly column: Data<Utf8>;
}

export const MATCH_BANDS = ['unlinked', '1', '0.99-1', '0.95-0.99', '<0.95'] as const;
/** Least certain last: a person's value is its rows' highest rank. */
const METHOD_RANKS = ['deterministic', 'unlinked', 'probabilistic'] as const;
const RANK_OF_METHOD = new Uint8Array(3);
RANK_OF_METHOD[LINK_DETERMINISTIC] = 0;
RANK_OF_METHOD[LINK_UNLINKED] = 1;
RANK_OF_METHOD[LINK_PROBABILISTIC] = 2;

function bandOf(method: number, probability: number): number {
  if (method === LINK_UNLINKED) return 0;
  if (method === LINK_DETERMINISTIC || probability >= 1) return 1;
  if (probability >= 0.99) return 2;
  if (probability >= 0.95) return 3;
  return 4; // below 0.95, or a probabilistic link without a probability
}

function perPerson(labels: readonly string[], personCount: number, sources: readonly MetadataSource[], rankOfRow: (s: MetadataSource, row: number) => number): Data<Utf8> {
  const rank = new Int32Array(personCount).fill(-1);
  for (const s of sources) {
    for (let row = 0; row < s.personOfRow.length; row++) {
      const p = s.personOfRow[row];
      const r = rankOfRow(s, row);
      if (r > rank[p]) rank[p] = r;
    }
  }
  return takeRows([utf8Column(labels)], rank) as Data<Utf8>;
}

/** Per row of every source in order, a code into the sorted distinct periods. */
function periodCodes(sources: readonly MetadataSource[]): { codes: Int32Array[]; labels: Uint8Array[] } {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const names = new Set<string>();
  const perSource = sources.map((s) => {
    if (Array.isArray(s.periods)) {
      const runs = s.periods as readonly { period: string; rows: number }[];
      for (const r of runs) names.add(r.period);
      return { runs, codes: null, local: [] as string[] };
    }
    const column = s.periods as Vector | Data;
    const identity = new Int32Array(column.length);
    for (let i = 0; i < identity.length; i++) identity[i] = i;
    const taken = takeRows(chunksOf(column), identity);
    const coded = valueCodes(taken);
    // The label of each distinct code, read once from its first row.
    const first = new Int32Array(coded.cardinality).fill(-1);
    for (let i = 0; i < coded.codes.length; i++) if (coded.codes[i] >= 0 && first[coded.codes[i]] < 0) first[coded.codes[i]] = i;
    const offsets = taken.valueOffsets as Int32Array;
    const bytes = taken.values as Uint8Array;
    const local = [...first].map((row) => decoder.decode(bytes.subarray(offsets[row], offsets[row + 1])));
    for (const name of local) names.add(name);
    return { runs: null, codes: coded.codes, local };
  });
  const sorted = [...names].sort();
  const index = new Map(sorted.map((name, i) => [name, i]));
  const codes = perSource.map((s, i) => {
    const out = new Int32Array(sources[i].personOfRow.length);
    if (s.runs !== null) {
      let at = 0;
      for (const run of s.runs) {
        out.fill(index.get(run.period) ?? -1, at, at + run.rows);
        at += run.rows;
      }
    } else {
      const map = Int32Array.from(s.local, (name) => index.get(name) ?? -1);
      for (let r = 0; r < out.length; r++) out[r] = s.codes![r] < 0 ? -1 : map[s.codes![r]];
    }
    return out;
  });
  return { codes, labels: sorted.map((name) => encoder.encode(name)) };
}

/** The `|`-joined sorted set of each person's periods as a Utf8 column (null: no period). */
function periodPatterns(sources: readonly MetadataSource[], personCount: number): Data<Utf8> {
  const { codes, labels } = periodCodes(sources);
  let rows = 0;
  for (const c of codes) rows += c.length;
  const persons = new Int32Array(rows);
  const periods = new Int32Array(rows);
  let n = 0;
  sources.forEach((s, i) => {
    for (let r = 0; r < s.personOfRow.length; r++) {
      if (codes[i][r] < 0) continue;
      persons[n] = s.personOfRow[r];
      periods[n] = codes[i][r];
      n++;
    }
  });
  const g = groupByCodes([persons.subarray(0, n), periods.subarray(0, n)], [personCount, labels.length], n);
  const bytesOf = new Int32Array(personCount);
  for (let j = 0; j < g.count; j++) {
    const pair = g.order[g.start[j]];
    bytesOf[persons[pair]] += labels[periods[pair]].length + (bytesOf[persons[pair]] > 0 ? 1 : 0);
  }
  const offsets = new Int32Array(personCount + 1);
  const validity = new Uint8Array(((personCount + 63) >>> 6) << 3);
  let nulls = 0;
  for (let p = 0; p < personCount; p++) {
    offsets[p + 1] = offsets[p] + bytesOf[p];
    if (bytesOf[p] > 0) validity[p >>> 3] |= 1 << (p & 7);
    else nulls++;
  }
  const values = new Uint8Array(offsets[personCount]);
  const at = offsets.slice(0, personCount);
  for (let j = 0; j < g.count; j++) {
    const pair = g.order[g.start[j]];
    const p = persons[pair];
    if (at[p] > offsets[p]) values[at[p]++] = 0x7c; // '|'
    values.set(labels[periods[pair]], at[p]);
    at[p] += labels[periods[pair]].length;
  }
  return makeData({ type: new Utf8(), length: personCount, nullCount: nulls, nullBitmap: nulls > 0 ? validity : null, valueOffsets: offsets, data: values });
}

/** The metadata key columns the rules ask for, in a fixed order. */
export function metadataKeys(sources: readonly MetadataSource[], personCount: number, rules: ReleaseMetadataRules): MetadataKey[] {
  const keys: MetadataKey[] = [];
  if (rules.match_probability === 'bands') {
    keys.push({ name: 'match_probability', column: perPerson(MATCH_BANDS, personCount, sources, (s, row) => bandOf(s.linkMethod[row], s.matchProbability?.[row] ?? Number.NaN)) });
  }
  if (rules.link_method === 'key') {
    keys.push({ name: 'link_method', column: perPerson(METHOD_RANKS, personCount, sources, (s, row) => RANK_OF_METHOD[s.linkMethod[row]]) });
  }
  if (rules.period_pattern === 'key') keys.push({ name: 'period_pattern', column: periodPatterns(sources, personCount) });
  return keys;
}
