/**
 * Key rotation in the pipeline (README "Key rotation"; the windows are store/key-rotations.ts).
 *
 * While a window is open, an upload is pseudonymised and encoded under the new (current) key as
 * always, and ALSO under the old key into `linkage_<old key id>.arrow` (same columns), and
 * every valid national number's pair (old pseudonym, new pseudonym) is staged in the store.
 * At commit the pairs become the delivery's, and persons known under the old key gain the new
 * pseudonym for the same person id.
 *
 * A job links under the newest key that all its deliveries have: old deliveries have the old
 * key only, window deliveries both, later ones the new key only. So a job over old and window
 * deliveries links on the old key, a job over window and later ones on the new key.
 */
import path from 'node:path';
import { makeData, Uint8, type Data, type FixedSizeBinary, type Schema } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { DatasetSchema } from '../model.js';
import { pseudonymiseNationalIds, PURPOSES } from '../pseudonymise/index.js';
import type { DeliveryRecord } from '../store/index.js';
import { recordBatchOf } from '../util/arrow-batch.js';
import { purposeKey, type PipelineContext } from './context.js';
import { LinkageEncoder, encodingKeys, linkageColumns } from './linkage-encoding.js';
import type { IngestBatch } from '../ingest/index.js';

type Staging = ReturnType<PipelineContext['store']['stageDelivery']>;
type Sink = ReturnType<Staging['linkageWriter']>;

/** Pairs stored per SQLite statement during an upload (~50 ms each on a loaded machine). */
const PAIRS_PER_STEP = 8192;

/** A copy's file name (store/staging.ts `linkageFileUnder`): `linkage_k<date>t<time>z_<hex4>.arrow`. */
const COPY_FILE = /^linkage_k(\d{8})t(\d{6})z_([0-9a-f]{4})\.arrow$/;

/** The key ids a delivery's linkage columns exist under: its own first, then its copies. */
export function deliveryKeys(delivery: DeliveryRecord): string[] {
  const copies = delivery.files.map((f) => COPY_FILE.exec(f.name)).filter((m) => m !== null).map(([, date, time, hex]) => `k${date}T${time}Z-${hex}`);
  return [delivery.key_id, ...copies];
}

/** The newest key id every delivery has (key ids sort by creation); KOPPEL_ERR_LINK_KEYS_DIFFER if none. */
export function commonKey(deliveries: readonly DeliveryRecord[]): string {
  let common = new Set(deliveryKeys(deliveries[0]));
  for (const d of deliveries.slice(1)) common = new Set(deliveryKeys(d).filter((k) => common.has(k)));
  if (common.size === 0) {
    const byKey = new Map<string, string[]>();
    for (const d of deliveries) byKey.set(d.key_id, [...(byKey.get(d.key_id) ?? []), d.id]);
    const groups = [...byKey].map(([key, ids]) => `${key}: ${ids.join(', ')}`).join('; ');
    throw new KoppelError('KOPPEL_ERR_LINK_KEYS_DIFFER', `the deliveries share no pseudonymisation key (${groups}); link them separately, or have the older ones delivered again (?supersede=true) so they are made under the current key`, { keys: byKey.size });
  }
  return [...common].sort().at(-1)!;
}

/**
 * The master key a longitudinal project's release pseudonyms are made under: the key of its
 * approved releases while the keyring still holds it (so a rotation window does not break the
 * series), else the current key (a new series: README "Key rotation").
 */
export function seriesKeyId(ctx: PipelineContext, projectId: string): string {
  const purpose = PURPOSES.release(projectId);
  for (const release of ctx.store.listReleases({ projectIds: [projectId], status: 'approved' })) {
    const keyId = (release.manifest.key_ids as Record<string, string> | undefined)?.[purpose];
    if (keyId !== undefined) return ctx.keyring.ids().includes(keyId) ? keyId : ctx.keyring.currentId;
  }
  return ctx.keyring.currentId;
}

/** Longitudinal projects whose release series is made under `keyId`. */
export function seriesUnder(ctx: PipelineContext, keyId: string): string[] {
  return ctx.store.listProjects().filter((p) => p.longitudinal === true && seriesKeyId(ctx, p.id) === keyId && ctx.store.ledgerReleases(p.id).length > 0).map((p) => p.id);
}

