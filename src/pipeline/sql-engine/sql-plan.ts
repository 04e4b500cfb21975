/**
 * The link stage's heavy part as plain SQL over the keyed encodings (`rec`, sql-columns.ts): no
 * user-defined functions, so Spark (through Spark Connect) or Trino can run the same plan.
 *
 * ```
 * rec ─> keys(rule, k, s, r, g)        k = first record of the rule's key (window min)
 *     ─> kc ─> skipped(pi, rule, k)    blocks over the pair limit, per source pair
 *     ─> produced ─> pairs             every rule's equi-join, minus skipped blocks and
 *                                      saturated records; a pair belongs to its first rule
 *     ─> plevels                       per field: token equalities, Dice as bit_count(&)
 *     ─> histograms                    per rule: pattern counts, the rule's fields masked
 * ```
 * The in-process engine's order is kept (source pair, rule, block in order of its first record,
 * left record, right record), so both engines give the same lists, not only the same sets.
 */
import type { BlockingRule } from '../../link/blocking.js';
import type { ComparisonSpec } from '../../link/comparison.js';
import { keyColumns, type RecordShape } from './sql-columns.js';

/** Groups of equal pseudonyms: per record (in order of g) its group's first record, NULL when absent. */
export function groupsSql(shape: RecordShape, field: number): string {
  const cols = keyColumns(shape, field, 0);
  return `SELECT CASE WHEN f${field}_p = 1 AND ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}
    THEN min(g) OVER (PARTITION BY ${cols.join(', ')}) END AS first FROM rec ORDER BY g`;
}

/**
 * Statements building `pairs(n, pi, rule, a, b, ga, gb)` and their levels `plevels` from `rec`,
 * `sp(pi, l, r)` and `sat(s, t, r)`.
 */
export function pairsSql(shape: RecordShape, specs: readonly ComparisonSpec[], rules: readonly BlockingRule[], maxBlockPairs: number): string[] {
  const keys = rules.map((rule, i) => {
    const cols = rule.flatMap((k) => keyColumns(shape, k.field, k.slot));
    const present = rule.map((k) => `f${k.field}_p = 1`).concat(cols.map((c) => `${c} IS NOT NULL`)).join(' AND ');
    return `SELECT ${i} AS rule, min(g) OVER (PARTITION BY ${cols.join(', ')}) AS k, s, r, g FROM rec WHERE ${present}`;
  });
  return [
    // No rule: no keys (the union of no selects, typed).
    `CREATE OR REPLACE TEMP TABLE keys AS ${keys.length > 0 ? keys.join(' UNION ALL ') : 'SELECT 0 AS rule, 0 AS k, 0 AS s, 0 AS r, 0 AS g WHERE false'}`,
    'CREATE OR REPLACE TEMP TABLE kc AS SELECT rule, k, s, count(*)::BIGINT AS n FROM keys GROUP BY rule, k, s',
    `CREATE OR REPLACE TEMP TABLE blocks AS
      SELECT sp.pi, L.rule, L.k, CASE WHEN sp.l = sp.r THEN (L.n * (L.n - 1)) // 2 ELSE L.n * R.n END AS size
      FROM sp JOIN kc L ON L.s = sp.l JOIN kc R ON R.s = sp.r AND R.rule = L.rule AND R.k = L.k`,
    `CREATE OR REPLACE TEMP TABLE skipped AS SELECT pi, rule, k, size FROM blocks WHERE size > ${Math.floor(maxBlockPairs)}`,
    `CREATE OR REPLACE TEMP TABLE produced AS
      SELECT sp.pi, A.rule, A.k, A.r AS a, B.r AS b, A.g AS ga, B.g AS gb
      FROM sp JOIN keys A ON A.s = sp.l JOIN keys B ON B.s = sp.r AND B.rule = A.rule AND B.k = A.k
      WHERE (sp.l <> sp.r OR B.r > A.r)
        AND NOT EXISTS (SELECT 1 FROM skipped X WHERE X.pi = sp.pi AND X.rule = A.rule AND X.k = A.k)
        AND NOT EXISTS (SELECT 1 FROM sat WHERE sat.s = sp.l AND sat.t = sp.r AND sat.r = A.r)
        AND NOT EXISTS (SELECT 1 FROM sat WHERE sat.s = sp.r AND sat.t = sp.l AND sat.r = B.r)`,
    // A pair agreeing on several rules is the first one's (a block skipped there did not produce it).
    `CREATE OR REPLACE TEMP TABLE pairs AS
      SELECT row_number() OVER (ORDER BY pi, rule, k, a, b) - 1 AS n, pi, rule, a, b, ga, gb
      FROM (SELECT pi, min(rule) AS rule, arg_min(k, rule) AS k, a, b, any_value(ga) AS ga, any_value(gb) AS gb
            FROM produced GROUP BY pi, a, b)`,
    `CREATE OR REPLACE TEMP TABLE plevels AS ${levelsSql(shape, specs, 'pairs')}`,
  ];
}

/** Per rule: the blocks skipped for size and the pairs they would have produced, over all source pairs. */
export const SKIPPED_SQL = 'SELECT rule, count(*)::INTEGER AS blocks, sum(size)::DOUBLE AS pairs FROM skipped GROUP BY rule';

