/**
 * Durable file primitives. The rule (design.md "Storage layout"): write to a temp name in the
 * same filesystem, fsync the file, rename, fsync the directory; only then record it in SQLite.
 * A rename is atomic on POSIX filesystems, and fsyncing the directory makes the new name survive
 * a power loss, so a reader sees either nothing or the whole file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsync a directory so renames and creations inside it are durable. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (err) {
    // Windows cannot open a directory for fsync; its rename is durable enough there.
    if (process.platform === 'win32') return;
    throw err;
  }
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EISDIR' && code !== 'EINVAL') throw err;
  } finally {
    fs.closeSync(fd);
  }
}

/** Marker in temp file names; startup removes any file carrying it. */
export const TEMP_MARKER = '.tmp-';

export function tempNameFor(target: string): string {
  return `${target}${TEMP_MARKER}${randomBytes(6).toString('hex')}`;
}

/** Write `data` to `target` atomically (temp name, fsync, rename, fsync dir). */
export function writeFileDurableSync(target: string, data: Uint8Array | string, mode = 0o600): void {
  writeDurableSync(target, (write) => write(typeof data === 'string' ? Buffer.from(data) : data), mode);
}

/**
 * Write `target` atomically from bytes produced in pieces: `fill` calls `write` as often as it
 * likes (each piece is written before `write` returns, so its memory may be reused), then the
 * file is fsynced, renamed over `target` and the directory fsynced. A failure removes the temp
 * file and leaves `target` as it was.
 */
export function writeDurableSync(target: string, fill: (write: (bytes: Uint8Array) => void) => void, mode = 0o600): void {
  const tmp = tempNameFor(target);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fill((bytes) => {
      for (let at = 0; at < bytes.length;) at += fs.writeSync(fd, bytes, at, bytes.length - at);
    });
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(path.dirname(target));
}

export function removeTree(target: string): void {
  fs.rmSync(target, { recursive: true, force: true });
}

/**
 * Names the store turns into file names (`<name>.arrow`): dataset names, `persons`, `links`.
 * Refusing anything else keeps a name from escaping its directory (`..`, `/`).
 */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function assertSafeName(name: string): void {
  if (!SAFE_NAME.test(name) || name.includes('..')) {
    throw new Error(`unsafe file name for the data directory (${name.length} characters); use letters, digits, '.', '-', '_'`);
  }
}

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}
