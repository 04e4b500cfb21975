import t from 'tap';
import { buildSpine } from '../../fixtures/person-spine.js';
import { LINK_DETERMINISTIC, LINK_UNLINKED } from '../../../src/release/link-method.js';
import { deterministicLinkMethods } from '../../fixtures/person-spine.js';
import { columnOf, pseudonymPool } from '../link/spine-fixtures.js';

t.test('marks a record deterministic when another record shares its pseudonym, in any source', async (t) => {
  const pool = pseudonymPool(new Uint8Array([9, 8, 7, 6]), 6);
  const spine = buildSpine([
    columnOf(pool, { rows: [0, 2, 4, 4, null], lead: 0 }),
    columnOf(pool, { rows: [0, null, 5], lead: 2 }),
  ]);
  const D = LINK_DETERMINISTIC;
  const U = LINK_UNLINKED;
  t.same(Array.from(deterministicLinkMethods(spine, 0)), [D, U, D, D, U], 'pool 4 twice in one source links; pool 2 alone does not');
  t.same(Array.from(deterministicLinkMethods(spine, 1)), [D, U, U], 'a record without pseudonym is unlinked');
});
