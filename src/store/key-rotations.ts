/**
 * Master-key rotation windows (README "Key rotation"). HMAC pseudonyms cannot be converted to
 * another key without the national numbers, so a rotation is a window:
 *
 *   koppel keys rotate          koppel keys retire
 *        │  open: uploads are pseudonymised  │  closed: the pairs are deleted; the old key
 *        │  under the new key AND the old    │  file may be removed (after a backup, if the
 *        ▼  one; each pair goes to key_map   ▼  old deliveries should stay re-derivable)
 *
 * A pair (old pseudonym, new pseudonym) of one upload row is how a person "reappears": every
 * person known under the old key whose old pseudonym is in a pair gains the new pseudonym for
 * the same person id in `person_pseudonyms` (and a person first given an id under the new key
 * gains the old one, so a job under either key finds the same id). Pairs are stored under their
 * upload's tag (`staging:<dir>`) as the upload is written; its commit records which delivery the
 * upload became (one row, not a rewrite of every pair).
 */
import { KoppelError } from '../errors.js';
import type { Db } from './database.js';
import { now } from './ids.js';
import { linkageFileUnder } from './staging.js';

export interface RotationRecord {
  readonly id: number;
  readonly old_key_id: string;
  readonly new_key_id: string;
  readonly started_at: string;
  readonly started_by: string;
  readonly closed_at: string | null;
  readonly closed_by: string | null;
  readonly forced: boolean;
}

export interface RotationStatus {
  readonly rotation: RotationRecord;
  /** Persons with an id under the old key. */
  readonly persons_old: number;
  /** ... of which have a pseudonym under the new key as well. */
  readonly persons_mapped: number;
  /** Current deliveries per key id they were pseudonymised under (primary key). */
  readonly deliveries: Readonly<Record<string, number>>;
  /** Current deliveries that carry a copy under the old key too (made in the window). */
  readonly deliveries_both: number;
  /** Datasets with current deliveries but none under the new key: their suppliers have not delivered in the window. */
  readonly datasets_waiting: readonly string[];
  /** Jobs queued or running. */
  readonly jobs_active: number;
}

interface RotationRow extends Omit<RotationRecord, 'forced'> { forced: number }

const recordOf = (row: RotationRow): RotationRecord => ({ ...row, forced: row.forced === 1 });

export class KeyRotations {
  constructor(private readonly db: Db) {}

  /** The open window, if any. */
  open(): RotationRecord | null {
    const row = this.db.prepare<[], RotationRow>('SELECT * FROM key_rotations WHERE closed_at IS NULL').get();
    return row === undefined ? null : recordOf(row);
  }

  /** The newest window, open or closed. */
  latest(): RotationRecord | null {
    const row = this.db.prepare<[], RotationRow>('SELECT * FROM key_rotations ORDER BY id DESC LIMIT 1').get();
    return row === undefined ? null : recordOf(row);
  }

  /** Opens a window from `oldKeyId` to `newKeyId`; KEY_ROTATION_OPEN while another is open. */
  start(oldKeyId: string, newKeyId: string, by: string): RotationRecord {
    return this.db.transaction(() => {
      const open = this.open();
      if (open !== null) {
        throw new KoppelError('KOPPEL_ERR_KEY_ROTATION_OPEN', `a rotation from ${open.old_key_id} to ${open.new_key_id} is open since ${open.started_at}; retire it first`, { old_key_id: open.old_key_id, new_key_id: open.new_key_id });
      }
      this.db.prepare('INSERT INTO key_rotations (old_key_id, new_key_id, started_at, started_by) VALUES (?, ?, ?, ?)').run(oldKeyId, newKeyId, now(), by);
      return this.open()!;
    }).immediate();
  }

  /** Removes a window that never took effect (its key file could not be written). */
  cancel(id: number): void {
    this.db.prepare('DELETE FROM key_rotations WHERE id = ? AND closed_at IS NULL').run(id);
  }

  /** Closes the open window and deletes its pairs, in one transaction; KEY_NO_ROTATION if none is open. */
  close(by: string, forced: boolean): RotationRecord {
    return this.db.transaction(() => {
      const open = this.requireOpen();
      this.db.prepare('UPDATE key_rotations SET closed_at = ?, closed_by = ?, forced = ? WHERE id = ?').run(now(), by, forced ? 1 : 0, open.id);
      this.db.exec('DELETE FROM key_map; DELETE FROM key_map_deliveries');
      return recordOf(this.db.prepare<[number], RotationRow>('SELECT * FROM key_rotations WHERE id = ?').get(open.id)!);
    }).immediate();
  }

  requireOpen(): RotationRecord {
    const open = this.open();
    if (open === null) throw new KoppelError('KOPPEL_ERR_KEY_NO_ROTATION', 'no key rotation is open; start one with koppel keys rotate');
    return open;
  }

