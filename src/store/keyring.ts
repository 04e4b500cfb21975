/**
 * The keyring: the only code that reads key files (design.md "Keys").
 *
 * Layout of `<keys-dir>` (outside the data dir, never in git, mode 0700):
 *   <key-id>.key      64 lowercase hex digits (the 32-byte master key) and a newline, mode 0600
 * A key id is `k<YYYYMMDD>T<HHMMSS>Z-<4 hex>`, so sorting ids sorts keys by creation and the
 * newest is the current key. Keys are never overwritten: a new key is linked into place with
 * link(2), which fails if the name exists. Other files (a README) are ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KoppelError } from '../errors.js';
import { fsyncDir, tempNameFor } from './durable-fs.js';

export interface Keyring {
  /** The id new pseudonyms, encodings and audit entries are made with. */
  readonly currentId: string;
  /** A copy of the 32-byte master key; unknown id -> KOPPEL_ERR_KEY_UNKNOWN_ID. */
  get(id: string): Uint8Array;
  /** All key ids, oldest first. */
  ids(): string[];
}

export interface KeyInfo {
  readonly keyId: string;
  readonly createdAt: string;
}

const KEY_FILE = /^(k(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{4})\.key$/;
const KEY_BYTES = 32;

/** A fresh key id for a key created now (it sorts after every older key's id). */
export function newKeyId(): string {
  return keyIdAt(new Date());
}

function keyIdAt(date: Date): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').slice(0, 15); // YYYYMMDDTHHMMSS
  return `k${stamp}Z-${randomBytes(2).toString('hex')}`;
}

function createdAtOf(match: RegExpExecArray): string {
  const [, , y, mo, d, h, mi, s] = match;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
}

/** Key files present in `keysDir`, oldest first; a missing directory has none. */
function keyFiles(keysDir: string): { keyId: string; file: string; createdAt: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync(keysDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: { keyId: string; file: string; createdAt: string }[] = [];
  for (const name of names) {
    if (!name.endsWith('.key')) continue;
    const match = KEY_FILE.exec(name);
    if (match === null) {
      throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `key file ${name} does not have the form k<YYYYMMDD>T<HHMMSS>Z-<hex4>.key`, { file: name });
    }
    out.push({ keyId: match[1], file: path.join(keysDir, name), createdAt: createdAtOf(match) });
  }
  return out.sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
}

/**
 * Create a new master key: 32 random bytes, file mode 0600 in a 0700 directory. Returns the id.
 * Never overwrites an existing key (KOPPEL_ERR_KEY_EXISTS).
 */
export function initKey(keysDir: string, keyId: string = newKeyId()): { keyId: string; path: string } {
  const key = randomBytes(KEY_BYTES);
  try {
    return writeKeyFile(keysDir, keyId, key);
  } finally {
    key.fill(0);
  }
}

