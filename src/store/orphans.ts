/**
 * Startup cleanup: remove what a crash (even SIGKILL) can leave behind, so nothing
 * half-written ever becomes visible or lingers:
 *   - staging/<kind>-<pid>-<rand>/ of processes that are gone (or of our pid, but not ours)
 *   - deliveries/<id>/, jobs/<id>/, releases/<id>/ that no SQLite row records (a crash between
 *     the rename and the commit)
 *   - `*.tmp-*` temp files of atomic file replacement
 * It runs under the SQLite write lock, so a live process sharing the data directory is never
 * caught between its rename and its commit.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './database.js';
import { TEMP_MARKER, removeTree } from './durable-fs.js';
import { isStagingOpenHere, stagingOwner } from './staging.js';

export interface DataDirs {
  readonly staging: string;
  readonly deliveries: string;
  readonly jobs: string;
  readonly releases: string;
}

/** Whether the staging directory `name` of process `pid` may still be in use. */
function inUse(name: string, pid: number): boolean {
  // Our own pid: in use only if this process opened it; otherwise a previous life (pid reuse,
  // e.g. pid 1 in a container) left it.
  if (pid === process.pid) return isStagingOpenHere(name);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Remove temp files left by an interrupted atomic replace inside `dir` (one level). */
function removeTempFiles(dir: string): number {
  let removed = 0;
  for (const name of entries(dir)) {
    if (name.includes(TEMP_MARKER)) {
      removeTree(path.join(dir, name));
      removed++;
    }
  }
  return removed;
}

export function removeOrphans(db: Db, dirs: DataDirs): { staging: number; unrecorded: number; temp: number } {
  const known = (sql: string) => new Set(db.prepare(sql).pluck().all() as string[]);
  return db.transaction(() => {
    let staging = 0;
    for (const name of entries(dirs.staging)) {
      const owner = stagingOwner(name);
      if (owner === null || !inUse(name, owner)) {
        removeTree(path.join(dirs.staging, name));
        staging++;
      }
    }
    let unrecorded = 0;
    let temp = 0;
    const sweep = (dir: string, recorded: Set<string>) => {
      for (const name of entries(dir)) {
        const full = path.join(dir, name);
        if (!recorded.has(name)) {
          removeTree(full);
          unrecorded++;
        } else {
          temp += removeTempFiles(full);
        }
      }
    };
    sweep(dirs.deliveries, known('SELECT id FROM deliveries'));
    sweep(dirs.jobs, known('SELECT id FROM jobs WHERE files_json IS NOT NULL'));
    sweep(dirs.releases, known('SELECT id FROM releases'));
    return { staging, unrecorded, temp };
  }).immediate();
}