  /**
   * Stages `count` pairs: `oldPseudonyms` and `newPseudonyms` hold 32 bytes per pair, back to
   * back, in the same order. One statement per call (blobs cut by a recursive CTE, as persons.ts).
   */
  addPairs(tag: string, oldPseudonyms: Uint8Array, newPseudonyms: Uint8Array, count: number): void {
    if (count === 0) return;
    if (oldPseudonyms.length < count * 32 || newPseudonyms.length < count * 32) throw new RangeError(`fewer than ${count} pairs of pseudonyms`);
    const blob = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, count * 32);
    this.db.prepare(`
      WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x + 1 < @count)
      INSERT INTO key_map (upload, old_pseudonym, new_pseudonym)
      SELECT @tag, substr(@old, x * 32 + 1, 32), substr(@new, x * 32 + 1, 32) FROM i`).run({ count, tag, old: blob(oldPseudonyms), new: blob(newPseudonyms) });
  }

  /** Gives staged pairs to their delivery; call inside the delivery's commit transaction. */
  claimPairs(tag: string, deliveryId: string): void {
    this.db.prepare('INSERT INTO key_map_deliveries (upload, delivery) VALUES (?, ?)').run(tag, deliveryId);
  }

  /** Drops the staged pairs of an upload that did not commit. */
  dropPairs(tag: string): void {
    this.db.prepare('DELETE FROM key_map WHERE upload = ?').run(tag);
  }

  /**
   * Maps persons through the pairs of `deliveryIds` (both directions, see the module comment).
   * A pseudonym that already has a person keeps it. Returns how many pseudonyms were added.
   */
  mapPersons(deliveryIds: readonly string[]): number {
    const open = this.open();
    if (open === null || deliveryIds.length === 0) return 0;
    const ids = JSON.stringify(deliveryIds);
    const params = { ids, old: open.old_key_id, new: open.new_key_id };
    return this.db.transaction(() => {
      const forward = this.db.prepare(`
        INSERT OR IGNORE INTO person_pseudonyms (key_id, pseudonym, person_id)
        SELECT @new, m.new_pseudonym, p.person_id FROM key_map m
        JOIN person_pseudonyms p ON p.key_id = @old AND p.pseudonym = m.old_pseudonym
        WHERE m.upload IN (SELECT upload FROM key_map_deliveries WHERE delivery IN (SELECT value FROM json_each(@ids)))`).run(params).changes;
      const backward = this.db.prepare(`
        INSERT OR IGNORE INTO person_pseudonyms (key_id, pseudonym, person_id)
        SELECT @old, m.old_pseudonym, p.person_id FROM key_map m
        JOIN person_pseudonyms p ON p.key_id = @new AND p.pseudonym = m.new_pseudonym
        WHERE m.upload IN (SELECT upload FROM key_map_deliveries WHERE delivery IN (SELECT value FROM json_each(@ids)))`).run(params).changes;
      return forward + backward;
    }).immediate();
  }

  /** Counts for `koppel keys rotation` about the newest window. */
  status(): RotationStatus | null {
    const rotation = this.latest();
    if (rotation === null) return null;
    const persons = this.db.prepare<{ old: string; new: string }, { total: number; mapped: number | null }>(`
      SELECT COUNT(*) AS total, SUM(has_new) AS mapped FROM (
        SELECT person_id, MAX(key_id = @old) AS has_old, MAX(key_id = @new) AS has_new
        FROM person_pseudonyms WHERE key_id IN (@old, @new) GROUP BY person_id
      ) WHERE has_old = 1`).get({ old: rotation.old_key_id, new: rotation.new_key_id })!;
    const deliveries: Record<string, number> = {};
    let both = 0;
    const copy = `"${linkageFileUnder(rotation.old_key_id)}"`;
    for (const row of this.db.prepare<[], { key_id: string; files_json: string }>("SELECT key_id, files_json FROM deliveries WHERE status = 'current'").iterate()) {
      deliveries[row.key_id] = (deliveries[row.key_id] ?? 0) + 1;
      if (row.files_json.includes(copy)) both++;
    }
    const waiting = this.db.prepare<[string], { dataset: string }>(`
      SELECT dataset FROM deliveries WHERE status = 'current' GROUP BY dataset HAVING MAX(key_id = ?) = 0 ORDER BY dataset`).all(rotation.new_key_id);
    const jobs = this.db.prepare("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')").pluck().get() as number;
    return {
      rotation, persons_old: persons.total, persons_mapped: persons.mapped ?? 0, deliveries, deliveries_both: both,
      datasets_waiting: waiting.map((w) => w.dataset), jobs_active: jobs,
    };
  }
}
