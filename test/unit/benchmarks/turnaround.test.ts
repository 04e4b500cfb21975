import { readFileSync } from 'node:fs';
import t from 'tap';
import { runTurnaround, turnaroundResults } from '../../../benchmarks/turnaround.js';
import { STEPS } from '../../../benchmarks/turnaround-flow.js';
import { SUPPLIERS, writeExtract } from '../../../benchmarks/turnaround-data.js';
import { pairwiseQuality } from '../../../benchmarks/turnaround-f1.js';
import { inszCheckDigits } from '../../../src/ingest/insz.js';

t.test('the extracts are about the same people, with 5% of national numbers missing and the truth kept beside them', async (t) => {
  const dir = t.testdir();
  const people = 4000;
  const extracts = await Promise.all(SUPPLIERS.map((_, s) => writeExtract({ people, seed: 7 }, s, dir)));
  const inszOf = new Map<number, string>();
  for (const x of extracts) {
    const lines = readFileSync(x.path, 'utf8').trimEnd().split('\n');
    t.equal(lines.length - 1, x.rows, `${x.supplier}: one line per row after the header`);
    t.ok(x.rows > people * 0.97 && x.rows < people, `${x.supplier}: about 99% of the people (${x.rows})`);
    t.equal(new Set(x.truth).size, x.rows, `${x.supplier}: no person twice`);
    t.ok(x.missingNationalIds > x.rows * 0.03 && x.missingNationalIds < x.rows * 0.07, `${x.supplier}: ~5% without a national number (${x.missingNationalIds})`);
    t.ok(x.mistypedNames > x.rows * 0.005 && x.mistypedNames < x.rows * 0.04, `${x.supplier}: ~2% of names mistyped (${x.mistypedNames})`);
    let empty = 0;
    for (let r = 0; r < x.rows; r++) {
      const insz = lines[r + 1].split(',')[0];
      if (insz === '') { empty++; continue; }
      const born2000 = lines[r + 1].split(',')[3] >= '2000';
      if (inszCheckDigits(insz.slice(0, 9), born2000) !== insz.slice(9)) t.fail(`${x.supplier} row ${r}: invalid national number`);
      const known = inszOf.get(x.truth[r]);
      if (known !== undefined && known !== insz) t.fail(`${x.supplier} row ${r}: another number for the same person`);
      inszOf.set(x.truth[r], insz);
    }
    t.equal(empty, x.missingNationalIds, `${x.supplier}: the count of missing numbers is what the file holds`);
  }
  t.equal(new Set(inszOf.values()).size, inszOf.size, 'no two people share a national number');
});

t.test('pairwise F1: true positives, predicted and true pairs from one sort of person_id * people + truth', async (t) => {
  const people = 10;
  // Records of persons 1,1,1 and 2,2; predicted clusters {1,1} {1,2,2} (ids 5 and 6).
  const keys = Float64Array.from([5 * people + 1, 5 * people + 1, 6 * people + 1, 6 * people + 2, 6 * people + 2]);
  const counts = new Uint16Array(people);
  counts[1] = 3; counts[2] = 2;
  const q = pairwiseQuality(keys, people, counts);
  t.same([q.truePairs, q.predictedPairs, q.truePositives], [4, 4, 2]);
  t.equal(q.precision, 0.5);
  t.equal(q.recall, 0.5);
  t.equal(q.f1, 0.5);
});

t.test('the whole flow at 2,000 people through a koppel serve child: every step, memory, /health and F1', async (t) => {
  const run = await runTurnaround({ people: 2000, dir: t.testdir(), cli: 'tsx' });
  t.same(Object.keys(run.seconds), [...STEPS], 'every step ran, in order');
  for (const s of STEPS) t.ok(run.seconds[s]! > 0, `${s} was timed`);
  t.equal(run.quality.records, run.rows.reduce((a, b) => a + b, 0), 'F1 over every record of the three deliveries');
  t.ok(run.quality.truePairs > 5000, `true pairs from the generator's truth (${run.quality.truePairs})`);
  t.ok(run.quality.f1 > 0.95 && run.quality.f1 <= 1, `F1 ${run.quality.f1}`);
  t.ok(run.hwm > 0 && run.peakRss > 0 && run.peakRss <= run.hwm, 'server memory sampled from /proc');
  t.ok(run.health.requests > 0, 'GET /health was probed');
  // Not "none failed": on a loaded machine a stall can make the server shed a probe (503).
  t.equal(Object.values(run.health.failures).reduce((a, b) => a + b, 0), run.health.failed, 'failed probes counted by reason');
  t.same(Object.keys(run.health.windows), [...STEPS], 'health figures for every step');
  t.ok(run.downloadedBytes > 0, 'files downloaded');
  const results = turnaroundResults(run);
  t.ok(results.every((r) => r.bench === 'turnaround' && Number.isFinite(r.value)), 'one finite figure per row');
  t.equal(results.filter((r) => r.peer !== null).length, 0, 'no peer away from the 2M reference');
});

t.test('a step the server refuses fails the run, naming the step and the error code', async (t) => {
  const saved = process.env.KOPPEL_MAX_UPLOAD_BYTES;
  process.env.KOPPEL_MAX_UPLOAD_BYTES = '10000';
  t.teardown(() => {
    if (saved === undefined) delete process.env.KOPPEL_MAX_UPLOAD_BYTES;
    else process.env.KOPPEL_MAX_UPLOAD_BYTES = saved;
  });
  await t.rejects(runTurnaround({ people: 2000, dir: t.testdir(), cli: 'tsx' }), /step upload failed: 413 KOPPEL_ERR_/);
});
