/**
 * Persistent person ids (design.md "Storage layout": the input of release pseudonyms). A person
 * found by linkage pseudonym keeps its id across jobs; a record without a pseudonym gets an id
 * tied to (delivery, row). Both draw from one counter, so ids never collide.
 *
 * Resolution is set-based, not a statement per row: the whole input goes into a temp table in
 * one statement (pseudonyms as one blob cut by a recursive CTE, row numbers as one JSON array:
 * ~10x faster than binding a parameter per row), then one INSERT ... SELECT creates the missing
 * persons (numbered in order of first appearance, so the result is deterministic) and one
 * join reads every id back. All in one write transaction.
 */
import type Database from 'better-sqlite3';
import { KoppelError } from '../errors.js';
import type { Db } from './database.js';

type Statement = Database.Statement<unknown[]>;

export class Persons {
  private readonly loadPseudonyms: Statement;
  private readonly loadRows: Statement;
  private readonly lastId: Statement;
  private readonly bumpCounter: Statement;
  private readonly newFromPseudonyms: Statement;
  private readonly readPseudonyms: Statement;
  private readonly newFromRows: Statement;
  private readonly readRows: Statement;
  private readonly deliveryExists: Statement;
  private readonly loadIds: Statement;
  private readonly insertChosen: Statement;
  private readonly anyUnderKey: Statement;

  constructor(private readonly db: Db) {
    db.exec(`
      CREATE TEMP TABLE IF NOT EXISTS resolve_pseudonyms (idx INTEGER PRIMARY KEY, pseudonym BLOB NOT NULL);
      CREATE TEMP TABLE IF NOT EXISTS resolve_rows (idx INTEGER PRIMARY KEY, row INTEGER NOT NULL);
      CREATE TEMP TABLE IF NOT EXISTS resolve_ids (idx INTEGER PRIMARY KEY, person_id INTEGER NOT NULL);
    `);
    this.loadPseudonyms = db.prepare(`
      WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x + 1 < @count)
      INSERT INTO temp.resolve_pseudonyms (idx, pseudonym) SELECT x, substr(@blob, x * 32 + 1, 32) FROM i`);
    this.loadRows = db.prepare('INSERT INTO temp.resolve_rows (idx, row) SELECT key, value FROM json_each(?)');
    this.lastId = db.prepare('SELECT last FROM person_counter WHERE one = 1').pluck();
    this.bumpCounter = db.prepare('UPDATE person_counter SET last = last + ? WHERE one = 1');
    this.newFromPseudonyms = db.prepare(`
      INSERT INTO person_pseudonyms (key_id, pseudonym, person_id)
      SELECT @keyId, r.pseudonym, @base + ROW_NUMBER() OVER (ORDER BY MIN(r.idx))
      FROM temp.resolve_pseudonyms r
      WHERE NOT EXISTS (SELECT 1 FROM person_pseudonyms p WHERE p.key_id = @keyId AND p.pseudonym = r.pseudonym)
      GROUP BY r.pseudonym`);
    this.readPseudonyms = db.prepare(`
      SELECT r.idx, p.person_id FROM temp.resolve_pseudonyms r
      JOIN person_pseudonyms p ON p.key_id = ? AND p.pseudonym = r.pseudonym`).raw();
    this.newFromRows = db.prepare(`
      INSERT INTO person_records (delivery_id, row, person_id)
      SELECT @deliveryId, r.row, @base + ROW_NUMBER() OVER (ORDER BY MIN(r.idx))
      FROM temp.resolve_rows r
      WHERE NOT EXISTS (SELECT 1 FROM person_records p WHERE p.delivery_id = @deliveryId AND p.row = r.row)
      GROUP BY r.row`);
    this.deliveryExists = db.prepare('SELECT 1 FROM deliveries WHERE id = ?').pluck();
    this.loadIds = db.prepare('INSERT INTO temp.resolve_ids (idx, person_id) SELECT key, value FROM json_each(?)');
    this.insertChosen = db.prepare(`
      INSERT OR IGNORE INTO person_pseudonyms (key_id, pseudonym, person_id)
      SELECT ?, r.pseudonym, i.person_id FROM temp.resolve_pseudonyms r JOIN temp.resolve_ids i USING (idx) ORDER BY r.idx`);
    this.anyUnderKey = db.prepare('SELECT 1 FROM person_pseudonyms WHERE key_id = ? LIMIT 1').pluck();
    this.readRows = db.prepare(`
      SELECT r.idx, p.person_id FROM temp.resolve_rows r
      JOIN person_records p ON p.delivery_id = ? AND p.row = r.row`).raw();
  }

