/** Shared setup for the store tests: a temp data dir + keys dir, and seeded synthetic tables. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  FixedSizeBinary, Float64, Table, Uint32, makeData, makeVector, type RecordBatch,
} from 'apache-arrow';
import type { DatasetSchema, ProjectSpec } from '../../../src/model.js';
import { initKey, loadKeyring, openStore, type Keyring, type Store } from '../../../src/store/index.js';
import { seededRandom as prng } from '../../../src/util/seeded-random.js';

export { prng };

export interface Fixture {
  readonly dir: string;
  readonly dataDir: string;
  readonly keysDir: string;
  readonly keyring: Keyring;
  readonly store: Store;
  reopen(opts?: { keyring?: Keyring | null }): Store;
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

export function tempDir(t: Teardown, prefix = 'koppel-store-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function storeFixture(t: Teardown): Fixture {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  initKey(keysDir);
  const keyring = loadKeyring(keysDir);
  const opened: Store[] = [];
  const open = (k: Keyring | undefined) => {
    const s = openStore({ dataDir, keyring: k });
    opened.push(s);
    return s;
  };
  t.teardown(() => {
    for (const s of opened) s.close();
  });
  const store = open(keyring);
  return {
    dir, dataDir, keysDir, keyring, store,
    reopen: (opts = {}) => open(opts.keyring === null ? undefined : (opts.keyring ?? keyring)),
  };
}


export function randomBytesSeeded(n: number, rand: () => number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** A linkage-like table: row numbers, 32-byte pseudonyms, a numeric attribute. */
export function sampleTable(rows: number, seed: number): Table {
  const rand = prng(seed);
  const row = Uint32Array.from({ length: rows }, (_, i) => i);
  const pseudonyms = randomBytesSeeded(rows * 32, rand);
  const value = Float64Array.from({ length: rows }, () => Math.round(rand() * 100000) / 100);
  return new Table({
    row: makeVector(makeData({ type: new Uint32(), length: rows, data: row })),
    pseudonym: makeVector(makeData({ type: new FixedSizeBinary(32), length: rows, data: pseudonyms })),
    value: makeVector(makeData({ type: new Float64(), length: rows, data: value })),
  });
}

export function sampleSchema(name = 'vdab_jobseekers'): DatasetSchema {
  return {
    name,
    supplier: 'vdab',
    schedule: 'quarterly',
    columns: [
      { name: 'insz', role: 'national_id' },
      { name: 'uitkering_cent', role: 'attribute', type: 'number', unit: 'EUR cent' },
    ],
  };
}

export function sampleProject(): ProjectSpec {
  return {
    title: 'Transitions from unemployment',
    purpose: 'research',
    legal_basis: 'IVC deliberation 22/123',
    valid_from: '2026-01-01',
    valid_to: '2027-12-31',
    researchers: ['researcher:an'],
    approved: { vdab_jobseekers: ['uitkering_cent'] },
    key_variables: [],
    k: 5,
  };
}

async function writeAll(sink: { write(b: RecordBatch): Promise<void>; close(): Promise<void> }, table: Table): Promise<void> {
  for (const batch of table.batches) await sink.write(batch);
  await sink.close();
}

/** Stage a delivery of `table` (as linkage and payload) and commit it. */
export async function deliver(
  store: Store,
  keyring: Keyring,
  meta: { dataset?: string; period?: string; body?: string; supersede?: boolean; table?: Table },
) {
  const table = meta.table ?? sampleTable(10, 1);
  const staging = store.stageDelivery();
  await writeAll(staging.linkageWriter(table.schema), table);
  await writeAll(staging.payloadWriter(table.schema), table);
  return store.commitDelivery(staging, {
    dataset: meta.dataset ?? 'vdab_jobseekers',
    period: meta.period ?? '2024Q1',
    bodySha256: meta.body ?? 'a'.repeat(64),
    keyId: keyring.currentId,
    report: { rows_read: table.numRows, rows_kept: table.numRows },
    rowsKept: table.numRows,
    by: 'supplier:vdab',
    supersede: meta.supersede ?? false,
  });
}

/** Entries of a directory, [] when it does not exist. */
export function ls(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}