/** The comparison levels `lv{f}` of the pairs of `table(n, pi, a, b, ga, gb)` (unordered: order by n to read). */
export function levelsSql(shape: RecordShape, specs: readonly ComparisonSpec[], table: string): string {
  const select = specs.flatMap((spec) => levelColumns(shape, spec));
  return `SELECT P.n, P.pi, P.a, P.b, P.ga, P.gb, ${select.join(', ')}
    FROM ${table} P JOIN rec L ON L.g = P.ga JOIN rec R ON R.g = P.gb`;
}

/**
 * Per rule, the histogram of comparison patterns of the pairs agreeing on its keys, with its own
 * fields at level 0 (they carry no information there), from `plevels` (the levels of `pairs`).
 * A pattern's rank is its first pair's, as the in-process count orders them.
 */
export function histogramsSql(specs: readonly ComparisonSpec[], rules: readonly BlockingRule[]): string {
  const perRule = rules.map((rule, r) => {
    const masked = new Set(rule.map((k) => k.field));
    const levels = specs.map((s) => (masked.has(s.field) ? `0::UTINYINT AS lv${s.field}` : `P.lv${s.field}`));
    return `SELECT ${r} AS rule, ${levels.join(', ')}, count(*)::DOUBLE AS pairs, min(P.n) AS first
      FROM plevels P JOIN keys A ON A.rule = ${r} AND A.g = P.ga JOIN keys B ON B.rule = ${r} AND B.g = P.gb AND B.k = A.k
      GROUP BY ALL`;
  });
  return `${perRule.map((q) => `(${q})`).join(' UNION ALL ')} ORDER BY rule, first`;
}

const same = (cols: readonly string[]): string => cols.map((c) => `L.${c} IS NOT DISTINCT FROM R.${c}`).join(' AND ');

/**
 * Dice >= t exactly as the in-process kernel decides it: the intersection in integers, the
 * band as `2 * inter >= t * (popA + popB)` in doubles (IEEE products, the same in both).
 */
const dice = (f: number, t: number): string => `2 * i${f} >= ${t.toFixed(2)}::DOUBLE * (L.f${f}_pop + R.f${f}_pop)`;

/** The SELECT list of one field: its level as `lv{f}`, after `i{f}` (the filters' common bits) when it has one. */
function levelColumns(shape: RecordShape, spec: ComparisonSpec): string[] {
  const f = spec.field;
  const tok = (slot: number) => same(keyColumns(shape, f, slot));
  const head = `WHEN L.f${f}_p = 0 OR R.f${f}_p = 0 THEN 0 WHEN ${tok(0)} THEN 1`;
  const level = (body: string) => `CASE ${head} ${body} END::UTINYINT AS lv${f}`;
  switch (spec.type) {
    case 'sex': case 'number': case 'national_id':
      return [level('ELSE 2')];
    case 'postcode': case 'municipality':
      return [level(`WHEN ${tok(1)} THEN 2 ELSE 3`)];
    case 'date': {
      // ydm is keyed like ymd: the swapped form of one equals the plain form of the other.
      const swapped = `(L.f${f}_t1 IS NOT NULL AND L.f${f}_t1 = R.f${f}_t0) OR (R.f${f}_t1 IS NOT NULL AND R.f${f}_t1 = L.f${f}_t0)`;
      return [level(`WHEN ${swapped} THEN 2 WHEN ${tok(2)} OR ${tok(3)} OR ${tok(4)} THEN 3 ELSE 4`)];
    }
    default:
      return [intersection(shape, f), level(bloomLevels(spec))];
  }
}

function intersection(shape: RecordShape, f: number): string {
  const words = Math.ceil(shape.fields[f].bloomWords / 2);
  const terms = Array.from({ length: words }, (_, j) => `bit_count(L.f${f}_b${j} & R.f${f}_b${j})::INTEGER`);
  return `(${terms.join(' + ')}) AS i${f}`;
}

function bloomLevels(spec: ComparisonSpec): string {
  const f = spec.field;
  switch (spec.type) {
    case 'given_name': case 'surname': case 'name': {
      const same1 = `L.f${f}_t2 IS NOT DISTINCT FROM R.f${f}_t2`;
      const phonetic = `L.f${f}_t1 IS NOT DISTINCT FROM R.f${f}_t1 OR L.f${f}_t4 IS NOT DISTINCT FROM R.f${f}_t4`;
      // Swapped names: this field's cross token against the partner's, both ways.
      const p = spec.partner;
      const swapped = p < 0 ? '' : `WHEN (R.f${p}_t3 IS NOT NULL AND L.f${f}_t3 = R.f${p}_t3) OR (L.f${p}_t3 IS NOT NULL AND R.f${f}_t3 = L.f${p}_t3) THEN 6 `;
      return `WHEN ${same1} THEN 2 WHEN ${phonetic} THEN 3 WHEN ${dice(f, 0.85)} THEN 4 WHEN ${dice(f, 0.7)} THEN 5 ${swapped}WHEN ${dice(f, 0.55)} THEN 7 ELSE 8`;
    }
    case 'text':
      return `WHEN ${dice(f, 0.85)} THEN 2 WHEN ${dice(f, 0.7)} THEN 3 WHEN ${dice(f, 0.5)} THEN 4 ELSE 5`;
    default: // code
      return `WHEN ${dice(f, 0.6)} THEN 2 ELSE 3`;
  }
}
