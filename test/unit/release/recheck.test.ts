import t from 'tap';
import { tableFromArrays } from 'apache-arrow';
import { recheckTables } from '../../../src/release/recheck.js';

const pseudonyms = Array.from({ length: 30 }, (_, i) => i.toString(16).padStart(32, '0'));
const town = pseudonyms.map((_, i) => `T${i % 3}`);

t.test('a persons file whose combinations all hold k persons, with plain dataset columns, passes', async (t) => {
  const persons = tableFromArrays({ pseudonym: pseudonyms, town });
  const wages = tableFromArrays({ pseudonym: pseudonyms, period: pseudonyms.map(() => '2024'), wage: Float64Array.from(pseudonyms, (_, i) => 1000 + i) });
  t.same(recheckTables(persons, [{ name: 'rsz', table: wages }], 5), []);
});

t.test('a combination under k, per-row linkage metadata and a copy of a key variable are each found', async (t) => {
  const persons = tableFromArrays({ pseudonym: pseudonyms, town: town.map((x, i) => (i === 0 ? 'RARE' : x)) });
  const rows = tableFromArrays({ pseudonym: pseudonyms, link_method: pseudonyms.map(() => 'deterministic'), gemeente: town.map((x) => x.toLowerCase()) });
  const findings = recheckTables(persons, [{ name: 'vdab', table: rows }], 5);
  t.same(findings.map((f) => f.rule).sort(), ['k_anonymity', 'key_variable_copy', 'linkage_metadata']);
  t.match(findings.find((f) => f.rule === 'key_variable_copy')?.message, /vdab\.gemeente (determines|is a recoding of) key variable town/);
  t.match(findings.find((f) => f.rule === 'k_anonymity')?.message, /1 combinations of town hold fewer than k = 5 persons \(1 of 30 persons\)/);
});

t.test('fewer persons than k, all null, is the all-suppressed release and passes', async (t) => {
  const persons = tableFromArrays({ pseudonym: pseudonyms.slice(0, 3), town: [null, null, null] as (string | null)[] });
  t.same(recheckTables(persons, [], 5), []);
});
