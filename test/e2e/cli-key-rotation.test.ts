/**
 * Key rotation as an operator runs it: `koppel keys rotate`, `rotation` and `retire` as child
 * processes beside a running `koppel serve`, which follows the new key without a restart. The
 * old key file is removed at the end and the data dir still works. No key byte appears in any
 * output, log or stored file. (A second rotate and the other refusals are in
 * test/integration/key-rotation.test.ts: each command here is a process start.)
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { filesUnder } from '../fixtures/leak-scan.js';
import { childEnv, prepareServerHome, runKoppel, startServe, type RunResult } from '../fixtures/koppel-process.js';

interface Status {
  persons_old: number;
  persons_mapped: number;
  datasets_waiting: string[];
  deliveries: Record<string, number>;
  rotation: { old_key_id: string; new_key_id: string; closed_at: string | null };
}

t.test('rotate, status and retire beside a running server; the old key file can then go', { timeout: 240_000 }, async (t) => {
  const { dataDir, keysDir, operator, supplier } = prepareServerHome(t, 'koppel-rotate-e2e-');
  const env = childEnv({ KOPPEL_DATA_DIR: dataDir, KOPPEL_KEYS_DIR: keysDir });
  const outputs: RunResult[] = [];
  const koppel = async (...args: string[]) => {
    const result = await runKoppel(args, { env, timeoutMs: 60_000 });
    outputs.push(result);
    return result;
  };
  const keyHex = (id: string) => fs.readFileSync(path.join(keysDir, `${id}.key`), 'utf8').trim();
  const [oldKey] = fs.readdirSync(keysDir).filter((n) => n.endsWith('.key')).map((n) => n.slice(0, -4));
  const secrets = [keyHex(oldKey)];

  const server = await startServe({ dataDir, keysDir });
  t.teardown(() => server.kill());
  const call = async (token: string, method: string, url: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${server.base}${url}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : (body as string),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const people = makePeople(120, 31);
  const upload = async (period: string, rows = people) => {
    const res = await call(supplier, 'PUT', `/v1/datasets/vdab_set/deliveries/${period}`, csvFor(rows), 'text/csv');
    t.equal(res.status, 201, `delivery ${period} is stored`);
    return res.body as { id: string; key_id: string };
  };
  const job = async (deliveries: string[]) => {
    const started = await call(operator, 'POST', `/v1/projects/${project}/jobs`, { deliveries });
    t.equal(started.status, 202, `a job over ${deliveries.length} deliveries starts`, { body: started.body });
    for (let i = 0; i < 600; i++) {
      const state = await call(operator, 'GET', `/v1/jobs/${started.body.id as string}`);
      if (state.body.status !== 'queued' && state.body.status !== 'running') return state.body.status;
      await new Promise((r) => setTimeout(r, 100));
    }
    return 'timeout';
  };
  const status = async (): Promise<Status> => {
    const res = await koppel('keys', 'rotation', '--json');
    t.equal(res.code, 0, `keys rotation exits 0 ${res.stderr}`);
    return JSON.parse(res.stdout) as Status;
  };

  t.equal((await call(operator, 'POST', '/v1/datasets', testDatasetSchema('vdab_set', 'vdab'))).status, 201);
  const project = (await call(operator, 'POST', '/v1/projects', {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['birth_year'] }, key_variables: ['birth_year'], k: 2,
  })).body.id as string;
  const d2024 = await upload('2024');
  t.equal(await job([d2024.id]), 'succeeded', 'the first job gives every person an id under the first key');

  const rotated = await koppel('keys', 'rotate');
  t.equal(rotated.code, 0, `keys rotate exits 0 ${rotated.stderr}`);
  const newKey = /created key (k\S+) at/.exec(rotated.stdout)?.[1] ?? '';
  t.match(rotated.stdout, /rotation window open/);
  secrets.push(keyHex(newKey));
  t.match(await status(), { rotation: { old_key_id: oldKey, new_key_id: newKey, closed_at: null }, persons_old: people.length, persons_mapped: 0, datasets_waiting: ['vdab_set'] });
  const early = await koppel('keys', 'retire');
  t.equal(early.code, 2, 'retire is refused (exit 2, as every coded refusal) while a dataset has not delivered under the new key');
  t.match(early.stderr, /KOPPEL_ERR_KEY_STILL_NEEDED.*vdab_set.*--force.*person\(s\) not seen during the window/);

  const d2025 = await upload('2025', people.slice(0, 100));
  t.equal(d2025.key_id, newKey, 'the running server uploads under the new key without a restart');
  t.match(await status(), { persons_mapped: 100, datasets_waiting: [] }, 'the persons in the new delivery are mapped');
  const text = await koppel('keys', 'rotation');
  t.match(text.stdout, /persons under the old key: 120; mapped to the new key: 100; left: 20/);
  t.match(text.stdout, /ready to retire/);
  t.equal(await job([d2024.id, d2025.id]), 'succeeded', 'an old and a window delivery link on the old key');

  const retired = await koppel('keys', 'retire');
  t.equal(retired.code, 0, `keys retire exits 0 ${retired.stderr}`);
  t.match(retired.stdout, new RegExp(`retired key ${oldKey}`));
  fs.rmSync(path.join(keysDir, `${oldKey}.key`));
  const d2026 = await upload('2026', people.slice(50));
  t.equal(d2026.key_id, newKey);
  t.equal(await job([d2025.id, d2026.id]), 'succeeded', 'after the old key file is gone, jobs over new deliveries run');
  const auditRes = await call(operator, 'GET', '/v1/audit?limit=1000');
  const actions = (auditRes.body.entries as { action: string; outcome: string }[]).filter((e) => e.action.startsWith('keys.')).map((e) => `${e.action} ${e.outcome}`);
  t.same(actions.filter((a) => !a.startsWith('keys.rotation ')), ['keys.rotate ok', 'keys.retire refused', 'keys.retire ok'], 'rotate and retire (refused, then done) are in the audit trail');
  t.ok(actions.includes('keys.rotation ok'), 'status reads are audited too');

  t.equal((await server.stop()).code, 0);
  const verified = await koppel('audit', 'verify');
  t.equal(verified.code, 0, `audit verify passes without the old key: ${verified.stdout} ${verified.stderr}`);

  const texts = [...outputs.flatMap((o) => [o.stdout, o.stderr]), server.output()];
  const stored = filesUnder(dataDir).map((f) => fs.readFileSync(f));
  for (const hex of secrets) {
    t.notOk(texts.some((s) => s.includes(hex)), 'no key appears in any command output or server log');
    const bytes = Buffer.from(hex, 'hex');
    t.notOk(stored.some((b) => b.includes(bytes) || b.includes(Buffer.from(hex))), 'no key appears in any file of the data dir');
  }
});
