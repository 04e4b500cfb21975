import t, { type Test } from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { openRuntime } from '../../src/pipeline/runtime.js';
import { initKey, loadKeyring, verifyAuditReadOnly } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { runningJobs, startJob } from '../../src/pipeline/jobs.js';
import { approveRelease, buildRelease } from '../../src/pipeline/releases.js';
import { retireKey, rotateKey } from '../../src/pipeline/key-rotation.js';
import { csvFor, makePeople, testDatasetSchema, type Person } from '../fixtures/synthetic.js';
import type { PipelineContext } from '../../src/pipeline/context.js';
import type { Principal } from '../../src/model.js';

const operator = (name: string): Principal => ({ role: 'operator', name, id: `operator:${name}` });
const supplier = (name: string): Principal => ({ role: 'supplier', name, id: `supplier:${name}` });
const olivia = operator('olivia');

/** Person id per national number, from a job's clusters (data row r of a delivery is rows[r], counted from the first). */
async function personIdsOf(ctx: PipelineContext, jobId: string, rowsOf: Map<string, readonly Person[]>): Promise<Map<string, number>> {
  const clusters = await ctx.store.readJobFile(jobId, 'clusters');
  const delivery = clusters.getChild('delivery')!.toArray() as string[];
  const row = clusters.getChild('row')!.toArray() as Uint32Array;
  const person = clusters.getChild('person_id')!.toArray() as Float64Array;
  const out = new Map<string, number>();
  const first = Math.min(...row);
  for (let i = 0; i < clusters.numRows; i++) {
    const p = rowsOf.get(delivery[i])?.[row[i] - first];
    if (p !== undefined) out.set(p.insz, person[i]);
  }
  return out;
}

async function runJob(t: Test, ctx: PipelineContext, project: string, deliveries: string[]): Promise<string> {
  const job = startJob(ctx, olivia, project, { deliveries });
  await Promise.all(runningJobs());
  const done = ctx.store.getJob(job.id)!;
  t.equal(done.status, 'succeeded', `job over ${deliveries.length} deliveries succeeds`, { error: done.error });
  return job.id;
}

t.test('a rotation window keeps every person\'s persistent id, closes with a sealed audit trail, and the old key file can go', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-rot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keysDir = path.join(dir, 'keys');
  const dataDir = path.join(dir, 'data');
  const oldKey = initKey(keysDir).keyId;
  const runtime = openRuntime({ dataDir, keysDir, logLevel: 'silent' }, { env: {} });
  t.teardown(() => runtime.close());
  const { ctx } = runtime;

  const people = makePeople(300, 7);
  registerDataset(ctx, olivia, testDatasetSchema('vdab_set', 'vdab'));
  registerDataset(ctx, olivia, testDatasetSchema('rsz_set', 'rsz'));
  const project = registerProject(ctx, olivia, {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['birth_year', 'loon_cent'], rsz_set: ['loon_cent'] }, key_variables: ['birth_year'], k: 2,
  }).id;
  const rowsOf = new Map<string, readonly Person[]>();
  const upload = async (dataset: string, who: string, period: string, rows: readonly Person[]) => {
    const d = (await receiveDelivery(ctx, { principal: supplier(who), dataset, period, body: Readable.from([Buffer.from(csvFor(rows))]), contentType: 'text/csv', supersede: false })).delivery;
    rowsOf.set(d.id, rows);
    return d;
  };

  const a24 = await upload('vdab_set', 'vdab', '2024', people.slice(0, 200));
  const b24 = await upload('rsz_set', 'rsz', '2024', people.slice(100, 300));
  const before = await personIdsOf(ctx, await runJob(t, ctx, project, [a24.id, b24.id]), rowsOf);
  t.equal(before.size, new Set(people.map((p) => p.insz)).size, 'every person has an id under the old key');

  const { rotation } = rotateKey(ctx, 'cli');
  t.equal(rotation.old_key_id, oldKey);
  t.equal(ctx.keyring.currentId, rotation.new_key_id, 'the new key is current at once (the runtime\'s keyring follows the keys dir)');
  await t.rejects(async () => rotateKey(ctx, 'cli'), { code: 'KOPPEL_ERR_KEY_ROTATION_OPEN' }, 'one window at a time');
  let status = ctx.store.keyRotations.status()!;
  t.match(status, { persons_old: 300, persons_mapped: 0, datasets_waiting: ['rsz_set', 'vdab_set'], deliveries: { [oldKey]: 2 } });

  const a25 = await upload('vdab_set', 'vdab', '2025', people.slice(0, 150));
  t.equal(a25.key_id, rotation.new_key_id, 'an upload in the window is made under the new key');
  t.ok(a25.files.some((f) => f.name === `linkage_${oldKey.toLowerCase().replace('-', '_')}.arrow`), '... and copied under the old key');
  status = ctx.store.keyRotations.status()!;
  t.match(status, { persons_mapped: 150, deliveries_both: 1, datasets_waiting: ['rsz_set'] }, 'the persons who reappeared are mapped at upload');
  await t.rejects(async () => retireKey(ctx, 'cli', false), { code: 'KOPPEL_ERR_KEY_STILL_NEEDED', message: /rsz_set/ }, 'retire is refused while a dataset has not delivered under the new key');

  // Old and window deliveries link on the old key; the window delivery's persons keep their ids.
  const mixed = await personIdsOf(ctx, await runJob(t, ctx, project, [a25.id, b24.id]), rowsOf);
  t.ok(people.slice(0, 150).every((p) => mixed.get(p.insz) === before.get(p.insz)), 'a job over an old and a window delivery keeps every person id');

  const b25 = await upload('rsz_set', 'rsz', '2025', people.slice(160, 280));
  status = ctx.store.keyRotations.status()!;
  t.match(status, { persons_old: 300, persons_mapped: 270, datasets_waiting: [] }, '30 persons were not seen in the window');
  const windowOnly = await personIdsOf(ctx, await runJob(t, ctx, project, [a25.id, b25.id]), rowsOf);
  t.ok([...windowOnly].every(([insz, id]) => before.get(insz) === id), 'a job over window deliveries links on the new key with the same person ids');

  const retired = retireKey(ctx, 'cli', false);
  t.equal(retired.forced, false);
  t.equal(ctx.store.keyRotations.open(), null, 'the window is closed');
  const actions = ctx.store.listAudit({ limit: 1000 }).filter((e) => e.action.startsWith('keys.'));
  t.same(actions.map((e) => [e.action, e.outcome]), [['keys.rotate', 'ok'], ['keys.retire', 'refused'], ['keys.retire', 'ok']], 'rotate, the refusal and retire are audited');
  t.match(actions[2].detail, { seal: { key_id: oldKey, sha256: /^[0-9a-f]{64}$/ }, persons_left: 30 });
  t.equal(actions[2].key_id, rotation.new_key_id, 'the seal is keyed with the new key');

  // The old key file goes; the data dir keeps working under the new key.
  rmSync(path.join(keysDir, `${oldKey}.key`));
  t.same(ctx.keyring.ids(), [rotation.new_key_id]);
  const after = await upload('vdab_set', 'vdab', '2026', people.slice(0, 120));
  t.same(after.files.map((f) => f.name).sort(), ['linkage.arrow', 'payload.arrow'], 'after retire an upload is made under the new key only');
  const lastJob = await runJob(t, ctx, project, [after.id, b25.id]);
  const last = await personIdsOf(ctx, lastJob, rowsOf);
  t.ok([...last].every(([insz, id]) => before.get(insz) === id), 'persons mapped in the window keep their ids after retire');
  const draft = await buildRelease(ctx, olivia, lastJob);
  t.equal(approveRelease(ctx, operator('omar'), draft.id).status, 'approved', 'a release builds and is approved without the old key');
  await t.rejects(async () => startJob(ctx, olivia, project, { deliveries: [a24.id, after.id] }), { code: 'KOPPEL_ERR_LINK_KEYS_DIFFER' }, 'an old-key-only delivery does not link with one made after the window');
  await runJob(t, ctx, project, [a24.id, a25.id]);

  t.match(ctx.store.verifyAudit(), { ok: true, entries: ctx.store.listAudit({ limit: 1000 }).length, files: { checked: 19 } }, 'the trail and every file it records verify without the old key, through the seal');
  t.ok(verifyAuditReadOnly(dataDir, loadKeyring(keysDir)).ok, 'koppel audit verify too');

  // The seal can fail: an edited old-key entry is found without the old key.
  runtime.close();
  const db = new Database(path.join(dataDir, 'koppel.db'));
  db.exec('DROP TRIGGER audit_no_update');
  db.prepare("UPDATE audit SET actor = 'operator:mallory' WHERE seq = 1").run();
  db.close();
  const tampered = verifyAuditReadOnly(dataDir, loadKeyring(keysDir));
  t.equal(tampered.ok, false);
  t.match(tampered.reason, /retired key .* do not match the seal/);
  t.notOk(readdirSync(keysDir).some((n) => n.startsWith(oldKey)), 'no copy of the old key was kept anywhere in the keys dir');
});

