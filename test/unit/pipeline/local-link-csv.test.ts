import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { isPlain, writeClustersFile, writeLinksFile, type IdColumn } from '../../../src/pipeline/local-link-csv.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC } from '../../../src/link/index.js';
import { utf8Rows } from '../../fixtures/utf8-rows.js';

const utf8 = new TextEncoder();

const ids = (values: readonly string[]): IdColumn => utf8Rows(values);

t.test('isPlain finds a byte to quote anywhere, at any alignment', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat({ max: 3 }), (s, shift) => {
    const raw = utf8.encode(s);
    const buf = new Uint8Array(raw.length + shift);
    buf.set(raw, shift);
    const v = buf.subarray(shift);
    const want = !v.some((c) => c === 0x2c || c === 0x22 || c === 0x0a || c === 0x0d);
    return isPlain({ values: v, offsets: Int32Array.of(0, v.length), length: 1 }) === want;
  }), { numRuns: 2000 });
});

t.test('writes links and clusters in the contract format: ids exactly as they are, quoted as CSV needs, never prefixed', async (t) => {
  const dir = t.testdir();
  // Source a: 3 records; source b: 3 records (global 3..5). Ids with spaces stay as they are;
  // ids a spreadsheet would take for a formula get no prefix: they are ids, not text cells.
  const a = ids(['a1', ' a 2 ', 'x,"y"']);
  const b = ids(['=b1', '-b2', '+b3']);
  const offsets = Int32Array.of(0, 3, 6);
  const links = {
    left: Int32Array.of(0, 2, 1), right: Int32Array.of(5, 3, 4), probability: Float64Array.of(1, 1, 0.9375),
    weight: Float64Array.of(Number.NaN, Number.NaN, 3.9), method: Uint8Array.of(LINK_DETERMINISTIC, LINK_DETERMINISTIC, LINK_PROBABILISTIC), length: 3,
  };
  const names = ['a', 'b,2'];
  t.same([isPlain(a), isPlain(b)], [false, true]);
  writeLinksFile(dir, { links, offsets }, names, [a, b], false);
  t.equal(readFileSync(join(dir, 'links.csv'), 'utf8'), [
    'left_source,left_id,right_source,right_id,match_probability,match_weight,method',
    'a,a1,"b,2",+b3,1,,deterministic',
    'a,"x,""y""","b,2",=b1,1,,deterministic',
    'a, a 2 ,"b,2",-b2,0.937500,3.900,probabilistic',
    '',
  ].join('\n'));
  // Clusters: {a0, b2}, {a1, b1}, {a2, b0}: numbered by first record; records in global order.
  const clusters = Int32Array.of(0, 1, 2, 2, 1, 0);
  writeClustersFile(dir, { clusters, clusterCount: 3, offsets }, names, [a, b]);
  t.equal(readFileSync(join(dir, 'clusters.csv'), 'utf8'), [
    'cluster_id,source,id', '1,a,a1', '1,"b,2",+b3', '2,a, a 2 ', '2,"b,2",-b2', '3,a,"x,""y"""', '3,"b,2",=b1', '',
  ].join('\n'));
});

t.test('an empty id is an empty field', async (t) => {
  const dir = t.testdir();
  writeClustersFile(dir, { clusters: Int32Array.of(0, 1), clusterCount: 2, offsets: Int32Array.of(0, 2) }, ['s'], [ids(['', 'x,y'])]);
  t.equal(readFileSync(join(dir, 'clusters.csv'), 'utf8'), 'cluster_id,source,id\n1,s,\n2,s,"x,y"\n');
});

t.test('cluster numbers carry over digits (9 -> 10 -> ... -> 100) and every record is listed once', async (t) => {
  const dir = t.testdir();
  const n = 150;
  const a = ids(Array.from({ length: n }, (_, i) => `r${i}`));
  const clusters = Int32Array.from({ length: n }, (_, i) => i);
  writeClustersFile(dir, { clusters, clusterCount: n, offsets: Int32Array.of(0, n) }, ['s'], [a]);
  const lines = readFileSync(join(dir, 'clusters.csv'), 'utf8').trim().split('\n').slice(1);
  t.same(lines, Array.from({ length: n }, (_, i) => `${i + 1},s,r${i}`));
});
