/**
 * Uploads encoded on the encode worker (upload-encoder.ts) store exactly what the inline
 * encoder stores, batch by batch and in order; a refused upload on the worker leaves nothing
 * and the worker serves the next upload.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { openRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { registerDataset } from '../../src/pipeline/registry.js';
import { initKey } from '../../src/store/index.js';
import type { Principal } from '../../src/model.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';

const operator: Principal = { role: 'operator', name: 'olivia', id: 'operator:olivia' };
const vdab: Principal = { role: 'supplier', name: 'vdab', id: 'supplier:vdab' };

function filesNamed(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...filesNamed(full, name));
    else if (entry === name) found.push(full);
  }
  return found;
}

t.test('the encode worker stores the same linkage encodings as the inline encoder, over many batches', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'koppel-upload-encoder-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  initKey(path.join(root, 'keys'));
  const open = (name: string, jobWorkers: number): Runtime => {
    cpSync(path.join(root, 'keys'), path.join(root, name, 'keys'), { recursive: true });
    const runtime = openRuntime({ dataDir: path.join(root, name, 'data'), keysDir: path.join(root, name, 'keys'), logLevel: 'silent', jobWorkers, batchRows: 7 }, { env: {} });
    t.teardown(() => runtime.close());
    registerDataset(runtime.ctx, operator, testDatasetSchema('vdab_set', 'vdab'));
    return runtime;
  };
  // A repeated person in a later batch: the worker's encoder keeps its distinct values across batches.
  const people = makePeople(60, 7);
  // And a surname too long to encode: counted invalid, by both encoders alike.
  const csv = csvFor([...people, people[3], people[0], { ...people[5], surname: 'Q'.repeat(1500) }]);
  const stored: Buffer[] = [];
  const reports: unknown[] = [];
  for (const [name, workers] of [['inline', 0], ['worker', 1]] as const) {
    const runtime = open(name, workers);
    const upload = (body: Iterable<Buffer> | AsyncIterable<Buffer>, period: string) => receiveDelivery(runtime.ctx, {
      principal: vdab, dataset: 'vdab_set', period, body: Readable.from(body), contentType: 'text/csv', supersede: false,
    });
    if (workers === 1) {
      // A client that goes away after several batches were sent to the worker: nothing of it is
      // kept, and the worker serves the next upload.
      await t.rejects(upload((async function* () {
        yield Buffer.from(csv);
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('client went away');
      })(), '2024Q2'), /client went away/);
    }
    const { delivery } = await upload([Buffer.from(csv)], '2024Q1');
    t.equal(delivery.rows_kept, 63, `${name}: every row kept`);
    reports.push((delivery.report as { linkage_fields: unknown }).linkage_fields);
    const files = filesNamed(path.join(root, name, 'data'), 'linkage.arrow');
    t.equal(files.length, 1, `${name}: one stored linkage file (no staging left behind)`);
    stored.push(readFileSync(files[0]));
  }
  t.ok(stored[0].equals(stored[1]), 'byte for byte the same linkage.arrow');
  t.same(reports[1], reports[0], 'the same null and invalid counts per field');
  t.match(reports[0], { familienaam: { invalid: 1 } }, 'the long surname is invalid');
});
