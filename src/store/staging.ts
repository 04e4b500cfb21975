/**
 * Staging directories: where a delivery, a job's output or a release is written before it is
 * published by one rename into `deliveries/`, `jobs/` or `releases/`.
 *
 *   <data-dir>/staging/<kind>-<pid>-<random>/   being written by process <pid>
 *        │  every file fsynced, the directory fsynced
 *        ▼  rename(2), inside the SQLite write transaction that records it
 *   <data-dir>/<kind>s/<id>/                     visible only once its row exists
 *
 * The pid in the name lets startup remove the staging directories of dead processes without
 * touching those of a live server that shares the data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { RecordBatch, Schema, Table } from 'apache-arrow';
import { openBatchSink, writeTableFileSync, type BatchSink, type OpenBatchSink, type WrittenFile } from './arrow-files.js';
import { assertSafeName, fsyncDir, removeTree } from './durable-fs.js';
import type { StoredFile } from './records.js';

export type StagingKind = 'delivery' | 'job' | 'release';

const STAGING_NAME = /^(delivery|job|release)-(\d+)-[0-9a-f]{12}$/;

/** The pid that owns a staging directory name, or null if the name is not one of ours. */
export function stagingOwner(name: string): number | null {
  const match = STAGING_NAME.exec(name);
  return match === null ? null : Number(match[2]);
}

/**
 * Staging directories this process has open. Startup cleanup spares them, so a second store
 * opened in the same process (a test, the CLI run in-process) cannot pull one from under us.
 */
const openHere = new Set<string>();

export function isStagingOpenHere(name: string): boolean {
  return openHere.has(name);
}

/** Bytes hashed and written per step by `writeBytes`: ~1-3 ms of work, then the event loop runs. */
const WRITE_SLICE = 1 << 20;

export class StagingDir {
  readonly dir: string;
  /** Data files: null while being written. */
  private readonly files = new Map<string, StoredFile | null>();
  private readonly sinks: OpenBatchSink[] = [];
  private state: 'open' | 'published' | 'aborted' = 'open';

