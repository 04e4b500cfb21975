/**
 * Nothing half-written is ever visible, also after SIGKILL at any point: a child process writes
 * deliveries and is killed mid-write; reopening the store must show only complete, verified
 * deliveries and leave no staging or unrecorded directories behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { initKey, loadKeyring, openStore } from '../../src/store/index.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'store-sigkill-child.ts');

function setup(t: { teardown(fn: () => void): void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-sigkill-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  initKey(keysDir);
  const store = openStore({ dataDir, keyring: loadKeyring(keysDir) });
  store.createDataset({ name: 'vdab_jobseekers', supplier: 'vdab', schedule: 'quarterly', columns: [] }, 'operator:an');
  store.close();
  return { dataDir, keysDir };
}

/** Run the child until it has printed `lines` lines plus `extraMs`, then SIGKILL it. */
function runAndKill(dataDir: string, keysDir: string, mode: string, lines: number, extraMs: number): Promise<{ printed: string[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, keysDir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    const printed: string[] = [];
    let stderr = '';
    let armed = false;
    proc.stderr.on('data', (d) => { stderr += String(d); });
    proc.stdout.on('data', (d) => {
      printed.push(...String(d).split('\n').filter(Boolean));
      if (!armed && printed.length >= lines) {
        armed = true;
        setTimeout(() => proc.kill('SIGKILL'), extraMs);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited without being killed: ${stderr.slice(0, 2000)}`));
      else resolve({ printed, signal });
    });
  });
}

const ls = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

t.test('a child killed while staging a delivery leaves no delivery row and no leftover directories', async (t) => {
  const { dataDir, keysDir } = setup(t);
  await runAndKill(dataDir, keysDir, 'stage', 5, 3);
  t.ok(ls(path.join(dataDir, 'staging')).length > 0, 'the killed child left a staging directory behind');
  const store = openStore({ dataDir, keyring: loadKeyring(keysDir) });
  t.teardown(() => store.close());
  t.same(store.listDeliveries(), []);
  t.same(ls(path.join(dataDir, 'staging')), [], 'startup removed it');
  t.same(ls(path.join(dataDir, 'deliveries')), []);
});

t.test('a child killed at arbitrary points while committing deliveries leaves only complete ones', async (t) => {
  const { dataDir, keysDir } = setup(t);
  // Kill at different moments relative to a commit; each round reopens and checks the invariant.
  for (const [lines, extraMs] of [[1, 0], [2, 7], [3, 13]] as const) {
    await runAndKill(dataDir, keysDir, 'loop', lines, extraMs);
    const store = openStore({ dataDir, keyring: loadKeyring(keysDir) });
    try {
      const rows = store.listDeliveries();
      t.ok(rows.length >= 1, `round ${lines}: some deliveries were committed (${rows.length})`);
      t.equal(rows.filter((r) => r.status === 'current').length, 1, 'exactly one current version');
      t.same(rows.map((r) => r.version), rows.map((_, i) => i + 1), 'versions are 1..n without gaps');
      for (const r of rows) {
        const linkage = await store.readDeliveryFile(r.id, 'linkage'); // verifies size and sha256
        const payload = await store.readDeliveryFile(r.id, 'payload');
        t.equal(linkage.numRows, r.rows_kept);
        t.equal(payload.numRows, r.rows_kept);
      }
      t.same(ls(path.join(dataDir, 'deliveries')), rows.map((r) => r.id).sort(), 'every directory has its row and every row its directory');
      t.same(ls(path.join(dataDir, 'staging')), []);
    } finally {
      store.close();
    }
  }
});
