/**
 * Child process for store-sigkill.test.ts: writes deliveries into a store until it is killed.
 *   mode `stage`: stage one delivery and keep writing batches, never committing
 *   mode `loop`:  stage and commit (supersede) deliveries back to back
 * It prints a line to stdout after each step so the parent can time the SIGKILL.
 */
import { FixedSizeBinary, Table, Uint32, makeData, makeVector } from 'apache-arrow';
import { loadKeyring, openStore } from '../../src/store/index.js';

const [dataDir, keysDir, mode] = process.argv.slice(2);
const keyring = loadKeyring(keysDir);
const store = openStore({ dataDir, keyring });

function table(rows: number, seed: number): Table {
  const row = Uint32Array.from({ length: rows }, (_, i) => i);
  const pseudonyms = new Uint8Array(rows * 32);
  for (let i = 0; i < pseudonyms.length; i++) pseudonyms[i] = (i * 31 + seed * 7) & 0xff;
  return new Table({
    row: makeVector(makeData({ type: new Uint32(), length: rows, data: row })),
    pseudonym: makeVector(makeData({ type: new FixedSizeBinary(32), length: rows, data: pseudonyms })),
  });
}

const batch = table(4096, 1);

async function stageForever(): Promise<void> {
  const staging = store.stageDelivery();
  const sink = staging.linkageWriter(batch.schema);
  for (let i = 0; ; i++) {
    await sink.write(batch.batches[0]);
    process.stdout.write(`batch ${i}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function commitForever(): Promise<void> {
  for (let i = 0; ; i++) {
    const staging = store.stageDelivery();
    const linkage = staging.linkageWriter(batch.schema);
    const payload = staging.payloadWriter(batch.schema);
    for (let b = 0; b < 4; b++) {
      await linkage.write(batch.batches[0]);
      await payload.write(batch.batches[0]);
    }
    await linkage.close();
    await payload.close();
    store.commitDelivery(staging, {
      dataset: 'vdab_jobseekers', period: '2024Q1', bodySha256: i.toString(16).padStart(64, '0'), keyId: keyring.currentId,
      report: { iteration: i }, rowsKept: 4 * 4096, by: 'supplier:vdab', supersede: true,
    });
    process.stdout.write(`commit ${i}\n`);
  }
}

await (mode === 'stage' ? stageForever() : commitForever());
