/**
 * Upload, build, approve and download entries record the sha256 of the files they concern, and
 * `koppel audit verify` checks every file still on disk against them: a file swapped together
 * with its recorded hash in the database is found, because the entry under the audit key still
 * holds the original.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { openRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { initKey } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { runningJobs, startJob } from '../../src/pipeline/jobs.js';
import { approveRelease, buildRelease } from '../../src/pipeline/releases.js';
import { openReleaseDownload } from '../../src/pipeline/release-access.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import type { Principal } from '../../src/model.js';
import type { AuditEntry } from '../../src/store/index.js';

const operator = (name: string): Principal => ({ role: 'operator', name, id: `operator:${name}` });
const supplier: Principal = { role: 'supplier', name: 'vdab', id: 'supplier:vdab' };
const researcher: Principal = { role: 'researcher', name: 'an', id: 'researcher:an' };
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

type Files = { path: string; sha256: string; bytes: number }[];
const filesOf = (entry: AuditEntry | undefined): Files => ((entry?.detail as { files?: Files } | null)?.files ?? []);

async function approvedRelease(t: { teardown(fn: () => unknown): void }): Promise<{ runtime: Runtime; dataDir: string; releaseId: string; deliveryId: string; body: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-audit-files-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  const dataDir = path.join(dir, 'data');
  const runtime = openRuntime({ dataDir, keysDir: path.join(dir, 'keys'), logLevel: 'silent' }, { env: {} });
  t.teardown(() => runtime.close());
  const { ctx } = runtime;
  registerDataset(ctx, operator('olivia'), testDatasetSchema('vdab_set', 'vdab'));
  const body = csvFor(makePeople(120, 5));
  const upload = await receiveDelivery(ctx, { principal: supplier, dataset: 'vdab_set', period: '2024', body: Readable.from([Buffer.from(body)]), contentType: 'text/csv', supersede: false });
  const project = registerProject(ctx, operator('olivia'), {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['birth_year', 'loon_cent'] }, key_variables: ['birth_year'], k: 2,
  });
  const job = startJob(ctx, operator('olivia'), project.id, { deliveries: [upload.delivery.id] });
  await Promise.all(runningJobs());
  const draft = await buildRelease(ctx, operator('olivia'), job.id);
  approveRelease(ctx, operator('omar'), draft.id);
  return { runtime, dataDir, releaseId: draft.id, deliveryId: upload.delivery.id, body };
}

t.test('upload, build, approve and download entries carry the sha256 of their files', async (t) => {
  const { runtime, dataDir, releaseId, deliveryId, body } = await approvedRelease(t);
  const { ctx } = runtime;
  const download = await openReleaseDownload(ctx, researcher, releaseId, 'persons.csv');
  for await (const _ of download.stream) { /* drain */ }
  const entries = ctx.store.listAudit({ limit: 1000 });
  const onDisk = (relative: string) => sha256(fs.readFileSync(path.join(dataDir, relative)));

  const uploadEntry = entries.find((e) => e.action === 'delivery.upload');
  t.equal((uploadEntry?.detail as { body_sha256?: string }).body_sha256, sha256(body), 'the upload entry holds the body hash');
  t.same(filesOf(uploadEntry).map((f) => f.path), [`deliveries/${deliveryId}/linkage.arrow`, `deliveries/${deliveryId}/payload.arrow`], 'and both stored files');
  for (const f of filesOf(uploadEntry)) t.equal(f.sha256, onDisk(f.path), `${f.path} as stored`);

  const release = ctx.store.getRelease(releaseId)!;
  const releaseFiles = release.files.map((f) => `releases/${releaseId}/${f.name}`);
  for (const action of ['release.build', 'release.approve']) {
    const entry = entries.find((e) => e.action === action && e.target === releaseId && e.outcome === 'ok');
    t.same(filesOf(entry).map((f) => f.path), releaseFiles, `${action} records every release file`);
    for (const f of filesOf(entry)) t.equal(f.sha256, onDisk(f.path), `${action}: ${f.path} as stored`);
  }
  const downloadEntry = entries.find((e) => e.action === 'release.download');
  t.same(filesOf(downloadEntry).map((f) => [f.path, f.sha256]), [[`releases/${releaseId}/persons.arrow`, onDisk(`releases/${releaseId}/persons.arrow`)]], 'the download entry records the file it served');

  const approve = entries.find((e) => e.action === 'release.approve')!;
  t.same(release.manifest.audit_head, { seq: approve.seq, mac: approve.mac }, 'the approved manifest records the head that includes its approval entry');
  const verified = ctx.store.verifyAudit();
  t.match(verified, { ok: true, files: { checked: 2 + release.files.length, missing: 0 } }, 'verify hashed every recorded file');
});

