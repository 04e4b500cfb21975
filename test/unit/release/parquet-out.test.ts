import t from 'tap';
import { tableFromArrays, tableFromIPC } from 'apache-arrow';
import { writeParquetTables } from '../../../src/release/parquet-out.js';

const parquet = await import('parquet-wasm/node');

t.test('every table comes back as Parquet of the same rows, handed on in table order', async (t) => {
  // Sizes differ so that, written two at a time, a later table can finish first.
  const tables = [40_000, 10, 5_000, 1].map((n, i) => ({
    name: `t${i}`,
    table: tableFromArrays({ id: Int32Array.from({ length: n }, (_, r) => r * (i + 1)), label: Array.from({ length: n }, (_, r) => `v${r % 97}`) }),
  }));
  const seen: string[] = [];
  await writeParquetTables(tables, (fileName, bytes) => {
    seen.push(fileName);
    const i = Number(fileName.slice(1, fileName.indexOf('.')));
    const back = tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
    t.equal(back.numRows, tables[i].table.numRows, `${fileName}: every row`);
    t.same(back.getChild('id')?.toArray(), tables[i].table.getChild('id')?.toArray(), `${fileName}: the same values`);
  });
  t.same(seen, ['t0.parquet', 't1.parquet', 't2.parquet', 't3.parquet']);
});

t.test('a single table is written too', async (t) => {
  const seen: string[] = [];
  await writeParquetTables([{ name: 'persons', table: tableFromArrays({ id: Int32Array.of(1, 2) }) }], (fileName) => { seen.push(fileName); });
  t.same(seen, ['persons.parquet']);
});
