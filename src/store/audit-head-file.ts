/**
 * The published audit head: one JSON line per head, appended (and fsynced) to a file that lies
 * outside the data dir, where someone who can rewrite koppel.db cannot quietly rewrite it too.
 */
import fs from 'node:fs';
import type { AuditHead } from './records.js';

export function appendAuditHead(file: string, head: AuditHead, at: string): void {
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify({ seq: head.seq, mac: head.mac, at })}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
