/**
 * The short version of `npm run test:load` (test/reliability/load.ts): 50 uploads over 16
 * connections, with cut-off and twice-sent uploads among them, lose and duplicate nothing.
 */
import t from 'tap';
import { describeLoad, loadPassed, runUploadLoad } from '../reliability/upload-load.js';

t.test('concurrent uploads, some cut off and sent again, some sent twice at once: none lost, none duplicated', { timeout: 240_000 }, async (t) => {
  const figures = await runUploadLoad({ uploads: 50, connections: 16, abortShare: 0.2, twiceShare: 0.1, timeoutMs: 180_000, seed: 11 });
  t.comment(describeLoad(figures));
  t.ok(figures.aborted > 0 && figures.sentTwice > 0, `the run cut off ${figures.aborted} uploads and sent ${figures.sentTwice} twice`);
  t.equal(figures.lost, 0, 'no acknowledged upload is lost');
  t.equal(figures.duplicated, 0, 'no upload is stored twice');
  t.equal(figures.unreadable, 0, 'every acknowledged delivery reads back with its rows');
  t.same(figures.unexpected, [], 'no answer other than 200/201 (after load shedding)');
  t.ok(figures.auditVerified, 'koppel audit verify passes afterwards');
  t.ok(loadPassed(figures));
});
