import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openRuntime } from '../../../src/pipeline/runtime.js';
import { initKey } from '../../../src/store/index.js';

const posix = process.platform !== 'win32';

t.test('the server runtime checks both directories at start', { skip: !posix }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-runtime-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const keysDir = path.join(dir, 'keys');
  const dataDir = path.join(dir, 'data');
  initKey(keysDir);
  fs.mkdirSync(dataDir);
  fs.chmodSync(dataDir, 0o755);
  t.throws(() => openRuntime({ dataDir, keysDir, logLevel: 'silent' }, { env: {} }), { code: 'KOPPEL_ERR_CFG_INVALID', message: /data directory .* chmod 700/ });
  t.same(fs.readdirSync(dataDir), [], 'nothing was written to it');
  fs.chmodSync(dataDir, 0o700);
  fs.chmodSync(keysDir, 0o770);
  t.throws(() => openRuntime({ dataDir, keysDir, logLevel: 'silent' }, { env: {} }), { code: 'KOPPEL_ERR_CFG_INVALID', message: /keys directory .* chmod 700/ });
  fs.chmodSync(keysDir, 0o700);
  const runtime = openRuntime({ dataDir, keysDir, logLevel: 'silent' }, { env: {} });
  runtime.close();
});
