import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { normaliseInsz } from '../../../../src/ingest/insz.js';
import { writeNationalIdCsvs, NATIONAL_ID_HEADER } from '../../../../benchmarks/data/national-id-csv.js';

function read(file: string): [string, string][] {
  const lines = readFileSync(file, 'utf8').split('\n');
  t.equal(lines[0], NATIONAL_ID_HEADER);
  t.equal(lines[lines.length - 1], '', 'ends with a newline');
  return lines.slice(1, -1).map((l) => l.split(',') as [string, string]);
}

t.test('two files whose true links are the shared people with valid numbers, spelled alike in both', async (t) => {
  const dir = t.testdir();
  const truth = writeNationalIdCsvs({ rows: 20_000, aPath: join(dir, 'a.csv'), bPath: join(dir, 'b.csv'), seed: 3 });
  const a = read(join(dir, 'a.csv'));
  const b = read(join(dir, 'b.csv'));
  t.equal(a.length, 20_000);
  t.equal(b.length, 20_000);
  t.same([a[0][0], a[19_999][0], b[0][0]], ['A1', 'A20000', 'B1'], 'ids give back the rows');
  const number = (v: string) => normaliseInsz(v).digits;
  // Valid numbers are distinct within a file, and equal across files exactly for the truth.
  const bRowOf = new Map<string, number>();
  let wrong = 0;
  b.forEach(([, v], r) => { const d = number(v); if (d !== null) { if (bRowOf.has(d)) wrong++; bRowOf.set(d, r); } });
  let links = 0; let sameText = 0;
  const seen = new Set<string>();
  a.forEach(([, v], r) => {
    const d = number(v);
    if (d !== null) { if (seen.has(d)) wrong++; seen.add(d); }
    const right = d === null ? -1 : bRowOf.get(d) ?? -1;
    if (right !== truth.rightOfLeft[r]) wrong++;
    if (right >= 0) { links++; if (b[right][1] === v) sameText++; }
  });
  t.equal(wrong, 0, 'the ground truth is what the numbers say');
  t.equal(links, truth.links);
  t.equal(sameText, links, 'a person is spelled the same in both files (DuckDB joins raw text)');
  t.ok(links > 0.75 * 20_000 && links < 0.8 * 20_000, `${links} links: ~80% shared, less the faulty`);
  // Faulty rows never read the same in both files.
  const bTexts = new Set(b.filter(([, v]) => number(v) === null && v !== '').map(([, v]) => v));
  t.equal(a.filter(([, v]) => number(v) === null && bTexts.has(v)).length, 0);
  const faulty = a.filter(([, v]) => number(v) === null).length;
  t.equal(faulty, truth.invalid.a);
  t.ok(faulty > 250 && faulty < 550, `${faulty} faulty rows (~2%)`);
  const kinds = { dotted: a.filter(([, v]) => v.includes('.')).length, spaced: a.filter(([, v]) => v.includes(' ')).length, ten: a.filter(([, v]) => /^\d{10}$/.test(v)).length };
  t.ok(kinds.dotted > 3000 && kinds.spaced > 1500 && kinds.ten > 100, `mixed spellings ${JSON.stringify(kinds)}`);
});

t.test('the same seed writes the same files', async (t) => {
  const dir = t.testdir();
  writeNationalIdCsvs({ rows: 500, aPath: join(dir, 'a1.csv'), bPath: join(dir, 'b1.csv'), seed: 9 });
  writeNationalIdCsvs({ rows: 500, aPath: join(dir, 'a2.csv'), bPath: join(dir, 'b2.csv'), seed: 9 });
  t.equal(readFileSync(join(dir, 'a1.csv'), 'utf8'), readFileSync(join(dir, 'a2.csv'), 'utf8'));
  t.equal(readFileSync(join(dir, 'b1.csv'), 'utf8'), readFileSync(join(dir, 'b2.csv'), 'utf8'));
});
