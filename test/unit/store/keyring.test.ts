import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ephemeralKeyring, initKey, listKeys, loadKeyring, writeKeyFile } from '../../../src/store/keyring.js';
import { tempDir } from './store-fixture.js';

const posix = process.platform !== 'win32';

t.test('initKey writes 32 random bytes as hex in a 0600 file inside a 0700 directory', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  const { keyId, path: file } = initKey(keysDir);
  t.match(keyId, /^k\d{8}T\d{6}Z-[0-9a-f]{4}$/);
  t.equal(path.basename(file), `${keyId}.key`);
  t.match(fs.readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
  if (posix) {
    t.equal(fs.statSync(file).mode & 0o777, 0o600);
    t.equal(fs.statSync(keysDir).mode & 0o777, 0o700);
  }
  t.same(fs.readdirSync(keysDir), [`${keyId}.key`], 'no temp file left behind');
});

t.test('initKey tightens an existing world-readable keys directory', { skip: !posix }, async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  fs.mkdirSync(keysDir, { mode: 0o755 });
  fs.chmodSync(keysDir, 0o755);
  initKey(keysDir);
  t.equal(fs.statSync(keysDir).mode & 0o777, 0o700);
});

t.test('two keys get different ids and the newest is current', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  const first = initKey(keysDir);
  // Ids sort by creation time at one-second resolution: put the second key in a later second.
  const later = first.keyId.replace(/T(\d{6})Z/, (_m, hms: string) => `T${String(Number(hms) + 1).padStart(6, '0')}Z`);
  fs.copyFileSync(first.path, path.join(keysDir, `${later}.key`));
  const ring = loadKeyring(keysDir);
  t.same(ring.ids(), [first.keyId, later]);
  t.equal(ring.currentId, later);
  t.same(listKeys(keysDir).map((k) => k.keyId), [first.keyId, later]);
  t.match(listKeys(keysDir)[0].createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
});

t.test('loadKeyring returns the key bytes of the file, as copies', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  const { keyId, path: file } = initKey(keysDir);
  const ring = loadKeyring(keysDir);
  const key = ring.get(keyId);
  t.equal(key.length, 32);
  t.equal(Buffer.from(key).toString('hex'), fs.readFileSync(file, 'utf8').trim());
  key.fill(0);
  t.not(Buffer.from(ring.get(keyId)).toString('hex'), '0'.repeat(64), 'mutating a returned key does not change the keyring');
});

t.test('an unknown key id is KOPPEL_ERR_KEY_UNKNOWN_ID', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  initKey(keysDir);
  t.throws(() => loadKeyring(keysDir).get('k20000101T000000Z-0000'), { code: 'KOPPEL_ERR_KEY_UNKNOWN_ID' });
});

t.test('no key, or no directory, is KOPPEL_ERR_KEY_MISSING', async (t) => {
  const dir = tempDir(t);
  t.throws(() => loadKeyring(path.join(dir, 'absent')), { code: 'KOPPEL_ERR_KEY_MISSING' });
  fs.mkdirSync(path.join(dir, 'empty'));
  fs.writeFileSync(path.join(dir, 'empty', 'README.md'), 'keys live here\n');
  t.throws(() => loadKeyring(path.join(dir, 'empty')), { code: 'KOPPEL_ERR_KEY_MISSING' });
  t.same(listKeys(path.join(dir, 'absent')), []);
});

t.test('a key file readable by group or others is refused with KOPPEL_ERR_KEY_INVALID', { skip: !posix }, async (t) => {
  for (const mode of [0o640, 0o604, 0o660]) {
    const keysDir = path.join(tempDir(t), 'keys');
    const { path: file } = initKey(keysDir);
    fs.chmodSync(file, mode);
    t.throws(() => loadKeyring(keysDir), { code: 'KOPPEL_ERR_KEY_INVALID' }, `mode ${mode.toString(8)}`);
  }
});

