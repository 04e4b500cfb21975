/**
 * File hashes in the audit trail. Upload, build, approve and download entries carry, in
 * `detail.files`, the data-dir-relative path and sha256 of every stored file they concern:
 *
 *   detail.files = [{ path: 'releases/<id>/persons.arrow', sha256: '<64 hex>', bytes: N }, ...]
 *
 * The database records the same hashes (files_json, the manifest), but whoever can rewrite the
 * database can swap a file and its recorded hash together. The entry is under the audit key's
 * HMAC chain, so `koppel audit verify` checks every file still on disk against it and finds the
 * swap. A path is only ever written once (ids are fresh, files immutable), so two entries that
 * record different hashes for one path are a finding too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { StoredFile } from './records.js';

export interface AuditedFile {
  /** Relative to the data dir, e.g. `deliveries/<id>/linkage.arrow`. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** What `checkAuditedFiles` found: how many files it hashed, how many are gone, the first mismatch. */
export interface AuditedFilesCheck {
  readonly checked: number;
  readonly missing: number;
  readonly mismatch: { readonly seq: number; readonly reason: string } | null;
}

// Only paths the store itself writes: a folder, an id, a file name. Anything else in an entry is
// reported, never opened (an entry is verified before this runs, but the check stays strict).
const AUDITED_PATH = /^(deliveries|jobs|releases)\/[a-z]{3}_[0-9a-f]{20}\/[a-z0-9][a-z0-9_]*\.(arrow|parquet|html)$/;
const HEX64 = /^[0-9a-f]{64}$/;
const CHUNK = 8 << 20;

export function auditedFiles(folder: 'deliveries' | 'releases', id: string, files: readonly StoredFile[]): AuditedFile[] {
  return files.map((f) => ({ path: `${folder}/${id}/${f.name}`, sha256: f.sha256, bytes: f.bytes }));
}

/** sha256 of a file read in pieces, without following a symlink at the last component. */
function hashFile(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let n = fs.readSync(fd, buffer, 0, CHUNK, null); n > 0; n = fs.readSync(fd, buffer, 0, CHUNK, null)) hash.update(buffer.subarray(0, n));
    return hash.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

function recordedFiles(detail: unknown): unknown[] {
  if (typeof detail !== 'object' || detail === null) return [];
  const files = (detail as { files?: unknown }).files;
  return Array.isArray(files) ? files : [];
}

/**
 * Checks the files that `entries` (seq and parsed detail, in chain order) recorded against the
 * data dir: each distinct path is hashed once; a missing file is counted (a superseded delivery
 * may be removed by an operator), a different one is the first mismatch, by entry.
 */
export function checkAuditedFiles(dataDir: string, entries: Iterable<{ seq: number; detail: unknown }>): AuditedFilesCheck {
  const recorded = new Map<string, { seq: number; sha256: string }>();
  for (const { seq, detail } of entries) {
    for (const raw of recordedFiles(detail)) {
      const f = raw as Partial<AuditedFile>;
      if (typeof f.path !== 'string' || !AUDITED_PATH.test(f.path) || typeof f.sha256 !== 'string' || !HEX64.test(f.sha256)) {
        return { checked: 0, missing: 0, mismatch: { seq, reason: `entry ${seq} records a file that is not a stored data file` } };
      }
      const earlier = recorded.get(f.path);
      if (earlier !== undefined && earlier.sha256 !== f.sha256) {
        return { checked: 0, missing: 0, mismatch: { seq, reason: `entry ${seq} records another sha256 for ${f.path} than entry ${earlier.seq}` } };
      }
      if (earlier === undefined) recorded.set(f.path, { seq, sha256: f.sha256 });
    }
  }
  let checked = 0;
  let missing = 0;
  for (const [relative, { seq, sha256 }] of recorded) {
    let actual: string;
    try {
      actual = hashFile(path.join(dataDir, relative));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        missing++;
        continue;
      }
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') return { checked, missing, mismatch: { seq, reason: `${relative} (recorded by entry ${seq}) is a symlink` } };
      throw err;
    }
    checked++;
    if (actual !== sha256) return { checked, missing, mismatch: { seq, reason: `${relative} does not match the sha256 that entry ${seq} recorded` } };
  }
  return { checked, missing, mismatch: null };
}