/** Persons known under either key of an open window gain the other key's pseudonym (no-op without a window). */
export function mapWindowPersons(ctx: PipelineContext, deliveries: readonly DeliveryRecord[]): void {
  const added = ctx.store.keyRotations.mapPersons(deliveries.map((d) => d.id));
  if (added > 0) ctx.log.info({ deliveries: deliveries.length, pseudonyms_added: added }, 'key rotation: persons mapped');
}

/** The valid rows' pseudonyms of a FixedSizeBinary(32) column, back to back, and how many. */
function validPseudonyms(column: Data<FixedSizeBinary>, status: Uint8Array): { bytes: Uint8Array; count: number } {
  const values = column.values as Uint8Array;
  let count = 0;
  for (let i = 0; i < status.length; i++) if (status[i] === 0) count++;
  const bytes = new Uint8Array(count * 32);
  for (let i = 0, j = 0; i < status.length; i++) {
    if (status[i] === 0) bytes.set(values.subarray((column.offset + i) * 32, (column.offset + i + 1) * 32), 32 * j++);
  }
  return { bytes, count };
}

/** An upload's copy under the old key of an open window (see the module comment). */
export class OldKeyCopy {
  private readonly linkKey: Uint8Array;
  private readonly encoder: LinkageEncoder;
  private readonly sink: Sink;
  private readonly tag: string;
  private oldPseudonyms: Data<FixedSizeBinary> | null = null;
  private claimed = false;

  private constructor(private readonly ctx: PipelineContext, readonly oldKeyId: string, schema: DatasetSchema, private readonly spec: Schema, staging: Staging) {
    this.linkKey = purposeKey(ctx, PURPOSES.nationalId, oldKeyId);
    this.encoder = new LinkageEncoder(linkageColumns(schema), encodingKeys(ctx, oldKeyId));
    this.sink = staging.linkageWriterUnder(oldKeyId, spec);
    this.tag = `staging:${path.basename(staging.dir)}`;
  }

  /**
   * A copy when a window is open, its new key is the one the upload is made under, and the old
   * key is still in the keyring; otherwise null (an upload begun before the rotation is an
   * old-key delivery; one after the old key file was removed is a new-key delivery only).
   */
  static open(ctx: PipelineContext, keyId: string, schema: DatasetSchema, spec: Schema, staging: Staging): OldKeyCopy | null {
    const window = ctx.store.keyRotations.open();
    if (window === null || window.new_key_id !== keyId) return null;
    if (!ctx.keyring.ids().includes(window.old_key_id)) {
      ctx.log.warn({ old_key_id: window.old_key_id }, 'key rotation: the old key is no longer in the keyring; the upload is made under the new key only');
      return null;
    }
    return new OldKeyCopy(ctx, window.old_key_id, schema, spec, staging);
  }

  /** Old-key pseudonyms of a batch: call before its cleartext digits are overwritten. */
  pseudonymise(digits: Uint8Array, status: Uint8Array): void {
    this.oldPseudonyms = pseudonymiseNationalIds(this.linkKey, digits, status);
  }

  /** Writes the batch's old-key linkage columns and stages its pairs. */
  async write(batch: IngestBatch, rows: Data, status: Uint8Array, newPseudonyms: Data<FixedSizeBinary>, quality: Record<string, { nulls: number; invalid: number }>): Promise<void> {
    const old = this.oldPseudonyms;
    if (old === null) throw new Error('OldKeyCopy.write before pseudonymise');
    this.oldPseudonyms = null;
    const encodings = await this.encoder.encodeBatch(batch.linkage, quality);
    await this.sink.write(recordBatchOf(this.spec, [rows, old, makeData({ type: new Uint8(), length: status.length, data: status }), ...encodings]));
    const a = validPseudonyms(old, status);
    const b = validPseudonyms(newPseudonyms, status);
    // In slices, with the event loop free between them: a batch's pairs are ~0.4 s of SQLite.
    for (let at = 0; at < a.count; at += PAIRS_PER_STEP) {
      const n = Math.min(PAIRS_PER_STEP, a.count - at);
      this.ctx.store.keyRotations.addPairs(this.tag, a.bytes.subarray(at * 32), b.bytes.subarray(at * 32), n);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    await this.sink.close();
  }

  /** For the commit's transaction: the staged pairs become the delivery's. */
  readonly claim = (deliveryId: string): void => {
    this.ctx.store.keyRotations.claimPairs(this.tag, deliveryId);
    this.claimed = true;
  };

  /** After a failed or repeated upload: its staged pairs go (never those of a committed delivery). */
  discard(): void {
    if (!this.claimed) this.ctx.store.keyRotations.dropPairs(this.tag);
  }
}
