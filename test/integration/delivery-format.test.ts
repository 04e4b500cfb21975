import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { RecordBatch, Schema } from 'apache-arrow';
import { openRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { initKey, type JobRecord } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { runningJobs, startJob } from '../../src/pipeline/jobs.js';
import { approveRelease, buildRelease } from '../../src/pipeline/releases.js';
import { DELIVERY_FORMAT } from '../../src/pipeline/delivery-format.js';
import type { BatchSink } from '../../src/store/arrow-files.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import type { FieldType, Principal } from '../../src/model.js';
import { BLOOM_SHAPE } from '../../src/pseudonymise/encoded-source.js';

const operator = (name: string): Principal => ({ role: 'operator', name, id: `operator:${name}` });
const supplier = (name: string): Principal => ({ role: 'supplier', name, id: `supplier:${name}` });

function open(t: { teardown(fn: () => unknown): void }): Runtime {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-delivery-format-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent', jobWorkers: 1 }, { env: {} });
  t.teardown(async () => {
    await Promise.allSettled(runningJobs());
    runtime.close();
  });
  return runtime;
}

/**
 * While `fn` runs, deliveries are stored by today's writer with the schema metadata replaced by
 * `metadata`: an empty map writes exactly what Koppel wrote before the format was recorded
 * (format 0); a map with a version writes a file of that (future) format.
 */
async function writingFormat<T>(runtime: Runtime, metadata: Map<string, string>, fn: () => Promise<T>): Promise<T> {
  const store = runtime.store;
  const stage = store.stageDelivery.bind(store);
  const relabel = (open: (schema: Schema) => BatchSink) => (schema: Schema): BatchSink => {
    const plain = new Schema(schema.fields, metadata);
    const sink = open(plain);
    return { write: (batch) => sink.write(new RecordBatch(plain, batch.data)), close: () => sink.close() };
  };
  store.stageDelivery = () => {
    const staging = stage();
    return Object.assign(staging, { linkageWriter: relabel(staging.linkageWriter), payloadWriter: relabel(staging.payloadWriter) });
  };
  try {
    return await fn();
  } finally {
    delete (store as { stageDelivery?: unknown }).stageDelivery;
  }
}

async function setup(runtime: Runtime) {
  const ctx = runtime.ctx;
  registerDataset(ctx, operator('olivia'), testDatasetSchema('vdab_set', 'vdab'));
  registerDataset(ctx, operator('olivia'), testDatasetSchema('agodi_set', 'agodi'));
  const project = registerProject(ctx, operator('olivia'), {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
  });
  const people = makePeople(200, 41);
  const upload = (dataset: string, who: string, csv: string) => receiveDelivery(ctx, {
    principal: supplier(who), dataset, period: '2024', body: Readable.from([Buffer.from(csv)]), contentType: 'text/csv', supersede: false,
  });
  return { ctx, project: project.id, people, upload };
}

async function runJob(runtime: Runtime, project: string, deliveries: string[]): Promise<JobRecord> {
  const job = startJob(runtime.ctx, operator('olivia'), project, { deliveries });
  await Promise.all(runningJobs());
  return runtime.store.getJob(job.id) as JobRecord;
}

t.test('new deliveries record their format in the schema metadata of linkage.arrow and payload.arrow', async (t) => {
  const runtime = open(t);
  const { upload, people } = await setup(runtime);
  const { delivery } = await upload('vdab_set', 'vdab', csvFor(people));
  for (const file of ['linkage', 'payload'] as const) {
    const table = await runtime.store.readDeliveryFile(delivery.id, file);
    t.equal(table.schema.metadata.get('koppel:delivery_format'), String(DELIVERY_FORMAT), `${file}.arrow`);
  }
});

t.test('a data dir written before the format was recorded stays linkable and releasable', async (t) => {
  const runtime = open(t);
  const { upload, people, project } = await setup(runtime);
  const old = await writingFormat(runtime, new Map(), () => upload('vdab_set', 'vdab', csvFor(people)));
  const current = await upload('agodi_set', 'agodi', csvFor(people.slice(50)));
  const oldLinkage = await runtime.store.readDeliveryFile(old.delivery.id, 'linkage');
  t.equal(oldLinkage.schema.metadata.size, 0, 'the old delivery\'s files carry no metadata, as before');
  t.equal((await runtime.store.readDeliveryFile(old.delivery.id, 'payload')).schema.metadata.size, 0);

  const job = await runJob(runtime, project, [old.delivery.id, current.delivery.id]);
  t.equal(job.status, 'succeeded', 'the job reads format 0 next to format 1');
  t.equal((job.report as { persons: number }).persons, 200, 'and links them: 200 people, 150 of them in both');
  const draft = await buildRelease(runtime.ctx, operator('olivia'), job.id);
  const release = approveRelease(runtime.ctx, operator('omar'), draft.id);
  t.equal(release.status, 'approved', 'the old payload.arrow is released too');
});

t.test('a delivery file of a format newer than this Koppel fails the job as KOPPEL_ERR_STORE_UNKNOWN_FORMAT', async (t) => {
  const runtime = open(t);
  const { upload, people, project } = await setup(runtime);
  const future = String(DELIVERY_FORMAT + 1);
  const later = await writingFormat(runtime, new Map([['koppel:delivery_format', future]]), () => upload('vdab_set', 'vdab', csvFor(people)));
  const current = await upload('agodi_set', 'agodi', csvFor(people));
  const job = await runJob(runtime, project, [later.delivery.id, current.delivery.id]);
  t.equal(job.status, 'failed');
  t.equal((job.error as { code: string }).code, 'KOPPEL_ERR_STORE_UNKNOWN_FORMAT');
  t.match((job.error as { message: string }).message, new RegExp(`deliveries/${later.delivery.id}/linkage.arrow is in delivery format ${future}`));
});

/** While `fn` runs, given names' and surnames' Bloom filters are written 16 words wide, as format 1 did. */
async function withFormat1Filters<T>(fn: () => Promise<T>): Promise<T> {
  const shape = BLOOM_SHAPE as Record<FieldType, { words: number; k: number }>;
  const saved = { given_name: shape.given_name, surname: shape.surname };
  shape.given_name = { ...saved.given_name, words: 16 };
  shape.surname = { ...saved.surname, words: 16 };
  try {
    return await fn();
  } finally {
    Object.assign(shape, saved);
  }
}

t.test('a data dir written in format 1 (16-word name filters) links exactly as format 2 does', async (t) => {
  // A third of the second source lacks a national number: those links rest on the name filters.
  const noNumber = { spell: (insz: string, i: number) => (i % 3 === 0 ? '' : insz) };
  const links = async (old: boolean) => {
    const runtime = open(t);
    const { upload, people, project } = await setup(runtime);
    const first = await upload('vdab_set', 'vdab', csvFor(people));
    const write = () => upload('agodi_set', 'agodi', csvFor(people.slice(50), noNumber));
    const second = old ? await writingFormat(runtime, new Map([['koppel:delivery_format', '1']]), () => withFormat1Filters(write)) : await write();
    const linkage = await runtime.store.readDeliveryFile(second.delivery.id, 'linkage');
    const job = await runJob(runtime, project, [first.delivery.id, second.delivery.id]);
    return { job, format: linkage.schema.metadata.get('koppel:delivery_format'), width: linkage.schema.fields.find((f) => f.name === 'voornaam:bloom')!.type.byteWidth };
  };
  const old = await links(true);
  const now = await links(false);
  t.same([old.format, old.width], ['1', 64], 'the old delivery is stored as format 1 wrote it');
  t.same([now.format, now.width], [String(DELIVERY_FORMAT), 32]);
  t.equal(old.job.status, 'succeeded');
  t.equal(now.job.status, 'succeeded');
  const summary = (j: JobRecord) => { const r = j.report as { persons: number; links: number; linked_across_sources: number }; return { persons: r.persons, links: r.links, across: r.linked_across_sources }; };
  t.same(summary(old.job), summary(now.job), 'the same persons and links');
  t.equal((old.job.report as { persons: number }).persons, 200);
});
