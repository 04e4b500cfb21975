import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { openRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { initKey } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { runningJobs, startJob } from '../../src/pipeline/jobs.js';
import { estimateLinkMemory } from '../../src/link/memory-estimate.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import type { Principal } from '../../src/model.js';

const operator: Principal = { role: 'operator', name: 'olivia', id: 'operator:olivia' };
const supplier = (name: string): Principal => ({ role: 'supplier', name, id: `supplier:${name}` });

function open(t: { teardown(fn: () => unknown): void }, memoryBudget: number): Runtime {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-memory-budget-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent', jobWorkers: 1, memoryBudget }, { env: {} });
  t.teardown(async () => {
    await Promise.allSettled(runningJobs());
    runtime.close();
  });
  return runtime;
}

async function deliveries(runtime: Runtime): Promise<{ project: string; ids: string[] }> {
  const ctx = runtime.ctx;
  registerDataset(ctx, operator, testDatasetSchema('vdab_set', 'vdab'));
  registerDataset(ctx, operator, testDatasetSchema('agodi_set', 'agodi'));
  const project = registerProject(ctx, operator, {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
  });
  const people = makePeople(300, 5);
  const ids: string[] = [];
  for (const [dataset, who, rows] of [['vdab_set', 'vdab', people], ['agodi_set', 'agodi', people.slice(100)]] as const) {
    const { delivery } = await receiveDelivery(ctx, {
      principal: supplier(who), dataset, period: '2024', body: Readable.from([Buffer.from(csvFor(rows))]), contentType: 'text/csv', supersede: false,
    });
    ids.push(delivery.id);
  }
  return { project: project.id, ids };
}

// The job's fields: the national number and the three linkage columns of testDatasetSchema.
const FIELDS = [{ type: 'national_id' as const }, { type: 'given_name' as const }, { type: 'surname' as const }, { type: 'date' as const }];

t.test('a job whose estimated peak is over the memory budget is refused before it starts, with the estimate and the budget', async (t) => {
  const estimate = estimateLinkMemory([300, 200], FIELDS);
  const budget = estimate.peakBytes - 1;
  const runtime = open(t, budget);
  const { project, ids } = await deliveries(runtime);
  t.throws(() => startJob(runtime.ctx, operator, project, { deliveries: ids }), {
    code: 'KOPPEL_ERR_LINK_OVER_MEMORY_BUDGET',
    details: { records: 500, estimated_bytes: estimate.peakBytes, budget_bytes: budget },
  });
});

t.test('a job within the memory budget runs', async (t) => {
  const runtime = open(t, estimateLinkMemory([300, 200], FIELDS).peakBytes);
  const { project, ids } = await deliveries(runtime);
  const job = startJob(runtime.ctx, operator, project, { deliveries: ids });
  await Promise.all(runningJobs());
  t.equal(runtime.store.getJob(job.id)?.status, 'succeeded');
});
