/**
 * What a key rotation window costs an upload: the same CSV delivery (insz, given name, surname,
 * birth date, two attributes; default 50,000 rows) uploaded through `receiveDelivery` into a
 * data dir without a window and into one with an open window, where it is pseudonymised and
 * encoded under both keys and its pseudonym pairs are stored (pipeline/key-window.ts).
 * Interleaved runs; each upload is a new period, so each is stored in full.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { openRuntime, type Runtime } from '../src/pipeline/runtime.js';
import { initKey } from '../src/store/index.js';
import { registerDataset } from '../src/pipeline/registry.js';
import { receiveDelivery } from '../src/pipeline/deliveries.js';
import { rotateKey } from '../src/pipeline/key-rotation.js';
import { csvFor, makePeople, testDatasetSchema } from '../test/fixtures/synthetic.js';
import { compared, millionsPerSecond, timeAsyncMediansInterleaved, type Benchmark } from './harness.js';

const DEFAULT_ROWS = 50_000;

function dataDir(dir: string, name: string, window: boolean): Runtime {
  const keysDir = path.join(dir, name, 'keys');
  initKey(keysDir);
  const runtime = openRuntime({ dataDir: path.join(dir, name, 'data'), keysDir, logLevel: 'silent' }, { env: {} });
  registerDataset(runtime.ctx, { role: 'operator', name: 'bench', id: 'operator:bench' }, testDatasetSchema('bench_set', 'bench'));
  if (window) rotateKey(runtime.ctx, 'bench');
  return runtime;
}

const bench: Benchmark = {
  name: 'key-rotation',
  description: 'upload of a CSV delivery with and without an open key rotation window',
  async run(opts) {
    const n = opts.n ?? DEFAULT_ROWS;
    const csv = Buffer.from(csvFor(makePeople(n, 5)));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-bench-rotation-'));
    const plain = dataDir(dir, 'plain', false);
    const window = dataDir(dir, 'window', true);
    let period = 1900;
    const upload = (runtime: Runtime) => async () => {
      const { delivery } = await receiveDelivery(runtime.ctx, {
        principal: { role: 'supplier', name: 'bench', id: 'supplier:bench' }, dataset: 'bench_set', period: String(period++),
        body: Readable.from([csv]), contentType: 'text/csv', supersede: false,
      });
      if (delivery.rows_kept !== n) throw new Error(`key-rotation benchmark: ${delivery.rows_kept} rows kept of ${n}`);
    };
    try {
      const ms = await timeAsyncMediansInterleaved({ window: { run: upload(window) }, plain: { run: upload(plain) } }, opts);
      return [compared('key-rotation', 'upload_in_window', 'M rows/s', millionsPerSecond(n, ms.window), { name: 'upload without a window', value: millionsPerSecond(n, ms.plain) })];
    } finally {
      plain.close();
      window.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
