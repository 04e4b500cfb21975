import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { assertPrivateDir } from '../../../src/store/private-dirs.js';
import { tempDir } from './store-fixture.js';

const posix = process.platform !== 'win32';

t.test('a data or keys directory open to group or others is refused with the chmod to run', { skip: !posix }, async (t) => {
  const dir = tempDir(t);
  for (const mode of [0o750, 0o705, 0o777, 0o710]) {
    const target = path.join(dir, `d${mode.toString(8)}`);
    fs.mkdirSync(target);
    fs.chmodSync(target, mode);
    t.throws(() => assertPrivateDir(target, 'data'), { code: 'KOPPEL_ERR_CFG_INVALID', message: `run: chmod 700 ${target}` }, mode.toString(8));
  }
  const ok = path.join(dir, 'private');
  fs.mkdirSync(ok, { mode: 0o700 });
  fs.chmodSync(ok, 0o700);
  t.doesNotThrow(() => assertPrivateDir(ok, 'keys'), '0700 passes');
  t.doesNotThrow(() => assertPrivateDir(path.join(dir, 'absent'), 'data'), 'a missing directory is created private later');
});