t.test('a longitudinal series keeps its pseudonyms through the window; retire --force ends it and says what that costs', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-rot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent' }, { env: {} });
  t.teardown(() => runtime.close());
  const { ctx } = runtime;
  t.throws(() => retireKey(ctx, 'cli', true), { code: 'KOPPEL_ERR_KEY_NO_ROTATION' }, 'nothing to retire before a rotation');
  registerDataset(ctx, olivia, testDatasetSchema('vdab_set', 'vdab'));
  const project = registerProject(ctx, olivia, {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['birth_year', 'loon_cent'] }, key_variables: ['birth_year'], k: 2, longitudinal: true,
  }).id;
  const people = makePeople(40, 2);
  const upload = async (period: string) => (await receiveDelivery(ctx, {
    principal: supplier('vdab'), dataset: 'vdab_set', period, body: Readable.from([Buffer.from(csvFor(people))]), contentType: 'text/csv', supersede: false,
  })).delivery.id;
  const release = async (delivery: string) => {
    const draft = await buildRelease(ctx, olivia, await runJob(t, ctx, project, [delivery]));
    const approved = approveRelease(ctx, operator('omar'), draft.id);
    const persons = (await ctx.store.openReleaseFile(approved.id, 'persons'))!;
    return new Set((await persons.table()).getChild('pseudonym')!.toArray() as string[]);
  };
  const first = await release(await upload('2024'));
  rotateKey(ctx, 'cli');
  const second = await release(await upload('2025'));
  t.same([...second].sort(), [...first].sort(), 'the release made in the window has the series\' pseudonyms');
  t.throws(() => retireKey(ctx, 'cli', false), { code: 'KOPPEL_ERR_KEY_STILL_NEEDED', message: new RegExp(`longitudinal project\\(s\\) ${project} release under the old key`) });
  const forced = retireKey(ctx, 'cli', true);
  t.equal(forced.forced, true);
  t.match(forced.cost, new RegExp(`next release of ${project} will have new pseudonyms`));
  t.equal(ctx.store.keyRotations.latest()?.forced, true, 'the window records that it was forced');
  t.ok(ctx.store.verifyAudit().ok);
});
