import t from 'tap';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { PRIMARY, PUBLISHED, SECONDARY } from '../../../../src/release/tables/primary-suppression.js';
import { cellLabels, dataPackage, dcatRecord, jsonStat, tableCsv } from '../../../../src/release/tables/table-outputs.js';
import { tableShape } from '../../../../src/release/tables/table-shape.js';

// Two regions by sex: cells (region, sex) with every total; region "=B, east" tests quoting.
const region = dimensionTree('region', ['A', '=B, east']);
const sex = dimensionTree('sex', ['F', 'M']);
const shape = tableShape([region, sex]);
const values = Float64Array.from([5, 7, 12, 20, 30, 50, 25, 37, 62]);
const status = Uint8Array.from([PRIMARY, SECONDARY, PUBLISHED, SECONDARY, PRIMARY, PUBLISHED, PUBLISHED, PUBLISHED, PUBLISHED]);
const meta = { name: 'by_region', title: 'By region', description: 'Persons', measure: 'persons', licence: 'CC-BY-4.0', publisher: 'TTP', temporal: { start: '2024-01-01', end: '2024-12-31' } };

t.test('the CSV has a row per cell, an empty value where suppressed, a flag, and neutralised formulas', async (t) => {
  const lines = Buffer.from(tableCsv(shape, values, status)).toString('utf8').trim().split('\n');
  t.equal(lines.length, 1 + shape.cells);
  t.same(lines.slice(0, 4), ['region,sex,value,flag', 'A,F,,primary', 'A,M,,secondary', 'A,Total,12,published']);
  t.equal(lines[4], `"'=B, east",F,,secondary`, 'a label starting with = is prefixed and quoted');
  t.same(cellLabels(shape, 8), ['Total', 'Total']);
});

t.test('JSON-stat 2.0: ids, sizes, categories, null values and statuses where suppressed', async (t) => {
  const doc = JSON.parse(Buffer.from(jsonStat(meta, shape, values, status, '2024-06-01T00:00:00Z')).toString('utf8'));
  t.match(doc, { version: '2.0', class: 'dataset', id: ['region', 'sex'], size: [3, 3] });
  t.same(doc.dimension.sex.category.label, { 0: 'F', 1: 'M', 2: 'Total' });
  t.same(doc.value, [null, null, 12, null, null, 50, 25, 37, 62]);
  t.same(doc.status, { 0: 'p', 1: 's', 3: 's', 4: 'p' });
});

t.test('the data package describes table.csv; the DCAT record names licence, period and distributions', async (t) => {
  const pkg = JSON.parse(Buffer.from(dataPackage(meta, shape, 2)).toString('utf8'));
  t.equal(pkg.name, 'by-region');
  t.equal(pkg.version, '2.0.0');
  t.same(pkg.resources[0].schema.primaryKey, ['region', 'sex']);
  t.same(pkg.resources[0].schema.fields.map((f: { name: string }) => f.name), ['region', 'sex', 'value', 'flag']);
  const dcat = dcatRecord(meta, 'https://ttp.example/open/tables/p/by_region', '2024-06-01T00:00:00Z') as Record<string, any>;
  t.equal(dcat['@type'], 'dcat:Dataset');
  t.equal(dcat['dct:license']['@id'], 'https://creativecommons.org/licenses/by/4.0/');
  t.equal(dcat['dct:temporal']['dcat:endDate']['@value'], '2024-12-31');
  t.equal(dcat['dcat:distribution'].length, 4, 'CSV, JSON-stat, SDMX-CSV and the data package');
  t.notOk('dct:spatial' in dcat, 'no spatial coverage when none is given');
});