/** Write `key` as `<keyId>.key`: temp file, fsync, link(2) into place (never replaces), fsync dir. */
export function writeKeyFile(keysDir: string, keyId: string, key: Uint8Array): { keyId: string; path: string } {
  if (!KEY_FILE.test(`${keyId}.key`) || key.length !== KEY_BYTES) throw new TypeError('writeKeyFile needs a key id and 32 key bytes');
  fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    // An existing directory (e.g. a checked-out `keys/` folder) may be world-readable.
    fs.chmodSync(keysDir, 0o700);
  }
  const target = path.join(keysDir, `${keyId}.key`);
  const tmp = tempNameFor(target);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, `${Buffer.from(key.buffer, key.byteOffset, key.length).toString('hex')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, target); // fails with EEXIST instead of replacing a key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KoppelError('KOPPEL_ERR_KEY_EXISTS', `a key with id ${keyId} already exists`, { keyId });
    }
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(keysDir);
  return { keyId, path: target };
}

export function listKeys(keysDir: string): KeyInfo[] {
  return keyFiles(keysDir).map(({ keyId, createdAt }) => ({ keyId, createdAt }));
}

/**
 * A key file is read only as itself: a symlink is refused (lstat), and the file is opened with
 * O_NOFOLLOW and checked again on the open descriptor, so a link swapped in between the check
 * and the read is refused too. Following a link would let whoever can write the keys dir point
 * Koppel at a key it does not own, or make it read a file it should not.
 */
function readKeyFile(keyId: string, file: string): Uint8Array {
  const entry = fs.lstatSync(file);
  if (entry.isSymbolicLink()) {
    throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `key file ${keyId}.key is a symlink; put the key file itself in the keys directory`, { keyId });
  }
  // Checked before opening too: opening a FIFO for reading would wait for a writer.
  if (!entry.isFile()) throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `key ${keyId}.key is not a regular file`, { keyId });
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `key file ${keyId}.key is a symlink; put the key file itself in the keys directory`, { keyId });
    throw err;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `key ${keyId}.key is not a regular file`, { keyId });
    }
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `key file ${keyId}.key is readable or writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`, { keyId, mode: (stat.mode & 0o777).toString(8) });
    }
    const text = fs.readFileSync(fd, 'utf8').replace(/\r?\n$/, '');
    if (!/^[0-9a-f]{64}$/.test(text)) {
      // The message says what is wrong with the file, never what it contains.
      throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `key file ${keyId}.key must hold exactly 64 lowercase hex digits`, { keyId, length: text.length });
    }
    return Uint8Array.from(Buffer.from(text, 'hex'));
  } finally {
    fs.closeSync(fd);
  }
}

function keyringOf(keys: Map<string, Uint8Array>): Keyring {
  const ids = [...keys.keys()].sort();
  const currentId = ids[ids.length - 1];
  return Object.freeze({
    currentId,
    get(id: string): Uint8Array {
      const key = keys.get(id);
      if (key === undefined) {
        throw new KoppelError('KOPPEL_ERR_KEY_UNKNOWN_ID', `the keyring holds no key with id ${id}`, { keyId: id });
      }
      return key.slice();
    },
    ids: () => ids.slice(),
  });
}

/** Every key of `keysDir`, reusing bytes already read for an id (a key file is never rewritten). */
function readKeys(keysDir: string, known: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const files = keyFiles(keysDir);
  if (files.length === 0) {
    throw new KoppelError('KOPPEL_ERR_KEY_MISSING', `no key in the keys directory ${keysDir}`, { keysDir });
  }
  const keys = new Map<string, Uint8Array>();
  for (const { keyId, file } of files) keys.set(keyId, known.get(keyId) ?? readKeyFile(keyId, file));
  return keys;
}

/**
 * Load every key of `keysDir`; no key -> KOPPEL_ERR_KEY_MISSING; unsafe or malformed -> KEY_INVALID.
 * With `live`, the keyring lists the directory again on each use (a readdir of a few names), so
 * a long-running server follows `koppel keys rotate` (a new current key) and the removal of a
 * retired key file without a restart.
 */
export function loadKeyring(keysDir: string, options: { live?: boolean } = {}): Keyring {
  let keys = readKeys(keysDir, new Map());
  let ring = keyringOf(keys);
  if (options.live !== true) return ring;
  const fresh = (): Keyring => {
    const names = keyFiles(keysDir).map((f) => f.keyId);
    const held = ring.ids();
    if (names.length !== held.length || names.some((id, i) => id !== held[i])) {
      keys = readKeys(keysDir, keys);
      ring = keyringOf(keys);
    }
    return ring;
  };
  return Object.freeze({
    get currentId(): string { return fresh().currentId; },
    get: (id: string) => fresh().get(id),
    ids: () => fresh().ids(),
  });
}

/** A fresh random key held in memory only (for `koppel link` without `--keys`). */
export function ephemeralKeyring(): Keyring {
  const id = keyIdAt(new Date()).replace(/^k/, 'e');
  return keyringOf(new Map([[id, Uint8Array.from(randomBytes(KEY_BYTES))]]));
}
