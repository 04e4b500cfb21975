/**
 * The link stage's heavy part run by DuckDB (embedded, in this process): the keyed encodings go
 * in as typed columns, the SQL plan (sql-plan.ts) runs, and groups, pairs and levels come back
 * as typed arrays. It stands in for Spark or Trino: same plan, an engine that runs anywhere.
 *
 * `@duckdb/node-api` is an optional dependency, imported by link-engines.ts only when this
 * engine is chosen; this module receives the loaded module and never imports it at run time.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import { KoppelError } from '../../errors.js';
import type { BlockingRule, PairList, RuleOutcome } from '../../link/blocking.js';
import type { RuleHistograms } from '../../link/estimation.js';
import type { LinkEngine, PairStage, PairStageInput, PseudonymGroups } from '../../link/link-engine.js';
import type { LinkFrame } from '../../link/link-frame.js';
import { loadRecords, loadTable, type DuckDBApi } from './duckdb-load.js';
import { recordShape, type RecordShape } from './sql-columns.js';
import { groupsSql, histogramsSql, levelsSql, pairsSql, SKIPPED_SQL } from './sql-plan.js';

export async function openDuckDBEngine(api: DuckDBApi): Promise<LinkEngine> {
  return guarded('start', async () => {
    const instance = await api.DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    return new DuckDBEngine(api, instance, connection);
  });
}

/**
 * A DuckDB failure as a coded error naming the stage. DuckDB's own message is dropped: a
 * conversion or constraint error can quote the value it failed on, here a token or filter word.
 */
async function guarded<T>(stage: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof KoppelError) throw err;
    throw new KoppelError('KOPPEL_ERR_LINK_ENGINE_FAILED', `The duckdb link engine failed in stage ${stage}.`, { engine: 'duckdb', stage });
  }
}

class DuckDBEngine implements LinkEngine {
  readonly name = 'duckdb' as const;
  /** The frame whose records are loaded as `rec` (a run loads them once for both calls). */
  private loaded: { frame: LinkFrame; shape: RecordShape } | null = null;

  constructor(private readonly api: DuckDBApi, private readonly instance: DuckDBInstance, private readonly connection: DuckDBConnection) {}

  pseudonymGroups(frame: LinkFrame, field: number): Promise<PseudonymGroups> {
    return guarded('pseudonym join', () => this.groups(frame, field));
  }

  pairs(input: PairStageInput): Promise<PairStage> {
    return guarded('blocking and comparison', () => this.pairStage(input));
  }

  private async groups(frame: LinkFrame, field: number): Promise<PseudonymGroups> {
    const shape = await this.load(frame);
    const ids = new Int32Array(frame.totalRecords).fill(-1);
    // First record of each group -> dense id in order of first record, as the field index numbers them.
    const idOfFirst = new Int32Array(frame.totalRecords).fill(-1);
    const sizes: number[] = [];
    let g = 0;
    await this.eachChunk(await this.connection.stream(groupsSql(shape, field)), (chunk, rows) => {
      const first = chunk.getColumnVector(0);
      for (let i = 0; i < rows; i++, g++) {
        const f = first.getItem(i) as number | null;
        if (f === null) continue;
        if (idOfFirst[f] < 0) { idOfFirst[f] = sizes.length; sizes.push(0); }
        ids[g] = idOfFirst[f];
        sizes[idOfFirst[f]]++;
      }
    });
    return { ids, sizes: Int32Array.from(sizes) };
  }

