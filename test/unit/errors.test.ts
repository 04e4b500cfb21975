import t from 'tap';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOGUE, KoppelError, deserializeError, isKoppelError, serializeError, type ErrorCode } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

t.test('every code follows KOPPEL_ERR_<AREA>_<WHAT> with a known area', async (t) => {
  const areas = new Set(['CFG', 'KEY', 'AUTH', 'INGEST', 'SCHEMA', 'LINK', 'RELEASE', 'STORE', 'API']);
  for (const code of Object.keys(ERROR_CATALOGUE)) {
    const match = /^KOPPEL_ERR_([A-Z]+)_[A-Z0-9_]+$/.exec(code);
    t.ok(match !== null && areas.has(match[1]), `${code} has a known area`);
  }
});

t.test('every code has an HTTP status, a meaning and a fix', async (t) => {
  for (const [code, def] of Object.entries(ERROR_CATALOGUE)) {
    t.ok(def.status >= 400 && def.status < 600, `${code} status is an error status`);
    t.ok(def.meaning.length > 10 && def.fix.length > 5, `${code} explains itself`);
  }
});

t.test('the README error table lists every code with its status, and no code that does not exist', async (t) => {
  const rows = [...readme.matchAll(/^\| `(KOPPEL_ERR_[A-Z0-9_]+)` \| (\d{3}) \|/gm)];
  const documented = new Map(rows.map((m) => [m[1], Number(m[2])]));
  for (const [code, def] of Object.entries(ERROR_CATALOGUE)) {
    t.equal(documented.get(code), def.status, `${code} is documented with status ${def.status}`);
  }
  for (const code of documented.keys()) t.ok(code in ERROR_CATALOGUE, `${code} in the README exists`);
});

t.test('a KoppelError carries its code, status and details', async (t) => {
  const err = new KoppelError('KOPPEL_ERR_AUTH_FOUR_EYES', 'no', { release: 'rel_x' });
  t.equal(err.code, 'KOPPEL_ERR_AUTH_FOUR_EYES' satisfies ErrorCode);
  t.equal(err.statusCode, 403);
  t.same(err.details, { release: 'rel_x' });
  t.ok(err instanceof Error);
});

t.test('an error that crosses a thread boundary keeps its code and details when it has a known code; others stay plain', async (t) => {
  const coded = deserializeError(serializeError(new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', 'Blocking rule names field x.', { field: 'x' })));
  t.ok(isKoppelError(coded));
  t.match(coded, { code: 'KOPPEL_ERR_LINK_BAD_JOB', statusCode: 400, message: 'Blocking rule names field x.', details: { field: 'x' } });
  const plain = deserializeError(serializeError(new RangeError('bad length')));
  t.notOk(isKoppelError(plain), 'an unknown error is not dressed up as a coded one');
  t.match(plain, { name: 'RangeError', message: 'bad length' });
  const system = deserializeError({ ...serializeError(new Error('x')), code: 'ENOENT' });
  t.notOk(isKoppelError(system), 'a system error code is not a Koppel code');
  t.equal((system as NodeJS.ErrnoException).code, 'ENOENT', 'but it is kept, as a file-system error has it');
  t.match(deserializeError(serializeError('not an error')), { name: 'Error', message: 'a non-Error value was thrown' });
});
