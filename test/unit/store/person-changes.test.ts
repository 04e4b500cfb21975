import t from 'tap';
import fc from 'fast-check';
import { storeFixture } from './store-fixture.js';

const merge = { kind: 'merge', personsBefore: [3, 7], personsAfter: [3], evidence: 'probabilistic link weight 11.2 (fields: name, birth_date)', run: 'job_a', by: 'system:koppel' } as const;
const split = { kind: 'split', personsBefore: [3], personsAfter: [3, 12], evidence: 'review decision 17: no match', run: 'rev_17', by: 'operator:omar' } as const;

t.test('a recorded change comes back with its id, time and every field, and survives a reopen', async (t) => {
  const fx = storeFixture(t);
  const recorded = fx.store.personChanges.record(merge);
  t.match(recorded, { ...merge, id: Number });
  t.match(recorded.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  fx.store.close();
  t.same(fx.reopen().personChanges.list(), [recorded]);
});

t.test('list pages by id and filters by person (before or after) and by run', async (t) => {
  const fx = storeFixture(t);
  const log = fx.store.personChanges;
  const a = log.record(merge);
  const b = log.record(split);
  const c = log.record({ ...merge, personsBefore: [20, 21], personsAfter: [20], run: 'job_b' });
  t.same(log.list().map((x) => x.id), [a.id, b.id, c.id], 'in id order');
  t.same(log.list({ limit: 2 }).map((x) => x.id), [a.id, b.id]);
  t.same(log.list({ afterId: b.id }).map((x) => x.id), [c.id], 'afterId is exclusive');
  t.same(log.list({ person: 3 }).map((x) => x.id), [a.id, b.id], 'a person before or after');
  t.same(log.list({ person: 7 }).map((x) => x.id), [a.id], 'a merged-away id');
  t.same(log.list({ person: 12 }).map((x) => x.id), [b.id], 'an id split off');
  t.same(log.list({ person: 99 }), []);
  t.same(log.list({ run: 'job_b' }).map((x) => x.id), [c.id]);
  t.same(log.list({ run: 'job_a', person: 20 }), [], 'filters combine');
});

t.test('countSince counts merges and splits recorded strictly after a time', async (t) => {
  const fx = storeFixture(t);
  const log = fx.store.personChanges;
  t.same(log.countSince('1970-01-01T00:00:00.000Z'), { merges: 0, splits: 0 });
  const first = log.record(merge);
  log.record(split);
  log.record(merge);
  t.same(log.countSince('1970-01-01T00:00:00.000Z'), { merges: 2, splits: 1 });
  t.same(log.countSince('9999-01-01T00:00:00.000Z'), { merges: 0, splits: 0 });
  const later = log.list().filter((x) => x.at > first.at);
  t.same(log.countSince(first.at), {
    merges: later.filter((x) => x.kind === 'merge').length,
    splits: later.filter((x) => x.kind === 'split').length,
  }, 'the change at exactly that time is not counted');
});

t.test('a change is recorded with its caller\'s transaction: rolled back with it', async (t) => {
  const fx = storeFixture(t);
  const db = (fx.store as unknown as { db: { transaction(fn: () => void): () => void } }).db;
  t.throws(() => db.transaction(() => {
    fx.store.personChanges.record(merge);
    throw new Error('the caller failed');
  })(), /the caller failed/);
  t.same(fx.store.personChanges.list(), []);
  t.same(fx.store.personChanges.list({ person: 3 }), []);
});

t.test('a change without ids, or with ids that are not persistent ids, is refused and nothing is recorded', async (t) => {
  const fx = storeFixture(t);
  const log = fx.store.personChanges;
  t.throws(() => log.record({ ...merge, personsBefore: [] }), RangeError);
  t.throws(() => log.record({ ...merge, personsAfter: [] }), RangeError);
  t.throws(() => log.record({ ...merge, personsBefore: [1.5, 2] }), RangeError);
  t.throws(() => log.record({ ...merge, personsBefore: [0, 2] }), RangeError);
  t.throws(() => log.record({ ...merge, personsAfter: [Number.NaN] }), RangeError);
  t.throws(() => log.record({ ...merge, kind: 'join' as 'merge' }), /CHECK constraint/);
  t.same(log.list(), []);
});

t.test('the change log is append-only', async (t) => {
  const fx = storeFixture(t);
  fx.store.personChanges.record(merge);
  const db = (fx.store as unknown as { db: { exec(sql: string): void } }).db;
  t.throws(() => db.exec("UPDATE person_changes SET evidence = 'x'"), /append-only/);
  t.throws(() => db.exec('DELETE FROM person_changes'), /append-only/);
  t.equal(fx.store.personChanges.list().length, 1);
});

t.test('property: every recorded change is listed once for each of its persons, and paging visits each once', async (t) => {
  const fx = storeFixture(t);
  const log = fx.store.personChanges;
  const ids = fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 });
  const change = fc.record({ kind: fc.constantFrom('merge' as const, 'split' as const), personsBefore: ids, personsAfter: ids });
  let seen = 0;
  fc.assert(fc.property(fc.array(change, { maxLength: 6 }), fc.integer({ min: 1, max: 5 }), (changes, limit) => {
    const made = changes.map((c) => log.record({ ...c, evidence: 'test', run: `run_${seen}`, by: 'system:koppel' }));
    if (made.length === 0) return true;
    const paged = [];
    for (let after = made[0].id - 1; ;) {
      const page = log.list({ afterId: after, limit });
      if (page.length === 0) break;
      paged.push(...page);
      after = page[page.length - 1].id;
    }
    if (JSON.stringify(paged) !== JSON.stringify(made)) return false;
    for (const m of made) {
      for (const p of new Set([...m.personsBefore, ...m.personsAfter])) {
        if (log.list({ person: p, run: m.run }).filter((x) => x.id === m.id).length !== 1) return false;
      }
    }
    seen++;
    return true;
  }), { numRuns: 40 });
});