t.test('a malformed key file is refused and the message does not echo its content', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  const { path: file } = initKey(keysDir);
  fs.writeFileSync(file, 'SECRET-NOT-HEX-0123456789\n', { mode: 0o600 });
  const err = t.throws(() => loadKeyring(keysDir), { code: 'KOPPEL_ERR_KEY_INVALID' }) as Error;
  t.notMatch(err.message, /SECRET/);
  fs.writeFileSync(file, `${'ab'.repeat(31)}\n`, { mode: 0o600 }); // 31 bytes
  t.throws(() => loadKeyring(keysDir), { code: 'KOPPEL_ERR_KEY_INVALID' });
});

t.test('a .key file whose name is not a key id is refused', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  initKey(keysDir);
  fs.writeFileSync(path.join(keysDir, 'mine.key'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
  t.throws(() => loadKeyring(keysDir), { code: 'KOPPEL_ERR_KEY_INVALID' });
});

t.test('a key file is never overwritten: the same id again is KOPPEL_ERR_KEY_EXISTS', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  const first = initKey(keysDir);
  const before = fs.readFileSync(first.path, 'utf8');
  t.throws(() => writeKeyFile(keysDir, first.keyId, new Uint8Array(32).fill(7)), { code: 'KOPPEL_ERR_KEY_EXISTS' });
  t.equal(fs.readFileSync(first.path, 'utf8'), before);
  t.same(fs.readdirSync(keysDir), [`${first.keyId}.key`], 'no temp file left behind');
});

t.test('ephemeralKeyring holds one fresh 32-byte key in memory, different each time', async (t) => {
  const a = ephemeralKeyring();
  const b = ephemeralKeyring();
  t.equal(a.ids().length, 1);
  t.equal(a.get(a.currentId).length, 32);
  t.not(Buffer.from(a.get(a.currentId)).toString('hex'), Buffer.from(b.get(b.currentId)).toString('hex'));
});

t.test('a symlinked key file is refused, even when it points at a valid private key', { skip: !posix }, async (t) => {
  const dir = tempDir(t);
  const elsewhere = path.join(dir, 'elsewhere');
  const real = initKey(elsewhere);
  const keysDir = path.join(dir, 'keys');
  fs.mkdirSync(keysDir, { mode: 0o700 });
  fs.symlinkSync(real.path, path.join(keysDir, `${real.keyId}.key`));
  t.throws(() => loadKeyring(keysDir), { code: 'KOPPEL_ERR_KEY_INVALID', message: /is a symlink/ });
});

t.test('a key "file" that is a directory is refused without being opened', { skip: !posix }, async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  const { keyId } = initKey(keysDir);
  fs.mkdirSync(path.join(keysDir, `${keyId.replace(/-[0-9a-f]{4}$/, '-ffff')}.key`), { mode: 0o700 });
  t.throws(() => loadKeyring(keysDir), { code: 'KOPPEL_ERR_KEY_INVALID', message: /not a regular file/ });
});

t.test('a live keyring follows the keys directory: a new key becomes current, a removed one is gone', async (t) => {
  const keysDir = path.join(tempDir(t), 'keys');
  const first = initKey(keysDir, 'k20260101T000000Z-aaaa').keyId;
  const fixed = loadKeyring(keysDir);
  const live = loadKeyring(keysDir, { live: true });
  t.equal(live.currentId, first);
  const second = initKey(keysDir, 'k20260102T000000Z-bbbb').keyId;
  t.equal(live.currentId, second, 'the newer key is current without reloading');
  t.equal(fixed.currentId, first, 'a keyring loaded without live stays as it was');
  t.equal(live.get(second).length, 32);
  fs.rmSync(path.join(keysDir, `${first}.key`));
  t.same(live.ids(), [second], 'a removed key file leaves the keyring');
  t.throws(() => live.get(first), { code: 'KOPPEL_ERR_KEY_UNKNOWN_ID' });
  fs.rmSync(path.join(keysDir, `${second}.key`));
  t.throws(() => live.currentId, { code: 'KOPPEL_ERR_KEY_MISSING' }, 'an emptied keys dir is an error, not a stale key');
});
