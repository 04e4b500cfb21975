/**
 * The SQLite metadata database: `<data-dir>/koppel.db`, WAL mode, synchronous=FULL (a committed
 * transaction survives power loss, which the "record only after the files are durable" rule
 * relies on), foreign keys on, schema migrated via `PRAGMA user_version`.
 *
 * The file and its -wal and -shm companions are mode 0600 whatever the umask: they hold the
 * tokens' hashes, the audit trail and every recorded hash. The main file is created (or an
 * older one tightened) before SQLite opens it; SQLite gives the -wal and -shm files the main
 * file's mode, and they are tightened after opening too, in case they predate it.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

const PRIVATE_FILE = 0o600;

function restrict(file: string): void {
  if (process.platform === 'win32') return;
  try {
    if ((fs.statSync(file).mode & 0o777) !== PRIVATE_FILE) fs.chmodSync(file, PRIVATE_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function openDatabase(file: string): Db {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE));
  restrict(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // The CLI (token create, audit verify) may open the database while the server runs.
    db.pragma('busy_timeout = 5000');
    migrate(db);
    restrict(`${file}-wal`);
    restrict(`${file}-shm`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database schema (version ${current}) is newer than this Koppel (${MIGRATIONS.length}); upgrade Koppel`);
  }
  if (current === MIGRATIONS.length) return;
  db.transaction(() => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    const locked = db.pragma('user_version', { simple: true }) as number;
    for (let v = locked; v < MIGRATIONS.length; v++) {
      const step = MIGRATIONS[v];
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** Parse a JSON column; null stays null. */
export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
