/**
 * The change log of persistent persons: which persistent ids were merged or split, when, on
 * which evidence, by which run and principal (issue 13). Append-only, like the audit trail: a
 * later change undoes an earlier one by being recorded, never by editing it.
 *
 *   person_changes          one row per change (ids as JSON arrays, kept for reading back)
 *   person_change_persons   (person, change) for every id before or after, for `list({ person })`
 *
 * `evidence` is a machine summary written by Koppel ("probabilistic link weight 11.2 (fields:
 * name, birth_date)", "review decision 17: match"); callers never put a value from an upload in
 * it. Persistent ids are internal: this log is for operators, never for a release.
 */
import type Database from 'better-sqlite3';
import type { Db } from './database.js';
import { now } from './ids.js';

export type PersonChangeKind = 'merge' | 'split';

export interface PersonChangeInput {
  readonly kind: PersonChangeKind;
  /** Persistent ids before the change. */
  readonly personsBefore: readonly number[];
  /** Persistent ids after the change. */
  readonly personsAfter: readonly number[];
  /** A machine summary, never a value from an upload. */
  readonly evidence: string;
  /** The job id, or review decision id, that made the change. */
  readonly run: string;
  /** The principal, e.g. "system:koppel" or "operator:omar". */
  readonly by: string;
}

export interface PersonChange extends PersonChangeInput {
  readonly id: number;
  readonly at: string;
}

interface Row {
  id: number;
  kind: PersonChangeKind;
  persons_before: string;
  persons_after: string;
  evidence: string;
  run: string;
  by: string;
  at: string;
}

const DEFAULT_LIMIT = 1000;

export class PersonChanges {
  private readonly insert: Database.Statement<unknown[]>;
  private readonly insertPerson: Database.Statement<unknown[]>;
  private readonly counts: Database.Statement<[string], { merges: number; splits: number }>;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(`INSERT INTO person_changes (kind, persons_before, persons_after, evidence, run, by, at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.insertPerson = db.prepare('INSERT OR IGNORE INTO person_change_persons (person, change_id) VALUES (?, ?)');
    this.counts = db.prepare(`SELECT coalesce(sum(kind = 'merge'), 0) AS merges, coalesce(sum(kind = 'split'), 0) AS splits
      FROM person_changes WHERE at > ?`);
  }

  /**
   * Records one change and returns it. Its own transaction, or a savepoint inside the caller's,
   * so a change is recorded together with whatever made it.
   */
  record(input: PersonChangeInput): PersonChange {
    checkIds(input.personsBefore, 'personsBefore');
    checkIds(input.personsAfter, 'personsAfter');
    const at = now();
    const before = JSON.stringify(input.personsBefore);
    const after = JSON.stringify(input.personsAfter);
    const id = this.db.transaction(() => {
      const rowId = Number(this.insert.run(input.kind, before, after, input.evidence, input.run, input.by, at).lastInsertRowid);
      for (const person of input.personsBefore) this.insertPerson.run(person, rowId);
      for (const person of input.personsAfter) this.insertPerson.run(person, rowId);
      return rowId;
    })();
    return {
      id, kind: input.kind, personsBefore: [...input.personsBefore], personsAfter: [...input.personsAfter],
      evidence: input.evidence, run: input.run, by: input.by, at,
    };
  }

  /** Changes in id order, after `afterId` (exclusive), at most `limit` (default 1000), optionally of one person or run. */
  list(opts: { afterId?: number; limit?: number; person?: number; run?: string } = {}): PersonChange[] {
    const where = ['c.id > @afterId'];
    if (opts.run !== undefined) where.push('c.run = @run');
    if (opts.person !== undefined) where.push('c.id IN (SELECT change_id FROM person_change_persons WHERE person = @person)');
    const rows = this.db.prepare<Record<string, unknown>, Row>(`SELECT c.* FROM person_changes c WHERE ${where.join(' AND ')} ORDER BY c.id LIMIT @limit`)
      .all({ afterId: opts.afterId ?? 0, limit: opts.limit ?? DEFAULT_LIMIT, run: opts.run, person: opts.person });
    return rows.map(fromRow);
  }

  /** Merges and splits recorded strictly after `isoTime` (an ISO-8601 UTC time as stored). */
  countSince(isoTime: string): { merges: number; splits: number } {
    return { ...this.counts.get(isoTime)! };
  }
}

function checkIds(ids: readonly number[], what: string): void {
  if (ids.length === 0) throw new RangeError(`a person change needs at least one id in ${what}`);
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`${what} holds ${String(id)}, not a persistent person id`);
  }
}

function fromRow(row: Row): PersonChange {
  return {
    id: row.id,
    kind: row.kind,
    personsBefore: JSON.parse(row.persons_before) as number[],
    personsAfter: JSON.parse(row.persons_after) as number[],
    evidence: row.evidence,
    run: row.run,
    by: row.by,
    at: row.at,
  };
}
