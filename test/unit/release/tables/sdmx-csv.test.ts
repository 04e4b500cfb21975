import t from 'tap';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { PRIMARY, PUBLISHED, SECONDARY } from '../../../../src/release/tables/primary-suppression.js';
import { sdmxCsv } from '../../../../src/release/tables/sdmx-csv.js';
import { tableShape } from '../../../../src/release/tables/table-shape.js';

// Two regions by quarter: region "=B, east" tests quoting; the period dimension becomes TIME_PERIOD.
const region = dimensionTree('region', ['A', '=B, east']);
const period = dimensionTree('period', ['2024Q1', '2024Q2']);
const shape = tableShape([region, period]);
const values = Float64Array.from([5, 7, 12, 20, 30, 50, 25, 37, 62.1234567]);
const status = Uint8Array.from([PRIMARY, SECONDARY, PUBLISHED, SECONDARY, PRIMARY, PUBLISHED, PUBLISHED, PUBLISHED, PUBLISHED]);

t.test('SDMX-CSV 2.0: a row per cell, empty OBS_VALUE with OBS_STATUS O and CONF_STATUS C or D where suppressed, totals as _T', async (t) => {
  const lines = Buffer.from(sdmxCsv('by_region', shape, values, status, 'period')).toString('utf8').trim().split('\n');
  t.equal(lines.length, 1 + shape.cells);
  t.same(lines.slice(0, 4), [
    'STRUCTURE,STRUCTURE_ID,ACTION,REGION,TIME_PERIOD,OBS_VALUE,OBS_STATUS,CONF_STATUS',
    'dataflow,KOPPEL:BY_REGION(1.0.0),I,A,2024-Q1,,O,C',
    'dataflow,KOPPEL:BY_REGION(1.0.0),I,A,2024-Q2,,O,D',
    'dataflow,KOPPEL:BY_REGION(1.0.0),I,A,_T,12,A,F',
  ]);
  t.equal(lines[4], `dataflow,KOPPEL:BY_REGION(1.0.0),I,"'=B, east",2024-Q1,,O,D`, 'a label starting with = is prefixed and quoted');
  t.equal(lines[9], 'dataflow,KOPPEL:BY_REGION(1.0.0),I,_T,_T,62.123457,A,F', 'the grand total, rounded to 6 decimals');
});

t.test('SDMX-CSV without a period dimension keeps quarter-like labels as they are', async (t) => {
  const lines = Buffer.from(sdmxCsv('by_region', shape, values, status, null)).toString('utf8').trim().split('\n');
  t.equal(lines[0], 'STRUCTURE,STRUCTURE_ID,ACTION,REGION,PERIOD,OBS_VALUE,OBS_STATUS,CONF_STATUS');
  t.equal(lines[3], 'dataflow,KOPPEL:BY_REGION(1.0.0),I,A,_T,12,A,F');
  t.equal(lines[1], 'dataflow,KOPPEL:BY_REGION(1.0.0),I,A,2024Q1,,O,C');
});
