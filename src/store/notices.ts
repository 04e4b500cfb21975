/**
 * Notices: findings of a migration that an operator must see (canonical-principals.ts: two
 * spellings of one principal, a release approved by its builder under another spelling). A
 * migration runs before the audit key is at hand, so it stores them here; the first open with a
 * keyring writes each into the audit trail and the log, once.
 */
import type { Logger } from 'pino';
import type { Db } from './database.js';
import type { AuditInput } from './records.js';
import { now } from './ids.js';

interface NoticeRow {
  seq: number;
  kind: string;
  detail_json: string;
}

export function auditPendingNotices(db: Db, audit: (entry: AuditInput) => unknown, log: Logger | undefined): number {
  const pending = db.prepare('SELECT seq, kind, detail_json FROM notices WHERE audited_at IS NULL ORDER BY seq').all() as NoticeRow[];
  const done = db.prepare('UPDATE notices SET audited_at = ? WHERE seq = ?');
  for (const n of pending) {
    const detail = JSON.parse(n.detail_json) as Record<string, string | readonly string[]>;
    db.transaction(() => {
      audit({ actor: 'system:migration', action: `notice.${n.kind}`, outcome: 'ok', detail });
      done.run(now(), n.seq);
    })();
    log?.warn({ notice: n.kind, ...detail }, 'store notice: see the audit trail');
  }
  return pending.length;
}
