/**
 * Found by the ingest fuzz run (seed 7): an Arrow schema whose large-list column lost its child
 * type made apache-arrow's `toString` throw while Koppel named the type in its refusal, so the
 * upload got a 500 instead of KOPPEL_ERR_INGEST_COLUMN_TYPE.
 */
import t from 'tap';
import { LargeList } from 'apache-arrow';
import { unreadableType } from '../../src/ingest/arrow-text.js';

t.test('a list type without its child type is named by its type id, not by a thrown error', async (t) => {
  const damaged = new LargeList(undefined as never);
  t.throws(() => String(damaged), 'apache-arrow cannot print it');
  t.match(unreadableType(damaged), /^type LargeList$/);
});
