/**
 * The audit trail: an append-only table whose entries form an HMAC chain (design.md "Keys").
 *
 *   mac[n] = HMAC-SHA256(auditKey(key_id[n]), mac[n-1] (32 bytes) || utf8(canonical(entry n)))
 *   mac[0] = 32 zero bytes (the genesis link)
 *   auditKey(id) = derivePurposeKey(master key `id`, 'audit')
 *   canonical(e) = JSON array ['koppel-audit-v1', seq, ts, actor, action, target|null, outcome,
 *                  detail (JSON with sorted keys) | null, key_id]
 *
 * The array form fixes field order without relying on object key order. Because every mac
 * covers the previous one and its own seq, verification finds an edited entry (mac mismatch),
 * a removed one (seq gap) and a reordered one (broken link). Removing the newest entries leaves
 * a valid shorter chain, so truncation is found against a remembered head: the caller's, and
 * the head each approved release manifest recorded.
 */
import { createHmac } from 'node:crypto';
import { KoppelError } from '../errors.js';
import { derivePurposeKey, PURPOSES } from '../pseudonymise/key-derivation.js';
import type { Db } from './database.js';
import { now } from './ids.js';
import type { Keyring } from './keyring.js';
import type { AuditEntry, AuditHead, AuditInput, AuditOutcome, AuditVerification } from './records.js';

export const GENESIS_MAC = '0'.repeat(64);
const OUTCOMES: readonly AuditOutcome[] = ['ok', 'refused', 'failed'];

interface AuditRow {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  detail_json: string | null;
  key_id: string;
  prev_mac: string;
  mac: string;
}

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

export function entryMac(key: Uint8Array, prevMac: string, row: Omit<AuditRow, 'prev_mac' | 'mac'>): string {
  const message = JSON.stringify([
    'koppel-audit-v1', row.seq, row.ts, row.actor, row.action, row.target, row.outcome, row.detail_json, row.key_id,
  ]);
  return createHmac('sha256', key).update(Buffer.from(prevMac, 'hex')).update(message, 'utf8').digest('hex');
}

function entryOf(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    ts: row.ts,
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    detail: row.detail_json === null ? null : (JSON.parse(row.detail_json) as object),
    key_id: row.key_id,
    prev_mac: row.prev_mac,
    mac: row.mac,
  };
}

export class AuditChain {
  private readonly keys = new Map<string, Uint8Array>();
  private readonly head;
  private readonly insert;
  private readonly page;
  private readonly all;
  private readonly count;

  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring | undefined,
    /** Heads recorded elsewhere (approved release manifests) that the chain must still contain. */
    private readonly anchors: () => AuditHead[] = () => [],
  ) {
    this.head = db.prepare<[], AuditHead>('SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare(`INSERT INTO audit (seq, ts, actor, action, target, outcome, detail_json, key_id, prev_mac, mac)
      VALUES (@seq, @ts, @actor, @action, @target, @outcome, @detail_json, @key_id, @prev_mac, @mac)`);
    this.page = db.prepare<[number, number], AuditRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
    this.all = db.prepare<[], AuditRow>('SELECT * FROM audit ORDER BY seq');
    this.count = db.prepare('SELECT COUNT(*) FROM audit').pluck();
  }

  private requireKeyring(): Keyring {
    if (this.keyring === undefined) {
      throw new KoppelError('KOPPEL_ERR_KEY_MISSING', 'the audit trail needs a keyring; open the store with --keys');
    }
    return this.keyring;
  }

  private auditKey(keyId: string): Uint8Array {
    let key = this.keys.get(keyId);
    if (key === undefined) {
      const master = this.requireKeyring().get(keyId);
      key = derivePurposeKey(master, PURPOSES.audit);
      master.fill(0);
      this.keys.set(keyId, key);
    }
    return key;
  }

  append(input: AuditInput): AuditEntry {
    const keyring = this.requireKeyring();
    if (!OUTCOMES.includes(input.outcome)) throw new TypeError(`audit outcome must be one of ${OUTCOMES.join(', ')}`);
    const keyId = keyring.currentId;
    const key = this.auditKey(keyId);
    // IMMEDIATE: reading the head and appending must be one step across processes.
    return this.db.transaction(() => {
      const head = this.head.get();
      const fields = {
        seq: (head?.seq ?? 0) + 1,
        ts: now(),
        actor: input.actor,
        action: input.action,
        target: input.target ?? null,
        outcome: input.outcome,
        detail_json: input.detail === undefined ? null : canonicalJson(input.detail),
        key_id: keyId,
      };
      const prevMac = head?.mac ?? GENESIS_MAC;
      const row: AuditRow = { ...fields, prev_mac: prevMac, mac: entryMac(key, prevMac, fields) };
      this.insert.run(row);
      return entryOf(row);
    }).immediate();
  }

  list(opts: { after?: number; limit?: number } = {}): AuditEntry[] {
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000);
    return this.page.all(Math.trunc(opts.after ?? 0), limit).map(entryOf);
  }

  headOf(): AuditHead | null {
    return this.head.get() ?? null;
  }

  verify(opts: { expectedHead?: AuditHead } = {}): AuditVerification {
    this.requireKeyring();
    const remembered = new Map<number, string>();
    const heads = [...this.anchors(), ...(opts.expectedHead === undefined ? [] : [opts.expectedHead])];
    for (const h of heads) remembered.set(h.seq, h.mac);
    const entries = this.count.get() as number;
    let expectedSeq = 1;
    let prevMac = GENESIS_MAC;
    for (const row of this.all.iterate()) {
      const bad = (reason: string): AuditVerification => ({ ok: false, entries, firstBad: expectedSeq, reason });
      if (row.seq !== expectedSeq) return bad(`entry ${expectedSeq} is missing (next entry is ${row.seq})`);
      if (row.prev_mac !== prevMac) return bad(`entry ${row.seq} does not link to the entry before it`);
      let key: Uint8Array;
      try {
        key = this.auditKey(row.key_id);
      } catch (err) {
        if (err instanceof KoppelError && err.code === 'KOPPEL_ERR_KEY_UNKNOWN_ID') return bad(`entry ${row.seq} is keyed with ${row.key_id}, which the keyring does not hold`);
        throw err;
      }
      if (entryMac(key, row.prev_mac, row) !== row.mac) return bad(`entry ${row.seq} was altered (its mac does not verify)`);
      const anchored = remembered.get(row.seq);
      if (anchored !== undefined && anchored !== row.mac) return bad(`entry ${row.seq} differs from the head recorded for it`);
      prevMac = row.mac;
      expectedSeq++;
    }
    const last = expectedSeq - 1;
    const beyond = [...remembered.keys()].filter((seq) => seq > last).sort((a, b) => a - b);
    if (beyond.length > 0) {
      return { ok: false, entries, firstBad: last + 1, reason: `the trail ends at entry ${last} but a recorded head is entry ${beyond[beyond.length - 1]}: entries were removed from the end` };
    }
    return { ok: true, entries };
  }
}
