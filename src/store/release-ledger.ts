/**
 * The release ledger of longitudinal projects (release/longitudinal.ts): per release, release
 * pseudonym and key variable, the value as released (text, or null) and whether disclosure
 * control withheld a value the person had. Written with the release row, in one transaction;
 * read back for the project's approved releases (withdrawn ones included: what a researcher
 * was handed stays handed out).
 */
import type { Db } from './database.js';

export interface LedgerRow {
  readonly pseudonym: string;
  readonly variable: string;
  readonly value: string | null;
  readonly suppressed: boolean;
}

interface StoredRow {
  pseudonym: string;
  variable: string;
  value: string | null;
  suppressed: number;
}

export class ReleaseLedger {
  private readonly insert;
  private readonly approvedOf;
  private readonly releasesOf;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO release_ledger (project_id, release_id, pseudonym, variable, value, suppressed) VALUES (?, ?, ?, ?, ?, ?)');
    this.approvedOf = db.prepare<[string], StoredRow>(`SELECT l.pseudonym, l.variable, l.value, l.suppressed FROM release_ledger l
      JOIN releases r ON r.id = l.release_id WHERE l.project_id = ? AND r.status = 'approved'`);
    this.releasesOf = db.prepare<[string], { id: string }>(`SELECT DISTINCT r.id FROM releases r JOIN release_ledger l ON l.release_id = r.id
      WHERE r.project_id = ? AND r.status = 'approved' ORDER BY r.id`);
  }

  /** Inside the caller's transaction (the release row's). */
  record(projectId: string, releaseId: string, rows: readonly LedgerRow[]): void {
    for (const r of rows) this.insert.run(projectId, releaseId, r.pseudonym, r.variable, r.value, r.suppressed ? 1 : 0);
  }

  /** The rows of the project's approved releases, and those releases' ids (sorted). */
  approved(projectId: string): { releases: string[]; rows: LedgerRow[] } {
    const rows = this.approvedOf.all(projectId).map((r) => ({ pseudonym: r.pseudonym, variable: r.variable, value: r.value, suppressed: r.suppressed === 1 }));
    return { releases: this.approvedReleases(projectId), rows };
  }

  approvedReleases(projectId: string): string[] {
    return this.releasesOf.all(projectId).map((r) => r.id);
  }
}
