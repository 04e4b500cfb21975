/**
 * The koppel command as a user runs it: real child processes, an explicit environment, a temp
 * data dir and keys dir. Covers keys, tokens (against a running `koppel serve`), audit verify on a
 * healthy and on a tampered store, and the usage errors.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { childEnv, runKoppel, startServe } from '../fixtures/koppel-process.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const KEY_ID = /created key (k\d{8}T\d{6}Z-[0-9a-f]{4}) at (\S+)/;
const TOKEN_OUTPUT = /^token (\S+) for ([a-z]+:[a-z0-9._-]+), expires (\S+):\n(\S+)\n/;

t.test('keys, tokens and audit verify work end to end through the command', async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  const env = childEnv({ KOPPEL_DATA_DIR: dataDir, KOPPEL_KEYS_DIR: keysDir });

  const init = await runKoppel(['keys', 'init'], { env });
  t.equal(init.code, 0, 'keys init exits 0');
  const created = KEY_ID.exec(init.stdout);
  t.ok(created, 'keys init prints the new key id and its path');
  const keyId = created![1];
  const keyFile = path.join(keysDir, `${keyId}.key`);
  t.ok(fs.existsSync(keyFile), 'the key file is named after its id, in the keys dir from the environment');
  t.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the key file is readable by its owner only (0600)');
  t.equal(fs.statSync(keysDir).mode & 0o777, 0o700, 'the keys dir is the owner\'s only (0700)');
  t.notOk(fs.existsSync(dataDir), 'keys init does not create a data dir');

  const list = await runKoppel(['keys', 'list'], { env });
  t.equal(list.code, 0, 'keys list exits 0');
  t.match(list.stdout, new RegExp(`^${keyId}\\t\\d{4}-\\d{2}-\\d{2}T`, 'm'), 'keys list shows the key id and when it was made');

  const [badRole, noRole, systemRole] = await Promise.all([
    runKoppel(['token', 'create', '--role', 'admin:x'], { env }),
    runKoppel(['token', 'create'], { env }),
    runKoppel(['token', 'create', '--role', 'system:koppel'], { env }),
  ]);
  t.equal(systemRole.code, 2, 'no token is made for system:koppel, Koppel\'s own principal');
  t.match(systemRole.stderr, /KOPPEL_ERR_AUTH_BAD_ROLE.*never hold a token/, 'and the refusal says why');
  t.equal(badRole.code, 2, 'a bad role exits 2');
  t.match(badRole.stderr, /KOPPEL_ERR_AUTH_BAD_ROLE/, 'with the coded error');
  t.match(badRole.stderr, /operator:<name>.*supplier:<name>.*researcher:<name>/, 'and a message that says what a role looks like');
  t.equal(noRole.code, 2, 'token create without --role exits 2');
  t.match(noRole.stderr, /--role/, 'and says --role is needed');

  const made = await runKoppel(['token', 'create', '--role', 'operator:x'], { env });
  t.equal(made.code, 0, 'token create exits 0');
  const parsed = TOKEN_OUTPUT.exec(made.stdout);
  t.ok(parsed, 'token create prints the token id, the principal and the token');
  const [, tokenId, principal, expires, token] = parsed!;
  t.equal(principal, 'operator:x');
  const days = (Date.parse(expires) - Date.now()) / 86_400_000;
  t.ok(days > 89 && days <= 90, `a token expires after 90 days by default (${days.toFixed(2)})`);
  t.match(token, new RegExp(`^kpl_${tokenId}_[A-Za-z0-9_-]{43}$`), 'the token is kpl_<id>_<secret>');
  t.notOk(made.stderr.includes(token), 'the token is printed on stdout only');

  const server = await startServe({ dataDir, keysDir });
  t.teardown(() => server.kill());
  const audit = (bearer: string) => fetch(`${server.base}/v1/audit`, { headers: { authorization: `Bearer ${bearer}` } });
  t.equal((await audit(token)).status, 200, 'the printed token authenticates against a server on the same data dir');
  t.equal((await audit(`${token}x`)).status, 401, 'a changed token does not');

  const revoked = await runKoppel(['token', 'revoke', tokenId], { env });
  t.equal(revoked.code, 0, 'token revoke exits 0');
  t.match(revoked.stdout, new RegExp(`revoked ${tokenId}`));
  const refused = await audit(token);
  t.equal(refused.status, 401, 'the revoked token is refused by the running server');
  t.equal(((await refused.json()) as { code: string }).code, 'KOPPEL_ERR_AUTH_INVALID_TOKEN');
  const again = await runKoppel(['token', 'revoke', tokenId], { env });
  t.equal(again.code, 1, 'revoking it again exits 1: there is no active token with that id');

  const stopped = await server.stop();
  t.equal(stopped.code, 0, 'serve stops cleanly on SIGTERM');

  const healthy = await runKoppel(['audit', 'verify'], { env });
  t.equal(healthy.code, 0, `audit verify exits 0 on a healthy store: ${healthy.stderr}`);
  const entries = Number(/audit chain ok: (\d+) entries/.exec(healthy.stdout)?.[1] ?? 0);
  t.ok(entries >= 4, `the chain holds the token commands and the refused request (${entries} entries)`);

  // Someone with write access to the file: the append-only triggers are dropped, then one
  // entry's detail is edited (in one copy of the data dir) or an entry is deleted (in another).
  const copy = (name: string) => {
    const target = path.join(dir, name);
    fs.cpSync(dataDir, target, { recursive: true });
    return target;
  };
  const tamper = (target: string, sql: string) => {
    const db = new Database(path.join(target, 'koppel.db'));
    try {
      db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
      t.equal(db.prepare(sql).run().changes, 1, `tampered: ${sql}`);
    } finally {
      db.close();
    }
  };
  const edited = copy('edited');
  tamper(edited, `UPDATE audit SET detail_json = '{"principal":"operator:y"}' WHERE seq = 2`);
  const afterEdit = await runKoppel(['audit', 'verify', '--data-dir', edited], { env });
  t.equal(afterEdit.code, 1, 'audit verify exits 1 after an entry was edited');
  t.match(afterEdit.stderr, /BROKEN at entry 2/, 'and names the edited entry');

  const removed = copy('removed');
  tamper(removed, 'DELETE FROM audit WHERE seq = 2');
  const afterDelete = await runKoppel(['audit', 'verify', '--data-dir', removed], { env });
  t.equal(afterDelete.code, 1, 'audit verify exits 1 after an entry was deleted');
  t.match(afterDelete.stderr, /BROKEN at entry 2/, 'and names where the gap is');

  const still = await runKoppel(['audit', 'verify'], { env });
  t.equal(still.code, 0, 'the untouched original still verifies');
});

t.test('usage: --help exits 0, an unknown command or action exits 2 with the usage', async (t) => {
  const dir = tempDir(t);
  const env = childEnv({ KOPPEL_DATA_DIR: path.join(dir, 'data'), KOPPEL_KEYS_DIR: path.join(dir, 'keys') });
  const [help, unknown, badAction, badFlag] = await Promise.all([
    runKoppel(['--help'], { env }),
    runKoppel(['frobnicate'], { env }),
    runKoppel(['keys', 'rotate-everything'], { env }),
    runKoppel(['audit', 'verify', '--no-such-flag'], { env }),
  ]);
  t.equal(help.code, 0, '--help exits 0');
  t.match(help.stdout, /koppel serve/, '--help prints the usage');
  t.equal(unknown.code, 2, 'an unknown command exits 2');
  t.match(unknown.stderr, /unknown command "frobnicate"/);
  t.match(unknown.stderr, /koppel serve/, 'and prints the usage');
  t.equal(badAction.code, 2, 'an unknown action exits 2');
  t.match(badAction.stderr, /keys needs init, list, rotate, rotation or retire/);
  t.equal(badFlag.code, 2, 'an unknown flag exits 2');
  t.match(badFlag.stderr, /no-such-flag/);
  t.notOk(fs.existsSync(path.join(dir, 'data')), 'no usage error created a data dir');
  t.notOk(fs.existsSync(path.join(dir, 'keys')), 'or a keys dir');
});

t.test('token commands are audited, need the keys, and fold principals to one spelling', async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  const env = childEnv({ KOPPEL_DATA_DIR: dataDir, KOPPEL_KEYS_DIR: keysDir });

  const keyless = await runKoppel(['token', 'create', '--role', 'operator:x'], { env });
  t.equal(keyless.code, 1, 'without a keys dir no token is made: it could not be audited');
  t.match(keyless.stderr, /KOPPEL_ERR_KEY_MISSING/);

  t.equal((await runKoppel(['keys', 'init'], { env })).code, 0);
  const made = await runKoppel(['token', 'create', '--role', 'Operator:Ops', '--expires-in', '7'], { env });
  t.equal(made.code, 0, made.stderr);
  const [, tokenId, principal, expires] = TOKEN_OUTPUT.exec(made.stdout)!;
  t.equal(principal, 'operator:ops', 'the principal is stored in its canonical spelling');
  const days = (Date.parse(expires) - Date.now()) / 86_400_000;
  t.ok(days > 6 && days <= 7, '--expires-in sets the life in days');
  const tooLong = await runKoppel(['token', 'create', '--role', 'supplier:vdab', '--expires-in', '5000'], { env });
  t.equal(tooLong.code, 2);
  t.match(tooLong.stderr, /KOPPEL_ERR_AUTH_BAD_EXPIRY/);

  const list = await runKoppel(['token', 'list'], { env });
  t.match(list.stdout, new RegExp(`^${tokenId}\\toperator:ops\\t\\S+\\tactive until `, 'm'));
  t.equal((await runKoppel(['token', 'revoke', tokenId], { env })).code, 0);

  const db = new Database(path.join(dataDir, 'koppel.db'), { readonly: true });
  const actions = (db.prepare('SELECT action FROM audit ORDER BY seq').pluck().all() as string[]);
  db.close();
  t.same(actions.filter((a) => a.startsWith('token.')), ['token.create', 'token.list', 'token.revoke'], 'create, list and revoke are each in the audit trail');
});

t.test('audit verify changes nothing in the data dir and detects a cut trail against a head kept outside it', async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  const env = childEnv({ KOPPEL_DATA_DIR: dataDir, KOPPEL_KEYS_DIR: keysDir });
  t.equal((await runKoppel(['keys', 'init'], { env })).code, 0);
  for (const who of ['operator:a', 'operator:b', 'supplier:c']) t.equal((await runKoppel(['token', 'create', '--role', who], { env })).code, 0);
  // What a store open would tidy away: an unrecorded delivery folder.
  fs.mkdirSync(path.join(dataDir, 'deliveries', 'dlv_00000000000000000000'), { recursive: true });
  const snapshot = () => fs.readdirSync(dataDir, { recursive: true }).map(String).sort().map((f) => {
    const p = path.join(dataDir, f);
    return fs.statSync(p).isFile() ? `${f}:${fs.readFileSync(p).toString('base64').length}:${fs.statSync(p).mtimeMs}` : f;
  });
  const before = snapshot();
  const ok = await runKoppel(['audit', 'verify'], { env });
  t.equal(ok.code, 0, ok.stderr);
  const [, seq, mac] = /head (\d+) ([0-9a-f]{64})/.exec(ok.stdout)!;
  t.same(snapshot(), before, 'verify removed, wrote and touched nothing');

  const headFile = path.join(dir, 'heads.jsonl');
  fs.writeFileSync(headFile, `${JSON.stringify({ seq: Number(seq), mac, at: new Date().toISOString() })}\n`);
  const db = new Database(path.join(dataDir, 'koppel.db'));
  db.exec('DROP TRIGGER IF EXISTS audit_no_delete;');
  db.prepare('DELETE FROM audit WHERE seq = ?').run(Number(seq));
  db.close();
  const plain = await runKoppel(['audit', 'verify'], { env });
  t.equal(plain.code, 0, 'without a head kept elsewhere, a trail cut at its end still verifies (nothing inside remembers it)');
  const [bySeq, byFile] = await Promise.all([
    runKoppel(['audit', 'verify', '--expect-head', `${seq}:${mac}`], { env }),
    runKoppel(['audit', 'verify', '--expect-head', headFile], { env }),
  ]);
  t.equal(bySeq.code, 1, 'with --expect-head SEQ:MAC the cut is found');
  t.match(bySeq.stderr, /removed from the end/);
  t.equal(byFile.code, 1, 'and with the published head file');
});