t.test('a release file swapped together with its recorded hash is found by verify', async (t) => {
  const { runtime, dataDir, releaseId } = await approvedRelease(t);
  const relative = `releases/${releaseId}/persons.arrow`;
  const file = path.join(dataDir, relative);
  const forged = fs.readFileSync(file);
  forged[forged.length >> 1] ^= 0xff; // same size, different bytes
  fs.writeFileSync(file, forged);
  // The attacker rewrites every hash the database holds: files_json and both manifests.
  const db = new Database(path.join(dataDir, 'koppel.db'));
  const row = db.prepare('SELECT files_json, manifest_json FROM releases WHERE id = ?').get(releaseId) as { files_json: string; manifest_json: string };
  const oldHash = (JSON.parse(row.files_json) as { name: string; sha256: string }[]).find((f) => f.name === 'persons.arrow')!.sha256;
  const swap = (text: string) => text.split(oldHash).join(sha256(forged));
  db.prepare('UPDATE releases SET files_json = ?, manifest_json = ? WHERE id = ?').run(swap(row.files_json), swap(row.manifest_json), releaseId);
  db.close();
  const manifest = path.join(dataDir, 'releases', releaseId, 'manifest.json');
  fs.writeFileSync(manifest, swap(fs.readFileSync(manifest, 'utf8')));
  const opened = await runtime.ctx.store.openReleaseFile(releaseId, 'persons');
  t.ok(opened, 'the store itself now serves the forged file');
  await opened?.close();

  const result = runtime.ctx.store.verifyAudit();
  t.equal(result.ok, false, 'verify refuses');
  t.match(result.reason, new RegExp(`${relative} does not match the sha256 that entry \\d+ recorded`));
  const build = runtime.ctx.store.listAudit({ limit: 1000 }).find((e) => e.action === 'release.build' && e.target === releaseId)!;
  t.equal(result.firstBad, build.seq, 'naming the first entry that recorded the file');
});

t.test('a delivery file changed on disk is found; a removed one is counted, not a failure', async (t) => {
  const { runtime, dataDir, deliveryId } = await approvedRelease(t);
  const payload = path.join(dataDir, 'deliveries', deliveryId, 'payload.arrow');
  const original = fs.readFileSync(payload);
  fs.writeFileSync(payload, Buffer.concat([original.subarray(0, original.length - 1), Buffer.from([original[original.length - 1] ^ 1])]));
  t.match(runtime.ctx.store.verifyAudit(), { ok: false, reason: new RegExp(`deliveries/${deliveryId}/payload.arrow does not match`) });
  fs.rmSync(payload);
  t.match(runtime.ctx.store.verifyAudit(), { ok: true, files: { missing: 1 } });
});

t.test('a recorded file replaced by a symlink is a finding', async (t) => {
  const { runtime, dataDir, deliveryId } = await approvedRelease(t);
  const payload = path.join(dataDir, 'deliveries', deliveryId, 'payload.arrow');
  const copy = path.join(dataDir, '..', 'payload-copy.arrow');
  fs.copyFileSync(payload, copy);
  fs.rmSync(payload);
  fs.symlinkSync(copy, payload);
  t.match(runtime.ctx.store.verifyAudit(), { ok: false, reason: /is a symlink/ });
});