  /**
   * Person ids for `count` valid 32-byte pseudonyms laid out back to back (the caller leaves out
   * null pseudonyms). Equal pseudonyms get equal ids, within the call and across calls.
   */
  byPseudonym(pseudonyms: Uint8Array, count: number, keyId: string): Float64Array {
    if (pseudonyms.length < count * 32) throw new RangeError(`pseudonyms holds ${pseudonyms.length} bytes, fewer than ${count} x 32`);
    const blob = Buffer.from(pseudonyms.buffer, pseudonyms.byteOffset, count * 32);
    return this.resolve(count, 'temp.resolve_pseudonyms', () => {
      this.loadPseudonyms.run({ count, blob });
      const base = this.lastId.get() as number;
      this.bumpCounter.run(this.newFromPseudonyms.run({ keyId, base }).changes);
      return this.readPseudonyms.iterate(keyId) as Iterable<[number, number]>;
    });
  }

  /**
   * Person ids of pseudonyms already known, NaN for the others; creates nothing. With
   * `reserve` and `recordChosen` this lets a caller resolve a large input in short
   * transactions, in pseudonym order (B-tree locality: ~5x cheaper inserts than random order,
   * measured), and still number new persons in order of first appearance, as `byPseudonym` does.
   */
  lookupByPseudonym(pseudonyms: Uint8Array, count: number, keyId: string): Float64Array {
    if (pseudonyms.length < count * 32) throw new RangeError(`pseudonyms holds ${pseudonyms.length} bytes, fewer than ${count} x 32`);
    const out = new Float64Array(count).fill(Number.NaN);
    if (count === 0) return out;
    const blob = Buffer.from(pseudonyms.buffer, pseudonyms.byteOffset, count * 32);
    // Deferred: only the temp table is written, so this takes no write lock on the database.
    this.db.transaction(() => {
      this.db.exec('DELETE FROM temp.resolve_pseudonyms');
      this.loadPseudonyms.run({ count, blob });
      for (const [idx, personId] of this.readPseudonyms.iterate(keyId) as Iterable<[number, number]>) out[idx] = personId;
      this.db.exec('DELETE FROM temp.resolve_pseudonyms');
    })();
    return out;
  }

  /** Whether any person is known by a pseudonym made under `keyId` (a first job under a key looks nothing up). */
  anyPseudonymUnder(keyId: string): boolean {
    return this.anyUnderKey.get(keyId) !== undefined;
  }

  /** Takes `count` new person ids from the counter; returns the id before the first of them. */
  reserve(count: number): number {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`cannot reserve ${count} person ids`);
    return this.db.transaction(() => {
      const base = this.lastId.get() as number;
      this.bumpCounter.run(count);
      return base;
    }).immediate();
  }

  /**
   * Records `ids[i]` (taken with `reserve`) as the person of pseudonym i. A pseudonym that
   * another writer recorded since the caller looked it up keeps its stored id (the reserved
   * one is then never used: ids may have gaps, never collisions). Returns the stored ids.
   */
  recordChosen(pseudonyms: Uint8Array, ids: Float64Array, count: number, keyId: string): Float64Array {
    if (pseudonyms.length < count * 32 || ids.length < count) throw new RangeError(`fewer than ${count} pseudonyms or ids`);
    const out = new Float64Array(count);
    if (count === 0) return out;
    const blob = Buffer.from(pseudonyms.buffer, pseudonyms.byteOffset, count * 32);
    this.db.transaction(() => {
      this.db.exec('DELETE FROM temp.resolve_pseudonyms; DELETE FROM temp.resolve_ids');
      this.loadPseudonyms.run({ count, blob });
      this.loadIds.run(`[${ids.subarray(0, count).join(',')}]`);
      // Every row inserted: the stored ids are the chosen ones, and reading them back (most of
      // the cost of a first job's persons) is skipped.
      if (this.insertChosen.run(keyId).changes === count) out.set(ids.subarray(0, count));
      else for (const [idx, personId] of this.readPseudonyms.iterate(keyId) as Iterable<[number, number]>) out[idx] = personId;
      this.db.exec('DELETE FROM temp.resolve_pseudonyms; DELETE FROM temp.resolve_ids');
    }).immediate();
    return out;
  }

  /** Person ids for records of a delivery that have no pseudonym, by row number. */
  byRecord(deliveryId: string, rows: Uint32Array): Float64Array {
    if (this.deliveryExists.get(deliveryId) === undefined) {
      throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no delivery ${deliveryId}`, { delivery: deliveryId });
    }
    return this.resolve(rows.length, 'temp.resolve_rows', () => {
      this.loadRows.run(`[${rows.join(',')}]`);
      const base = this.lastId.get() as number;
      this.bumpCounter.run(this.newFromRows.run({ deliveryId, base }).changes);
      return this.readRows.iterate(deliveryId) as Iterable<[number, number]>;
    });
  }

  private resolve(count: number, temp: string, assign: () => Iterable<[number, number]>): Float64Array {
    const out = new Float64Array(count);
    if (count === 0) return out;
    this.db.transaction(() => {
      this.db.exec(`DELETE FROM ${temp}`);
      for (const [idx, personId] of assign()) out[idx] = personId;
      this.db.exec(`DELETE FROM ${temp}`);
    }).immediate();
    return out;
  }
}
