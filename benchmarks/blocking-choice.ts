/**
 * `npm run bench -- blocking-choice --people N` (default 2,000,000): the automatic choice of
 * blocking rules in a full link over large sources, on a sample (`link/choice-sample.ts`)
 * against the choice on every record, and the pairs the chosen rules produce.
 *
 * Data: the turnaround benchmark's three extracts about N people (turnaround-data.ts; each
 * supplier in its own row order), read and encoded in this process once (untimed), with the
 * fields a turnaround job links on: national number, given name, surname, date of birth.
 * Competitors, timed round-robin (`timeMediansInterleaved`) on the same frame:
 * - koppel: `blockingRules` as a job runs it: above `FULL_SAMPLE_ABOVE` records per source,
 *   candidates counted on the sample, then the chosen rules keyed on every record;
 * - peer: `chooseBlockingRules` on every record (what a full link did before), which keys and
 *   counts every candidate on every record (and keeps the chosen rules' keys).
 * Also: whether both chose the same rules (1 or 0), and `generatePairs` over the chosen rules
 * with the deterministic links' saturation, as a job's blocking stage runs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockingRules, chooseBlockingRules } from '../src/link/blocking-choice.js';
import { generatePairs, type BlockingRule } from '../src/link/blocking.js';
import { linkDeterministic, saturation } from '../src/link/deterministic.js';
import { linkFrame } from '../src/link/link-frame.js';
import { linkSettings } from '../src/link/link-settings.js';
import { encodeSource, encodingKeysFrom } from '../src/pseudonymise/encode-source.js';
import type { EncodedSource } from '../src/pseudonymise/encoded-source.js';
import type { JobField, JobSource } from '../src/pipeline/job-file.js';
import { loadSource } from '../src/pipeline/local-sources.js';
import { compared, timeMediansInterleaved, type BenchOptions, type BenchResult, type Benchmark } from './harness.js';
import { SUPPLIERS, writeExtract } from './turnaround-data.js';

const NAME = 'blocking-choice';
const DEFAULT_PEOPLE = 2_000_000;
const MASTER = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 3) & 0xff);
const FIELDS: JobField[] = [
  { name: 'insz', type: 'national_id' }, { name: 'voornaam', type: 'given_name' },
  { name: 'familienaam', type: 'surname' }, { name: 'geboortedatum', type: 'date', format: 'YYYY-MM-DD' },
];

async function encodedExtracts(people: number, dir: string): Promise<EncodedSource[]> {
  const keys = encodingKeysFrom(MASTER);
  const out: EncodedSource[] = [];
  for (let s = 0; s < SUPPLIERS.length; s++) {
    const extract = await writeExtract({ people, seed: 20_261_207 }, s, dir);
    // The extracts carry no record id and nothing is written out here: any column serves as one.
    const spec: JobSource = { name: SUPPLIERS[s], path: extract.path, pathAsWritten: extract.path, id: 'postcode', unique: true, columns: {}, delimiter: null, encoding: 'utf-8' };
    const loaded = await loadSource(spec, FIELDS);
    out.push(encodeSource({ name: spec.name, unique: true, size: loaded.size, columns: loaded.columns }, FIELDS, keys));
    rmSync(extract.path);
  }
  return out;
}

const bench: Benchmark = {
  name: NAME,
  description: 'automatic blocking rules of a full link over three large extracts: chosen on a sample vs on every record; pairs of the chosen rules',
  async run(opts: BenchOptions): Promise<BenchResult[]> {
    const people = opts.n ?? DEFAULT_PEOPLE;
    const dir = mkdtempSync(join(tmpdir(), 'koppel-bench-blocking-'));
    let sources: EncodedSource[];
    try { sources = await encodedExtracts(people, dir); } finally { rmSync(dir, { recursive: true, force: true }); }
    const settings = linkSettings({ blocking: null, threshold: null, oneToOne: true, deduplicate: false });
    const frame = linkFrame(sources, settings);
    const budget = Math.max(settings.minRulePairs, settings.rulePairsPerRecord * frame.totalRecords);
    const id = (rules: readonly BlockingRule[]) => rules.map((r) => r.map((k) => `${k.field}.${k.slot}`).join('&')).join(',');
    let sampled = blockingRules(frame, settings);
    let exact = chooseBlockingRules(frame.index, frame.sources.length, frame.sourcePairs, budget);
    const ms = timeMediansInterleaved({
      sample: () => { sampled = blockingRules(frame, settings); },
      every: () => { exact = chooseBlockingRules(frame.index, frame.sources.length, frame.sourcePairs, budget); },
    }, opts);
    const saturated = saturation(linkDeterministic(frame, settings), frame.constrained);
    let pairs = 0;
    const pairMs = timeMediansInterleaved({
      pairs: () => { pairs = generatePairs(sampled.keys, frame.sourcePairs, { maxBlockPairs: settings.maxBlockPairs, saturated }).pairs.reduce((n, l) => n + l.length, 0); },
    }, { runs: opts.runs, warmup: 0 });
    return [
      compared(NAME, `rule choice, ${frame.totalRecords} records`, 'ms', ms.sample, { name: 'choice on every record', value: ms.every }),
      compared(NAME, 'same rules as on every record', 'bool', id(sampled.rules) === id(exact.map((c) => c.rule)) ? 1 : 0),
      compared(NAME, `pairs of ${sampled.rules.length} rules (${pairs} candidates)`, 'ms', pairMs.pairs),
    ];
  },
};

export default bench;
