import t from 'tap';
import { parseJob } from '../../../src/pipeline/job-file.js';
import { isKoppelError } from '../../../src/errors.js';

const good = {
  sources: [
    { name: 'vdab', path: 'vdab.csv', id: 'record_id' },
    { name: 'rsz', path: 'sub/rsz.csv', id: 'record_id', unique: false, columns: { given_name: 'voornaam' }, delimiter: ';', encoding: 'latin1' },
  ],
  fields: [
    { name: 'insz', type: 'national_id' }, { name: 'given_name', type: 'given_name' },
    { name: 'date_of_birth', type: 'date', format: 'DD/MM/YYYY' },
  ],
};

function problems(job: unknown): string {
  try {
    parseJob(job, 'job.json', '/data');
  } catch (err) {
    if (isKoppelError(err) && err.code === 'KOPPEL_ERR_LINK_BAD_JOB') return err.message;
    throw err;
  }
  throw new Error('expected a bad job');
}

t.test('a valid job file becomes typed settings with defaults', async (t) => {
  const job = parseJob(good, 'job.json', '/data');
  t.equal(job.sources[0].path, '/data/vdab.csv');
  t.equal(job.sources[1].path, '/data/sub/rsz.csv');
  t.equal(job.sources[0].unique, true);
  t.equal(job.sources[1].unique, false);
  t.equal(job.sources[1].columns.given_name, 'voornaam');
  t.equal(job.sources[1].delimiter, ';');
  t.equal(job.sources[1].encoding, 'latin1');
  t.equal(job.oneToOne, true);
  t.equal(job.deduplicate, false);
  t.equal(job.threshold, null);
  t.equal(job.blocking, null);
  t.equal(job.fields[2].format, 'DD/MM/YYYY');
});

t.test('an unknown field type names the file and the field', async (t) => {
  const msg = problems({ ...good, fields: [{ name: 'geboorte', type: 'birthday' }] });
  t.match(msg, /job\.json/);
  t.match(msg, /field geboorte: unknown type "birthday"/);
});

t.test('an unknown date format names the field', async (t) => {
  t.match(problems({ ...good, fields: [{ name: 'dob', type: 'date', format: 'YY-MM-DD' }] }), /field dob: unknown date format "YY-MM-DD"/);
  t.match(problems({ ...good, fields: [{ name: 'dob', type: 'date' }] }), /field dob: unknown date format null/);
});

t.test('every problem is reported at once', async (t) => {
  const msg = problems({ sources: [{ name: 'a', path: 'a.csv' }], fields: [{ name: 'x', type: 'nope' }], threshold: 2, extra: 1, blocking: [['missing']] });
  t.match(msg, /unknown setting "extra"/);
  t.match(msg, /source a needs an "id" column/);
  t.match(msg, /field x: unknown type/);
  t.match(msg, /"threshold" must be/);
  t.match(msg, /blocking\[0\] names field missing/);
});

t.test('a columns entry for a field the job does not define is refused', async (t) => {
  t.match(problems({ ...good, sources: [{ name: 'a', path: 'a.csv', id: 'id', columns: { nickname: 'bijnaam' } }] }), /source a: "columns" maps field nickname/);
});

t.test('blocking rules may name a token part; unknown parts are refused', async (t) => {
  const job = parseJob({ ...good, blocking: [['given_name.phonetic'], 'date_of_birth'] }, 'job.json', '/');
  t.same(job.blocking, [['given_name.phonetic'], ['date_of_birth']]);
  t.match(problems({ ...good, blocking: [['given_name.soundex']] }), /has no part "soundex"/);
});
