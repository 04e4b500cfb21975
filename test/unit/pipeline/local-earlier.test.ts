import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { earlierFromFiles } from '../../../src/pipeline/local-earlier.js';
import { dimensionTree } from '../../../src/release/tables/dimension-tree.js';
import { DEFAULT_TABLE_POLICY, PRIMARY, SECONDARY } from '../../../src/release/tables/primary-suppression.js';
import type { TableSpec } from '../../../src/release/tables/suppress-table.js';
import { buildCells, type TableInput } from '../../../src/release/tables/table-cells.js';
import { jsonStat, tableCsv } from '../../../src/release/tables/table-outputs.js';
import { tableShape } from '../../../src/release/tables/table-shape.js';

// Municipalities within districts (11, 44) by sex; persons per leaf cell below.
const region = dimensionTree('region', ['11002', '11004', '44021'], [{ codeOf: Int32Array.from([0, 0, 1]), labels: ['11', '44'] }]);
const sex = dimensionTree('sex', ['F', 'M']);
const spec: TableSpec = { dimensions: [region, sex], measure: 'persons', policy: DEFAULT_TABLE_POLICY };
const counts: [number, number, number][] = [[0, 0, 5], [0, 1, 12], [1, 0, 20], [1, 1, 3], [2, 0, 15], [2, 1, 11]];

function input(extra = 0): TableInput {
  const rows = counts.flatMap(([r, s, n]) => Array.from({ length: n }, () => [r, s]));
  for (let i = 0; i < extra; i++) rows.push([0, 0]);
  return {
    leaves: [Int32Array.from(rows, (r) => r[0]), Int32Array.from(rows, (r) => r[1])],
    contributor: Int32Array.from(rows, (_, i) => i), contributors: rows.length, value: null,
  };
}

const shape = tableShape(spec.dimensions);
const values = Float64Array.from(buildCells(shape, input(), 1).contributors);
// (11002, F) and (11004, M) primary; (11002, M), (11004, F) and the district-11 cells secondary.
const status = new Uint8Array(shape.cells);
const cell = (r: number, s: number) => r * shape.strides[0] + s;
status[cell(0, 0)] = PRIMARY;
status[cell(1, 1)] = PRIMARY;
for (const c of [cell(0, 1), cell(1, 0)]) status[c] = SECONDARY;

t.test('an earlier table read back from its JSON-stat or CSV file is the table that was published: hierarchy, every value, every flag', async (t) => {
  const dir = t.testdir();
  const json = join(dir, 'table.json');
  const csv = join(dir, 'table.csv');
  writeFileSync(json, jsonStat({ name: 'x', title: 'X', description: 'X', measure: 'persons' }, shape, values, status, '2024-01-01T00:00:00Z'));
  writeFileSync(csv, tableCsv(shape, values, status));
  for (const [file, earlier] of [[json, earlierFromFiles([json], spec, input())[0]], [csv, earlierFromFiles([csv], spec, input())[0]]] as const) {
    t.same(earlier.dimensions.map((d) => d.labels), [region.labels, sex.labels], `${file}: the labels`);
    t.same(Array.from(earlier.dimensions[0].parent), Array.from(region.parent), 'municipalities within districts');
    t.same(Array.from(earlier.values), Array.from(values), 'the suppressed values recovered from the records at the same coordinates');
    t.same(Array.from(earlier.status), Array.from(status));
    t.equal(earlier.measure, 'persons');
  }
  // JSON-stat carries its own hierarchy: a spec without that dimension still reads it.
  const bySexOnly: TableSpec = { ...spec, dimensions: [sex] };
  const flatInput: TableInput = { ...input(), leaves: [input().leaves[1]] };
  t.throws(() => earlierFromFiles([json], bySexOnly, flatInput), { code: 'KOPPEL_ERR_SCHEMA_TABLE_INVALID', message: /a suppressed cell \(11002, F\) is not in the new table/ });
});

t.test('an earlier table whose totals the records do not reproduce, a mean table or a file that is not a table is refused', async (t) => {
  const dir = t.testdir();
  const json = join(dir, 'table.json');
  writeFileSync(json, jsonStat({ name: 'x', title: 'X', description: 'X', measure: 'persons' }, shape, values, status, '2024-01-01T00:00:00Z'));
  t.throws(() => earlierFromFiles([json], spec, input(2)), { code: 'KOPPEL_ERR_SCHEMA_TABLE_INVALID', message: /published totals do not match the records/ }, 'two more persons in a suppressed cell: the district and sex totals no longer add up');
  t.throws(() => earlierFromFiles([json], { ...spec, measure: 'mean' }, input()), { message: /a mean table/ });
  const other = join(dir, 'other.csv');
  writeFileSync(other, 'a,b,c\n1,2,3\n');
  t.throws(() => earlierFromFiles([other], spec, input()), { message: /earlier table other\.csv: not a table\.csv of Koppel/ });
  t.same(earlierFromFiles([], spec, input()), [], 'no earlier tables: nothing read');
});
