import t from 'tap';
import { linkRecords } from '../../../src/link/link-records.js';
import { linkSettings } from '../../../src/link/link-settings.js';
import { probabilisticSkipReason } from '../../../src/link/deterministic-only.js';
import { encodeRows, insz } from './link-fixtures.js';

t.test('the probabilistic pass is skipped exactly when no field but the national number is given', async (t) => {
  const nid = { field: 0, name: 'insz', type: 'national_id' as const, levels: ['null', 'exact', 'different'], exactLevel: 1, partner: -1 };
  const name = { ...nid, name: 'surname', type: 'surname' as const };
  t.match(probabilisticSkipReason([nid]), /no field besides the national number/);
  t.equal(probabilisticSkipReason([nid, name]), null);
  t.equal(probabilisticSkipReason([name]), null);
  t.match(probabilisticSkipReason([]), /no fields/);
});

t.test('a national-id-only run links equal numbers, forms persons, hands them over early and reports the skip', async (t) => {
  const a = [insz(1985, 7, 30, 33), insz(1990, 1, 2, 44), null, insz(2001, 3, 4, 55)];
  const b = [insz(1990, 1, 2, 44), 'garbage', insz(1985, 7, 30, 33), insz(1970, 5, 6, 66)];
  const sources = encodeRows([
    { name: 'a', rows: a.map((v) => ({ insz: v })) },
    { name: 'b', rows: b.map((v) => ({ insz: v })) },
  ], [{ name: 'insz', type: 'national_id' }]);
  let handed: { links: number; clusterCount: number } | null = null;
  const result = linkRecords(sources, linkSettings(), { onLinked: (x) => { handed = { links: x.links.length, clusterCount: x.clusterCount }; } });
  t.same(handed, { links: 2, clusterCount: 6 }, 'links and persons handed over before the report');
  t.same([...result.links.left], [0, 1]);
  t.same([...result.links.right], [4 + 2, 4 + 0]);
  t.same([...result.clusters], [0, 1, 2, 3, 1, 4, 0, 5]);
  t.same(result.report.probabilistic, { run: false, skipped_because: 'the job has no field besides the national number' });
  t.same(result.report.links, { deterministic: 2, probabilistic: 0, total: 2 });
  t.same(result.report.clusters, { count: 6, singletons: 4, multi_source: 2 });
  t.equal(result.report.model.fields.length, 0);
  t.same(result.report.sources[1].fields.insz, { nulls: 0, invalid: 1 });
});
