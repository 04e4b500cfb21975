import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import t from 'tap';
import { pino } from 'pino';
import { openStore } from '../../../src/store/index.js';
import { deliver, ls, sampleProject, sampleSchema, sampleTable, storeFixture } from './store-fixture.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function plant(dir: string, name: string, file = 'linkage.arrow'): string {
  const full = path.join(dir, name);
  fs.mkdirSync(full, { recursive: true });
  fs.writeFileSync(path.join(full, file), 'half-written');
  return full;
}

t.test('startup removes staging dirs of dead processes, unrecorded data dirs and temp files, and logs the count', async (t) => {
  const fx = storeFixture(t);
  const { store, keyring, dataDir } = fx;
  store.createDataset(sampleSchema(), 'operator:an');
  const kept = (await deliver(store, keyring, {})).delivery;
  const project = store.createProject(sampleProject(), 'operator:an');
  const queuedJob = store.createJob(project.id, {}, 'operator:an');
  const doneJob = store.createJob(project.id, {}, 'operator:an');
  store.writeJobFiles(doneJob.id, [{ name: 'links', table: sampleTable(3, 1) }], {});
  const release = store.createRelease(doneJob.id, project.id, [{ name: 'persons', table: sampleTable(3, 2) }], {}, 'operator:an');
  store.close();

  const staging = path.join(dataDir, 'staging');
  plant(staging, `delivery-${deadPid()}-0123456789ab`);
  plant(staging, `job-${process.pid}-0123456789ab`); // our pid, but not opened by this process
  plant(staging, 'something-else');
  const liveOther = plant(staging, `release-${process.ppid}-0123456789ab`); // a live process's work
  plant(path.join(dataDir, 'deliveries'), 'dlv_0123456789abcdef0123');
  plant(path.join(dataDir, 'jobs'), queuedJob.id, 'links.arrow'); // renamed, never recorded
  plant(path.join(dataDir, 'releases'), 'rel_0123456789abcdef0123', 'persons.arrow');
  fs.writeFileSync(path.join(dataDir, 'releases', release.id, 'manifest.json.tmp-0123456789ab'), '{');

  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const reopened = openStore({ dataDir, keyring, log });
  t.teardown(() => reopened.close());

  t.same(ls(staging), [path.basename(liveOther)], 'only the live process\'s staging dir remains');
  t.same(ls(path.join(dataDir, 'deliveries')), [kept.id]);
  t.same(ls(path.join(dataDir, 'jobs')), [doneJob.id]);
  t.same(ls(path.join(dataDir, 'releases')), [release.id]);
  t.same(ls(path.join(dataDir, 'releases', release.id)), ['manifest.json', 'persons.arrow']);
  t.equal((await reopened.readDeliveryFile(kept.id, 'linkage')).numRows, 10, 'recorded data is untouched');
  const persons = await reopened.openReleaseFile(release.id, 'persons');
  t.ok(persons);
  await persons?.close();
  const opened = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'store opened');
  t.match(opened, { orphans_removed: 7, staging: 3, unrecorded: 3, temp: 1 });
});

t.test('opening a second store spares the staging dirs this process has open', async (t) => {
  const fx = storeFixture(t);
  fx.store.createDataset(sampleSchema(), 'operator:an');
  const table = sampleTable(4, 1);
  const staging = fx.store.stageDelivery();
  const a = staging.linkageWriter(table.schema);
  await a.write(table.batches[0]);
  fx.reopen();
  t.ok(fs.existsSync(staging.dir), 'still there');
  await a.close();
  const b = staging.payloadWriter(table.schema);
  await b.write(table.batches[0]);
  await b.close();
  const { created } = fx.store.commitDelivery(staging, {
    dataset: 'vdab_jobseekers', period: '2025', bodySha256: 'c'.repeat(64), keyId: fx.keyring.currentId, report: {}, rowsKept: 4, by: 'supplier:vdab', supersede: false,
  });
  t.equal(created, true);
});

