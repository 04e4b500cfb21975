import t from 'tap';
import { Utf8, Vector, vectorFromArray } from 'apache-arrow';
import { MATCH_BANDS, metadataKeys, metadataRules, type MetadataSource } from '../../../src/release/metadata-keys.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC, LINK_UNLINKED } from '../../../src/link/link-method.js';

const text = (key: { column: unknown }) => [...new Vector([key.column as never])] as (string | null)[];

t.test('defaults are safe: bands and period pattern as key variables, no link method', async (t) => {
  t.same(metadataRules(undefined), { match_probability: 'bands', link_method: 'omit', period_pattern: 'key' });
  t.same(metadataRules({ link_method: 'key' }), { match_probability: 'bands', link_method: 'key', period_pattern: 'key' });
  t.same(MATCH_BANDS, ['unlinked', '1', '0.99-1', '0.95-0.99', '<0.95']);
});

t.test('each person gets the band and method of its least certain record, and its sorted periods', async (t) => {
  // persons 0..4; rows: p0 det, p1 prob 0.995 + det, p2 prob 0.95, p3 prob 0.2 (and an unlinked row), p4 unlinked only.
  const a: MetadataSource = {
    personOfRow: Int32Array.from([0, 1, 1, 2, 3, 3, 4]),
    periods: [{ period: '2024Q2', rows: 4 }, { period: '2024Q1', rows: 3 }],
    linkMethod: Uint8Array.from([LINK_DETERMINISTIC, LINK_PROBABILISTIC, LINK_DETERMINISTIC, LINK_PROBABILISTIC, LINK_PROBABILISTIC, LINK_UNLINKED, LINK_UNLINKED]),
    matchProbability: Float64Array.from([0, 0.995, 0, 0.95, 0.2, 0, 0]),
  };
  const b: MetadataSource = {
    personOfRow: Int32Array.from([0, 2]),
    periods: vectorFromArray(['2023', '2024Q1'], new Utf8()),
    linkMethod: Uint8Array.from([LINK_DETERMINISTIC, LINK_PROBABILISTIC]),
    matchProbability: Float64Array.from([Number.NaN, 1]),
  };
  const keys = metadataKeys([a, b], 6, { match_probability: 'bands', link_method: 'key', period_pattern: 'key' });
  t.same(keys.map((k) => k.name), ['match_probability', 'link_method', 'period_pattern']);
  t.same(text(keys[0]), ['1', '0.99-1', '0.95-0.99', '<0.95', 'unlinked', null], 'person 5 has no rows: null');
  t.same(text(keys[1]), ['deterministic', 'probabilistic', 'probabilistic', 'probabilistic', 'unlinked', null]);
  t.same(text(keys[2]), ['2023|2024Q2', '2024Q2', '2024Q1|2024Q2', '2024Q1', '2024Q1', null]);
  t.same(metadataKeys([a, b], 6, { match_probability: 'omit', link_method: 'omit', period_pattern: 'omit' }), []);
});
