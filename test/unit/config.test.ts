import t from 'tap';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
import os from 'node:os';
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

t.test('the memory budget defaults to the machine\'s memory less a reserve, and KOPPEL_MEMORY_BUDGET takes bytes or K/M/G/T', async (t) => {
  const c = loadConfig({}, {});
  const total = os.totalmem();
  t.ok(c.memoryBudget < total && c.memoryBudget <= total - 2 ** 30, 'a reserve of at least 1 GiB is kept');
  t.ok(c.memoryBudget >= total / 2, 'and at most a quarter');
  t.equal(loadConfig({}, { KOPPEL_MEMORY_BUDGET: '16G' }).memoryBudget, 16 * 2 ** 30);
  t.equal(loadConfig({}, { KOPPEL_MEMORY_BUDGET: '16GiB' }).memoryBudget, 16 * 2 ** 30);
  t.equal(loadConfig({}, { KOPPEL_MEMORY_BUDGET: '512m' }).memoryBudget, 512 * 2 ** 20);
  t.equal(loadConfig({}, { KOPPEL_MEMORY_BUDGET: '1.5G' }).memoryBudget, 1.5 * 2 ** 30);
  t.equal(loadConfig({}, { KOPPEL_MEMORY_BUDGET: '17179869184' }).memoryBudget, 17179869184);
  for (const bad of ['lots', '16X', '-1G', '1G 2G']) {
    t.match(caught(() => loadConfig({}, { KOPPEL_MEMORY_BUDGET: bad })), { code: 'KOPPEL_ERR_CFG_INVALID', details: { problems: ['memoryBudget must be a number'] } }, bad);
  }
  t.match(caught(() => loadConfig({}, { KOPPEL_MEMORY_BUDGET: '1M' })), { code: 'KOPPEL_ERR_CFG_INVALID', details: { problems: ['memoryBudget must be at least 64M'] } });
});

t.test('the row limit per delivery admits a national quarter by default, reads its env and refuses nonsense', async (t) => {
  t.ok(loadConfig({}, {}).maxRowsPerDelivery >= 11_800_000, 'a national quarter of 11.8M rows fits');
  t.equal(loadConfig({}, { KOPPEL_MAX_ROWS_PER_DELIVERY: '5000' }).maxRowsPerDelivery, 5000);
  for (const bad of ['0', '-3', '2.5', 'many']) {
    t.throws(() => loadConfig({}, { KOPPEL_MAX_ROWS_PER_DELIVERY: bad }), { code: 'KOPPEL_ERR_CFG_INVALID' }, `${bad} is refused`);
  }
});

t.test('field and row byte limits have defaults, read their env and must be coherent', async (t) => {
  const c = loadConfig({}, {});
  t.same([c.maxFieldBytes, c.maxRowBytes], [65_536, 1_048_576]);
  t.equal(loadConfig({}, { KOPPEL_MAX_FIELD_BYTES: '4096', KOPPEL_MAX_ROW_BYTES: '8192' }).maxRowBytes, 8192);
  t.throws(() => loadConfig({ maxFieldBytes: 4096, maxRowBytes: 1024 }, {}), { code: 'KOPPEL_ERR_CFG_INVALID' }, 'a row cannot be shorter than a field');
  t.throws(() => loadConfig({}, { KOPPEL_MAX_FIELD_BYTES: '1' }), { code: 'KOPPEL_ERR_CFG_INVALID' });
});
