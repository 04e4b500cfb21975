import t from 'tap';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
import path from 'node:path';
import { DEFAULT_CONFIG, loadConfig } from '../../src/config.js';

t.test('defaults apply, paths are resolved, and the result is frozen', async (t) => {
  const c = loadConfig({}, {});
  t.equal(c.port, DEFAULT_CONFIG.port);
  t.equal(c.dataDir, path.resolve('./koppel-data'));
  t.ok(Object.isFrozen(c));
});

t.test('environment overrides defaults and flags override the environment', async (t) => {
  const env = { KOPPEL_DATA_DIR: '/tmp/a', KOPPEL_PORT: '9000' };
  t.equal(loadConfig({}, env).dataDir, '/tmp/a');
  t.equal(loadConfig({}, env).port, 9000);
  t.equal(loadConfig({ dataDir: '/tmp/b', port: '9100' }, env).dataDir, '/tmp/b');
  t.equal(loadConfig({ port: '9100' }, env).port, 9100);
});

t.test('every invalid setting is listed in one coded error', async (t) => {
  {
    const err = caught(() => loadConfig({ port: 'eighty', batchRows: 0, logLevel: 'loud' as never }, {})) as { code: string; details: { problems: string[] } };
    t.equal(err.code, 'KOPPEL_ERR_CFG_INVALID');
    t.equal(err.details.problems.length, 3);
  }
});

t.test('an unknown setting is refused', async (t) => {
  t.throws(() => loadConfig({ dataDirr: '/x' } as never, {}), { code: 'KOPPEL_ERR_CFG_INVALID' });
});

t.test('jobWorkers defaults to one worker thread, comes from KOPPEL_JOB_WORKERS, and 0 means inline', async (t) => {
  t.equal(loadConfig({}, {}).jobWorkers, 1);
  t.equal(loadConfig({}, { KOPPEL_JOB_WORKERS: '0' }).jobWorkers, 0);
  t.equal(loadConfig({ jobWorkers: '3' }, { KOPPEL_JOB_WORKERS: '0' }).jobWorkers, 3);
  for (const bad of [-1, 1.5, 65, 'many']) {
    t.throws(() => loadConfig({ jobWorkers: bad as never }, {}), { code: 'KOPPEL_ERR_CFG_INVALID' }, String(bad));
  }
});

t.test('the timeliness webhook is an http(s) URL from the environment, or empty', async (t) => {
  t.equal(loadConfig({}, {}).timelinessWebhook, '');
  t.equal(loadConfig({}, { KOPPEL_TIMELINESS_WEBHOOK: 'https://hooks.example.org/koppel' }).timelinessWebhook, 'https://hooks.example.org/koppel');
  t.throws(() => loadConfig({}, { KOPPEL_TIMELINESS_WEBHOOK: 'ftp://hooks.example.org/' }), { code: 'KOPPEL_ERR_CFG_INVALID' });
  t.throws(() => loadConfig({ timelinessWebhook: 'not a url' }, {}), { code: 'KOPPEL_ERR_CFG_INVALID' });
  t.throws(() => loadConfig({ timelinessCheckIntervalMs: 10 }, {}), { code: 'KOPPEL_ERR_CFG_INVALID' });
});