  constructor(stagingRoot: string, kind: StagingKind) {
    this.dir = path.join(stagingRoot, `${kind}-${process.pid}-${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(this.dir, { mode: 0o700 });
    openHere.add(path.basename(this.dir));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** An incremental Arrow IPC file writer for `<fileName>` in this directory. */
  openSink(fileName: string, schema: Schema): BatchSink {
    this.claim(fileName);
    const sink = openBatchSink(path.join(this.dir, fileName), schema, (info: WrittenFile) => {
      this.files.set(fileName, { name: fileName, ...info });
    });
    this.sinks.push(sink);
    return {
      write: (batch: RecordBatch) => sink.write(batch),
      close: () => sink.close(),
    };
  }

  writeTable(fileName: string, table: Table): StoredFile {
    this.claim(fileName);
    const stored = { name: fileName, ...writeTableFileSync(path.join(this.dir, fileName), table) };
    this.files.set(fileName, stored);
    return stored;
  }

  /**
   * An already-encoded file (e.g. Arrow IPC bytes built in a worker thread), written and hashed
   * in slices with the event loop free between them: a job's files run to hundreds of MB, and
   * hashing or writing them in one synchronous call would stall the server for that long.
   */
  async writeBytes(fileName: string, bytes: Uint8Array, rows?: number): Promise<StoredFile> {
    this.claim(fileName);
    const hash = createHash('sha256');
    const handle = await fs.promises.open(path.join(this.dir, fileName), 'wx', 0o600);
    try {
      for (let at = 0; at < bytes.byteLength; at += WRITE_SLICE) {
        const slice = bytes.subarray(at, Math.min(at + WRITE_SLICE, bytes.byteLength));
        hash.update(slice);
        let done = 0;
        while (done < slice.byteLength) done += (await handle.write(slice, done, slice.byteLength - done)).bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const stored: StoredFile = { name: fileName, bytes: bytes.byteLength, sha256: hash.digest('hex'), ...(rows === undefined ? {} : { rows }) };
    this.files.set(fileName, stored);
    return stored;
  }

  /** An encoded file written and hashed in one synchronous call (a release's Parquet and HTML files). */
  writeBytesSync(fileName: string, bytes: Uint8Array): StoredFile {
    this.claim(fileName);
    const stored = writeBytesFileSync(this.dir, fileName, bytes);
    this.files.set(fileName, stored);
    return stored;
  }

  /**
   * Records files that another thread wrote into this directory (`writeStagedTable`,
   * `writeStagedBytes`), each checked to be there at its reported size; returns them.
   */
  adopt(written: readonly StoredFile[]): StoredFile[] {
    return written.map((file) => {
      this.claim(file.name);
      const { size } = fs.statSync(path.join(this.dir, file.name));
      if (size !== file.bytes) throw new Error(`staged file ${file.name} has ${size} bytes, not the ${file.bytes} its writer reported`);
      const stored = { ...file };
      this.files.set(file.name, stored);
      return stored;
    });
  }

  /** A text side file such as report.json or manifest.json (not listed among the data files). */
  writeText(fileName: string, text: string): void {
    this.assertOpen();
    assertSafeName(fileName);
    const fd = fs.openSync(path.join(this.dir, fileName), 'wx', 0o600);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The finished data files; throws if one was opened and never closed. */
  completedFiles(): StoredFile[] {
    const out: StoredFile[] = [];
    for (const [name, info] of this.files) {
      if (info === null) throw new Error(`staged file ${name} was not closed before commit`);
      out.push(info);
    }
    return out;
  }

  /** Whether `<fileName>` was finished (sink closed, or written whole). */
  has(fileName: string): boolean {
    const info = this.files.get(fileName);
    return info !== undefined && info !== null;
  }

  /**
   * Make the directory durable and move it to `target` (which must not exist). Call inside the
   * SQLite transaction that records it; on a crash before the commit, startup removes `target`.
   */
  publish(target: string): void {
    this.assertOpen();
    fsyncDir(this.dir);
    fs.renameSync(this.dir, target);
    this.state = 'published';
    openHere.delete(path.basename(this.dir));
    fsyncDir(path.dirname(target));
    fsyncDir(path.dirname(this.dir));
  }

  /** Discard everything staged; safe to call more than once and after a failed commit. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    for (const sink of this.sinks) sink.discard();
    removeTree(this.dir);
    openHere.delete(path.basename(this.dir));
  }

  private claim(fileName: string): void {
    this.assertOpen();
    assertSafeName(fileName);
    if (this.files.has(fileName)) throw new Error(`staged file ${fileName} was already written`);
    this.files.set(fileName, null);
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`the staging directory was already ${this.state}`);
  }
}

/** `links` and `links.arrow` both name links.arrow. */
export function arrowFileName(name: string): string {
  return name.endsWith('.arrow') ? name : `${name}.arrow`;
}

/** An encoded file written, fsynced and hashed in one synchronous call. */
function writeBytesFileSync(dir: string, fileName: string, bytes: Uint8Array): StoredFile {
  const fd = fs.openSync(path.join(dir, fileName), 'wx', 0o600);
  try {
    fs.writeFileSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { name: fileName, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * A staging directory as the store hands it to a writer on another thread (a release build's
 * worker): the writer puts files in it with the two functions below, and the thread that owns
 * the StagingDir adopts them (`adopt`) and publishes.
 */
export interface StagingRef {
  readonly dir: string;
}

/** `<name>.arrow` in a staging directory, one batch in memory at a time, hashed as it is written. */
export function writeStagedTable(ref: StagingRef, name: string, table: Table): StoredFile {
  const fileName = arrowFileName(name);
  assertSafeName(fileName);
  return { name: fileName, ...writeTableFileSync(path.join(ref.dir, fileName), table) };
}

/** An encoded file (Parquet, HTML) in a staging directory, written and hashed in one call. */
export function writeStagedBytes(ref: StagingRef, fileName: string, bytes: Uint8Array): StoredFile {
  assertSafeName(fileName);
  return writeBytesFileSync(ref.dir, fileName, bytes);
}

/** What `Store.stageDelivery()` returns (the brief's DeliveryStaging). */
export interface DeliveryStaging {
  readonly dir: string;
  linkageWriter(schema: Schema): BatchSink;
  /** The same linkage columns made under another key (`linkage.<key id>.arrow`), during a key rotation window. */
  linkageWriterUnder(keyId: string, schema: Schema): BatchSink;
  payloadWriter(schema: Schema): BatchSink;
  abort(): void;
}

export const LINKAGE_FILE = 'linkage.arrow';
export const PAYLOAD_FILE = 'payload.arrow';
/**
 * A delivery's linkage file under a key other than its own (made during a rotation window):
 * `linkage_<key id in lower case, '-' as '_'>.arrow`, a name of the form audit-files.ts accepts.
 */
export const linkageFileUnder = (keyId: string): string => `linkage_${keyId.toLowerCase().replace(/-/g, '_')}.arrow`;

/** The staging directory behind a DeliveryStaging handed out by this store. */
const stagingOf = new WeakMap<DeliveryStaging, StagingDir>();

export function newDeliveryStaging(stagingRoot: string): DeliveryStaging {
  const staging = new StagingDir(stagingRoot, 'delivery');
  const handle: DeliveryStaging = {
    dir: staging.dir,
    linkageWriter: (schema) => staging.openSink(LINKAGE_FILE, schema),
    linkageWriterUnder: (keyId, schema) => staging.openSink(linkageFileUnder(keyId), schema),
    payloadWriter: (schema) => staging.openSink(PAYLOAD_FILE, schema),
    abort: () => staging.abort(),
  };
  stagingOf.set(handle, staging);
  return handle;
}

export function stagingDirOf(handle: DeliveryStaging): StagingDir {
  const staging = stagingOf.get(handle);
  if (staging === undefined) throw new Error('not a delivery staging handle of this store');
  return staging;
}
