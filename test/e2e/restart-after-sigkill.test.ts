/**
 * Nothing half-stored stays visible when the server is killed (SIGKILL) in the middle of an
 * upload: `koppel serve` runs as a child process, is killed while it is staging a large body,
 * and is restarted on the same data dir.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { NeedleSet, filesUnder } from '../fixtures/leak-scan.js';
import { childEnv, csvBlocks, runKoppel, startServe, streamCsv, type ServeProcess , prepareServerHome } from '../fixtures/koppel-process.js';

const MB = 1024 * 1024;
const ls = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

t.test('a server killed mid-upload restarts with no trace of the upload, and the period can be delivered again', { timeout: 180_000 }, async (t) => {
  const { dir, dataDir, keysDir, operator, supplier } = prepareServerHome(t, 'koppel-sigkill-e2e-');

  const servers: ServeProcess[] = [];
  t.teardown(() => Promise.all(servers.map((s) => s.kill())));
  const call = (server: ServeProcess, token: string, method: string, url: string, init: { body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${server.base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...init.headers }, body: init.body, duplex: 'half' } as RequestInit);

  const first = await startServe({ dataDir, keysDir });
  servers.push(first);
  const registered = await call(first, operator, 'POST', '/v1/datasets', { body: JSON.stringify(testDatasetSchema('vdab_set', 'vdab')), headers: { 'content-type': 'application/json' } });
  t.equal(registered.status, 201, 'the dataset is registered');

  // A body of up to 200 MB; once 8 MB are sent and the server is visibly staging the delivery,
  // the server is killed and the body stops.
  const people = makePeople(3000, 21);
  const csv = csvBlocks(csvFor(people).trimEnd().split('\n'), 4, 2000);
  const staging = path.join(dataDir, 'staging');
  let stagedSeen: string[] = [];
  let killed = false;
  const killWhenStaging = async (sent: number) => {
    if (killed || sent < 8 * MB) return;
    for (let i = 0; i < 200 && stagedSeen.length === 0; i++) {
      stagedSeen = ls(staging).filter((name) => name.startsWith('delivery-'));
      if (stagedSeen.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    killed = true;
    const { signal } = await first.kill();
    t.equal(signal, 'SIGKILL', 'the server was killed mid-upload');
  };
  const body = Readable.toWeb(Readable.from(streamCsv(csv, Math.ceil((200 * MB) / csv.blocks[0].length), killWhenStaging)));
  const outcome = await call(first, supplier, 'PUT', '/v1/datasets/vdab_set/deliveries/2024Q1', { body, headers: { 'content-type': 'text/csv' } })
    .then((res) => `answered ${res.status}`, (err: Error) => `failed: ${err.message}`);
  t.ok(killed, 'the kill happened during the upload');
  t.match(outcome, /^failed/, 'the client saw the connection die, not an answer');
  t.ok(stagedSeen.length > 0, `the killed server was staging the delivery (${stagedSeen.join(', ')})`);
  t.same(ls(staging), stagedSeen, 'its staging directory is still on disk before the restart');
  const needles = new NeedleSet();
  for (const p of people) needles.addInsz(p.insz);
  const staged = filesUnder(staging);
  t.ok(staged.length > 0, `the half-written staging files (${staged.length}) can be scanned`);
  for (const file of staged) {
    for (const hit of needles.find(fs.readFileSync(file))) t.fail(`${path.basename(file)} of the killed upload holds a national number (${hit.encoding}, offset ${hit.at})`);
  }
  t.same(needles.find(Buffer.from(first.output())), [], 'the killed server logged no national number');

  const second = await startServe({ dataDir, keysDir });
  servers.push(second);
  t.same(ls(staging), [], 'startup removed the staging directory of the dead server');
  t.same(ls(path.join(dataDir, 'deliveries')), [], 'no delivery directory exists');
  const tempLeftovers = fs.readdirSync(dataDir, { recursive: true }).map(String).filter((name) => name.includes('.tmp-') || name.startsWith('staging/'));
  t.same(tempLeftovers, [], 'no temp file is left anywhere in the data dir');
  const health = await fetch(`${second.base}/health`);
  t.equal(health.status, 200, 'the restarted server answers');
  const db = new Database(path.join(dataDir, 'koppel.db'), { readonly: true });
  const rows = db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number };
  db.close();
  t.equal(rows.n, 0, 'no delivery row exists for the killed upload');

  const small = csvFor(makePeople(500, 22));
  const fresh = await call(second, supplier, 'PUT', '/v1/datasets/vdab_set/deliveries/2024Q1', { body: small, headers: { 'content-type': 'text/csv' } });
  t.equal(fresh.status, 201, 'a fresh upload of the same period is a new delivery (201, not 200 or 409)');
  const delivery = (await fresh.json()) as { id: string; rows_kept: number; version: number };
  t.equal(delivery.rows_kept, 500, 'with all its rows');
  t.equal(delivery.version, 1, 'as the first version of that period');
  const read = await call(second, operator, 'GET', `/v1/deliveries/${delivery.id}`);
  t.equal(read.status, 200, 'and it can be read back');
  t.same(ls(path.join(dataDir, 'deliveries')), [delivery.id], 'its directory is the only one');

  const stopped = await second.stop();
  t.same(needles.find(Buffer.from(second.output())), [], 'the restarted server logged no national number');
  t.equal(stopped.code, 0, 'the restarted server stops cleanly');
  const verify = await runKoppel(['audit', 'verify'], { env: childEnv({ KOPPEL_DATA_DIR: dataDir, KOPPEL_KEYS_DIR: keysDir }) });
  t.equal(verify.code, 0, `koppel audit verify passes afterwards: ${verify.stdout.trim()}${verify.stderr.trim()}`);
});