  private async pairStage(input: PairStageInput): Promise<PairStage> {
    const { frame, ruleSet, det, saturated, maxBlockPairs } = input;
    const shape = await this.load(frame);
    await this.loadSourcePairs(frame, saturated);
    for (const sql of pairsSql(shape, frame.specs, ruleSet.rules, maxBlockPairs)) await this.connection.run(sql);
    const lists = frame.sourcePairs.map((sp): PairList => ({ left: sp.left, right: sp.right, a: new Int32Array(0), b: new Int32Array(0), length: 0, ruleEnd: new Int32Array(ruleSet.rules.length) }));
    const counts = await this.pairCounts(lists.length, ruleSet.rules.length);
    const outcomes = await this.outcomes(ruleSet.rules.length, counts);
    counts.forEach((perRule, pi) => {
      const list = lists[pi];
      let end = 0;
      perRule.forEach((n, r) => { end += n; list.ruleEnd![r] = end; });
      list.a = new Int32Array(end); list.b = new Int32Array(end);
    });
    const candidates = await this.levels(frame, `SELECT pi, a, b, ${frame.specs.map((sp) => `lv${sp.field}`).join(', ')} FROM plevels ORDER BY n`, lists.map((l) => l.a.length), lists);
    const ruleHistograms = await this.histograms(frame, ruleSet.rules);
    const detLists = det?.lists ?? [];
    await this.loadDeterministic(frame, detLists);
    const deterministic = await this.levels(frame, `${levelsSql(shape, frame.specs, 'detpairs')} ORDER BY P.n`, detLists.map((l) => l.length), null);
    const blocked = { lists, outcomes, candidatePairs: lists.reduce((s, l) => s + l.length, 0) };
    return { blocked, compared: { candidates, deterministic }, ruleHistograms };
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async load(frame: LinkFrame): Promise<RecordShape> {
    if (this.loaded?.frame === frame) return this.loaded.shape;
    const shape = recordShape(frame.sources);
    await loadRecords(this.api, this.connection, frame.sources, frame.offsets, shape);
    this.loaded = { frame, shape };
    return shape;
  }

  /** `sp(pi, l, r)`: the source pairs in order; `sat(s, t, r)`: records that can take no record of t. */
  private async loadSourcePairs(frame: LinkFrame, saturated: PairStageInput['saturated']): Promise<void> {
    const sp = frame.sourcePairs;
    await loadTable(this.api, this.connection, 'sp', ['pi', 'l', 'r'], [Int32Array.from(sp, (_, i) => i), Int32Array.from(sp, (p) => p.left), Int32Array.from(sp, (p) => p.right)]);
    const s: number[] = []; const t: number[] = []; const r: number[] = [];
    const S = frame.sources.length;
    for (let x = 0; x < S; x++) {
      for (let y = 0; y < S; y++) {
        const flags = saturated(x, y);
        if (flags !== null) for (let i = 0; i < flags.length; i++) if (flags[i] === 1) { s.push(x); t.push(y); r.push(i); }
      }
    }
    await loadTable(this.api, this.connection, 'sat', ['s', 't', 'r'], [Int32Array.from(s), Int32Array.from(t), Int32Array.from(r)]);
  }

  /** `detpairs(n, pi, a, b, ga, gb)`: the deterministic links, list after list, in their order. */
  private async loadDeterministic(frame: LinkFrame, lists: readonly PairList[]): Promise<void> {
    const total = lists.reduce((s, l) => s + l.length, 0);
    const [n, pi, a, b, ga, gb] = Array.from({ length: 6 }, () => new Int32Array(total));
    let at = 0;
    lists.forEach((list, i) => {
      for (let p = 0; p < list.length; p++, at++) {
        n[at] = at; pi[at] = i; a[at] = list.a[p]; b[at] = list.b[p];
        ga[at] = frame.offsets[list.left] + list.a[p]; gb[at] = frame.offsets[list.right] + list.b[p];
      }
    });
    await loadTable(this.api, this.connection, 'detpairs', ['n', 'pi', 'a', 'b', 'ga', 'gb'], [n, pi, a, b, ga, gb]);
  }

  /** counts[pi][rule]: the pairs each rule contributed to each source pair's list. */
  private async pairCounts(pairLists: number, rules: number): Promise<number[][]> {
    const counts = Array.from({ length: pairLists }, () => new Array<number>(rules).fill(0));
    const rows = (await this.connection.runAndReadAll('SELECT pi, rule, count(*)::INTEGER FROM pairs GROUP BY pi, rule')).getRows();
    for (const [pi, rule, n] of rows) counts[Number(pi)][Number(rule)] = Number(n);
    return counts;
  }

  private async outcomes(rules: number, counts: readonly number[][]): Promise<RuleOutcome[]> {
    const out: RuleOutcome[] = Array.from({ length: rules }, (_, r) => ({ pairs: counts.reduce((s, c) => s + c[r], 0), skippedBlocks: 0, skippedPairs: 0 }));
    for (const [rule, blocks, pairs] of (await this.connection.runAndReadAll(SKIPPED_SQL)).getRows()) {
      out[Number(rule)].skippedBlocks = Number(blocks);
      out[Number(rule)].skippedPairs = Number(pairs);
    }
    return out;
  }

  /** Per rule, its pattern histogram (as `rulePatternHistograms` gives it), counted by the engine. */
  private async histograms(frame: LinkFrame, rules: readonly BlockingRule[]): Promise<RuleHistograms> {
    const F = frame.specs.length;
    const levels: number[][] = rules.map(() => []);
    const counts: number[][] = rules.map(() => []);
    if (rules.length > 0) {
      const result = await this.connection.stream(histogramsSql(frame.specs, rules));
      const names = result.columnNames();
      const at = (name: string) => names.indexOf(name);
      const levelColumn = frame.specs.map((s) => at(`lv${s.field}`));
      await this.eachChunk(result, (chunk, rows) => {
        const ruleV = chunk.getColumnVector(at('rule')); const pairsV = chunk.getColumnVector(at('pairs'));
        const lvV = levelColumn.map((c) => chunk.getColumnVector(c));
        for (let i = 0; i < rows; i++) {
          const r = ruleV.getItem(i) as number;
          for (let f = 0; f < F; f++) levels[r].push(lvV[f].getItem(i) as number);
          counts[r].push(pairsV.getItem(i) as number);
        }
      });
    }
    return rules.map((_, r) => ({
      hist: { fieldCount: F, levels: Uint8Array.from(levels[r]), counts: Float64Array.from(counts[r]), size: counts[r].length },
      pairs: counts[r].reduce((s, c) => s + c, 0),
    }));
  }

  /**
   * levels[list][field][pair] of the pairs of `query` (lists of `sizes` pairs, in the query's
   * order); fills `lists`' records from it when given.
   */
  private async levels(frame: LinkFrame, query: string, sizes: readonly number[], lists: PairList[] | null): Promise<Uint8Array[][]> {
    const out = sizes.map((n) => frame.specs.map(() => new Uint8Array(n)));
    const fill = new Int32Array(sizes.length);
    const result = await this.connection.stream(query);
    const names = result.columnNames();
    const levelColumn = frame.specs.map((s) => names.indexOf(`lv${s.field}`));
    await this.eachChunk(result, (chunk, rows) => {
      const piV = chunk.getColumnVector(names.indexOf('pi')); const aV = chunk.getColumnVector(names.indexOf('a')); const bV = chunk.getColumnVector(names.indexOf('b'));
      const lvV = levelColumn.map((c) => chunk.getColumnVector(c));
      for (let i = 0; i < rows; i++) {
        const pi = piV.getItem(i) as number;
        const p = fill[pi]++;
        if (lists !== null) { lists[pi].a[p] = aV.getItem(i) as number; lists[pi].b[p] = bV.getItem(i) as number; }
        for (let f = 0; f < lvV.length; f++) out[pi][f][p] = lvV[f].getItem(i) as number;
      }
    });
    lists?.forEach((l, i) => { l.length = fill[i]; });
    return out;
  }

  private async eachChunk(result: DuckDBResult, visit: (chunk: NonNullable<Awaited<ReturnType<DuckDBResult['fetchChunk']>>>, rows: number) => void): Promise<void> {
    for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) visit(chunk, chunk.rowCount);
  }
}
