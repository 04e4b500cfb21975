import t from 'tap';
import {
  RUNTIME_BYTES, WORKING_BYTES_PER_RECORD, checkMemoryBudget, encodingBytes, estimateLinkMemory,
} from '../../../src/link/memory-estimate.js';

t.test('a field\'s encoding bytes per record follow its token slots, Bloom filter and pseudonym', async (t) => {
  t.equal(encodingBytes('national_id'), 1 + 8 + 32, 'presence, one token, the 32-byte pseudonym');
  t.equal(encodingBytes('given_name'), 1 + 5 * 8 + 8 * 4 + 2, 'five tokens, an 8-word filter and its popcount');
  t.equal(encodingBytes('date'), 1 + 5 * 8);
  t.equal(encodingBytes('sex'), 1 + 8);
});

t.test('the estimate grows with the records of every source, from the runtime up', async (t) => {
  const fields = [{ type: 'national_id' as const }, { type: 'surname' as const }, { type: 'date' as const }];
  const perRecord = WORKING_BYTES_PER_RECORD + (41 + 4) + (75 + 20) + (41 + 20);
  const e = estimateLinkMemory([1000, 3000], fields);
  t.same(e, { records: 4000, bytesPerRecord: perRecord, peakBytes: RUNTIME_BYTES + 4000 * perRecord });
  t.equal(estimateLinkMemory([], fields).peakBytes, RUNTIME_BYTES);
});

t.test('a run within the budget passes; one over it is refused with the estimate and the budget', async (t) => {
  const e = estimateLinkMemory([11_800_000, 11_800_000, 11_800_000], [{ type: 'national_id' }, { type: 'given_name' }, { type: 'surname' }, { type: 'date' }]);
  t.doesNotThrow(() => checkMemoryBudget(e, e.peakBytes));
  const budget = e.peakBytes - 1;
  t.throws(() => checkMemoryBudget(e, budget), {
    code: 'KOPPEL_ERR_LINK_OVER_MEMORY_BUDGET',
    details: { records: 35_400_000, estimated_bytes: e.peakBytes, budget_bytes: budget },
  });
  t.throws(() => checkMemoryBudget(e, budget), { message: /35400000 records needs an estimated [\d.]+ GiB .* over the memory budget of [\d.]+ GiB/ });
});
