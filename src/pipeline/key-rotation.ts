/**
 * The key rotation window's three steps (README "Key rotation"): rotate (a new master key,
 * current from now on, and an open window), status, and retire (close the window, seal the
 * audit entries keyed with the old key). What happens to uploads and jobs during the window is
 * key-window.ts. Every step is audited.
 */
import { KoppelError } from '../errors.js';
import { initKey, newKeyId, type RotationRecord, type RotationStatus } from '../store/index.js';
import { recordAudit } from './audit.js';
import type { PipelineContext } from './context.js';
import { seriesUnder } from './key-window.js';

/** A key id newer than `current` (ids sort by their creation second, then 4 random hex digits). */
function keyIdAfter(current: string): string {
  for (let i = 0; i < 64; i++) {
    const id = newKeyId();
    if (id > current) return id;
  }
  throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `the current key ${current} is dated in the future; check the system clock`, { keyId: current });
}

/**
 * Opens a window: records it, then writes the new key file, which makes the new key current for
 * every process with a live keyring (the server). An upload that starts before the file exists
 * is an old-key delivery, one after it is made under both keys.
 */
export function rotateKey(ctx: PipelineContext, actor: string): { rotation: RotationRecord; path: string } {
  const oldKeyId = ctx.keyring.currentId;
  const rotation = ctx.store.keyRotations.start(oldKeyId, keyIdAfter(oldKeyId), actor);
  let file: string;
  try {
    file = initKey(ctx.config.keysDir, rotation.new_key_id).path;
  } catch (err) {
    ctx.store.keyRotations.cancel(rotation.id);
    throw err;
  }
  recordAudit(ctx, { actor, action: 'keys.rotate', target: rotation.new_key_id, outcome: 'ok', detail: { old_key_id: oldKeyId, new_key_id: rotation.new_key_id } });
  return { rotation, path: file };
}

/** The newest window's counts (null if there never was one); audited as a read. */
export function rotationStatus(ctx: PipelineContext, actor: string): RotationStatus | null {
  const status = ctx.store.keyRotations.status();
  recordAudit(ctx, { actor, action: 'keys.rotation', target: status?.rotation.new_key_id, outcome: 'ok', detail: status === null ? { rotation: null } : { open: status.rotation.closed_at === null } });
  return status;
}

/** Why the old key is still needed (empty: it is not), and what retiring now costs. */
function retireBlockers(status: RotationStatus, series: readonly string[]): { reasons: string[]; cost: string } {
  const reasons: string[] = [];
  if (status.jobs_active > 0) reasons.push(`${status.jobs_active} job(s) are queued or running`);
  if (status.datasets_waiting.length > 0) reasons.push(`dataset(s) ${status.datasets_waiting.join(', ')} have not been delivered under the new key yet`);
  if (series.length > 0) reasons.push(`longitudinal project(s) ${series.join(', ')} release under the old key`);
  const left = status.persons_old - status.persons_mapped;
  const oldOnly = status.deliveries[status.rotation.old_key_id] ?? 0;
  const cost = `${left} person(s) not seen during the window will get a new persistent id (and new release pseudonyms) when they are next delivered; `
    + `${oldOnly} current delivery(ies) made under the old key only will link with each other and with deliveries made during the window, never with later ones, until they are delivered again`
    + (series.length > 0 ? `; the next release of ${series.join(', ')} will have new pseudonyms that researchers cannot join with the earlier releases` : '');
  return { reasons, cost };
}

/** `retireBlockers` for the newest window as the store has it now. */
export function retireBlockersNow(ctx: PipelineContext, status: RotationStatus): { reasons: string[]; cost: string } {
  return retireBlockers(status, status.rotation.closed_at === null ? seriesUnder(ctx, status.rotation.old_key_id) : []);
}

/**
 * Closes the window. Refused (KOPPEL_ERR_KEY_STILL_NEEDED, audited) while a job runs or a
 * dataset has no delivery under the new key, unless `force`. The `keys.retire` entry is keyed
 * with the new key and seals the entries keyed with the old one, so the old key file can be
 * removed and `koppel audit verify` still checks them.
 */
export function retireKey(ctx: PipelineContext, actor: string, force: boolean): { rotation: RotationRecord; cost: string; forced: boolean } {
  const open = ctx.store.keyRotations.requireOpen();
  if (ctx.keyring.currentId === open.old_key_id || !ctx.keyring.ids().includes(open.new_key_id)) {
    throw new KoppelError('KOPPEL_ERR_KEY_UNKNOWN_ID', `the keyring does not hold the rotation's new key ${open.new_key_id} as its current key; restore that key file first`, { keyId: open.new_key_id });
  }
  const status = ctx.store.keyRotations.status()!;
  const { reasons, cost } = retireBlockersNow(ctx, status);
  const detail = { old_key_id: open.old_key_id, new_key_id: open.new_key_id, persons_left: status.persons_old - status.persons_mapped, deliveries_old_key_only: status.deliveries[open.old_key_id] ?? 0 };
  if (reasons.length > 0 && !force) {
    recordAudit(ctx, { actor, action: 'keys.retire', target: open.old_key_id, outcome: 'refused', detail: { ...detail, reasons } });
    throw new KoppelError('KOPPEL_ERR_KEY_STILL_NEEDED', `the old key ${open.old_key_id} is still needed: ${reasons.join('; ')}. Retiring with --force now would cost: ${cost}`, { jobs: status.jobs_active, datasets: status.datasets_waiting.length });
  }
  const forced = reasons.length > 0;
  const rotation = ctx.store.closeKeyRotation(actor, forced, (seal) => ({
    actor, action: 'keys.retire', target: open.old_key_id, outcome: 'ok', detail: { ...detail, forced, ...(forced ? { reasons } : {}), seal },
  }));
  return { rotation, cost, forced };
}
