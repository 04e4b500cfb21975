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
 *
 * Retiring a master key (README "Key rotation") seals the entries keyed with it: the
 * `keys.retire` entry, keyed with the new key, records in `detail.seal` their count and the
 * sha256 of their rows (`sealText`). Once the old key file is removed, verification checks
 * those entries against the seal instead of their macs: editing one changes the digest, and
 * the seal itself is covered by the new key's mac.
 */
import { createHash, createHmac, type Hash } from 'node:crypto';
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

/** One row as the seal hashes it: every column, in a fixed order, one line. */
function sealText(row: AuditRow): string {
  return `${JSON.stringify([row.seq, row.ts, row.actor, row.action, row.target, row.outcome, row.detail_json, row.key_id, row.prev_mac, row.mac])}\n`;
}

export interface AuditSeal {
  readonly key_id: string;
  readonly entries: number;
  readonly sha256: string;
}

interface SealCheck { seal: AuditSeal; at: number; hash: Hash; entries: number; last: number }

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

  /** The seal of every entry keyed with `keyId` (see the module comment). */
  seal(keyId: string): AuditSeal {
    const hash = createHash('sha256');
    let entries = 0;
    for (const row of this.db.prepare<[string], AuditRow>('SELECT * FROM audit WHERE key_id = ? ORDER BY seq').iterate(keyId)) {
      hash.update(sealText(row));
      entries++;
    }
    return { key_id: keyId, entries, sha256: hash.digest('hex') };
  }

  /** The seals recorded by `keys.retire` entries, by key id (the entries themselves are verified in the chain). */
  private seals(): Map<string, SealCheck> {
    const out = new Map<string, SealCheck>();
    for (const row of this.db.prepare<[], { seq: number; detail_json: string | null }>("SELECT seq, detail_json FROM audit WHERE action = 'keys.retire' ORDER BY seq").iterate()) {
      const seal = (row.detail_json === null ? null : (JSON.parse(row.detail_json) as { seal?: AuditSeal }).seal) ?? null;
      if (seal !== null && typeof seal.key_id === 'string' && !out.has(seal.key_id)) {
        out.set(seal.key_id, { seal, at: row.seq, hash: createHash('sha256'), entries: 0, last: 0 });
      }
    }
    return out;
  }

  verify(opts: { expectedHead?: AuditHead } = {}): AuditVerification {
    this.requireKeyring();
    const remembered = new Map<number, string>();
    const heads = [...this.anchors(), ...(opts.expectedHead === undefined ? [] : [opts.expectedHead])];
    for (const h of heads) remembered.set(h.seq, h.mac);
    const entries = this.count.get() as number;
    let expectedSeq = 1;
    let prevMac = GENESIS_MAC;
    const seals = this.seals();
    for (const row of this.all.iterate()) {
      const bad = (reason: string): AuditVerification => ({ ok: false, entries, firstBad: expectedSeq, reason });
      if (row.seq !== expectedSeq) return bad(`entry ${expectedSeq} is missing (next entry is ${row.seq})`);
      if (row.prev_mac !== prevMac) return bad(`entry ${row.seq} does not link to the entry before it`);
      const sealed = seals.get(row.key_id);
      if (sealed !== undefined) {
        sealed.hash.update(sealText(row));
        sealed.entries++;
        sealed.last = row.seq;
      }
      let key: Uint8Array | null;
      try {
        key = this.auditKey(row.key_id);
      } catch (err) {
        if (!(err instanceof KoppelError && err.code === 'KOPPEL_ERR_KEY_UNKNOWN_ID')) throw err;
        if (sealed === undefined) return bad(`entry ${row.seq} is keyed with ${row.key_id}, which the keyring does not hold`);
        key = null; // a retired key: the seal checks the entry below
      }
      if (key !== null && entryMac(key, row.prev_mac, row) !== row.mac) return bad(`entry ${row.seq} was altered (its mac does not verify)`);
      const anchored = remembered.get(row.seq);
      if (anchored !== undefined && anchored !== row.mac) return bad(`entry ${row.seq} differs from the head recorded for it`);
      prevMac = row.mac;
      expectedSeq++;
    }
    const last = expectedSeq - 1;
    for (const { seal, at, hash, entries: count, last: lastSealed } of seals.values()) {
      if (count !== seal.entries || hash.digest('hex') !== seal.sha256 || lastSealed > at) {
        return { ok: false, entries, firstBad: at, reason: `the entries keyed with retired key ${seal.key_id} do not match the seal recorded in entry ${at}` };
      }
    }
    const beyond = [...remembered.keys()].filter((seq) => seq > last).sort((a, b) => a - b);
    if (beyond.length > 0) {
      return { ok: false, entries, firstBad: last + 1, reason: `the trail ends at entry ${last} but a recorded head is entry ${beyond[beyond.length - 1]}: entries were removed from the end` };
    }
    return { ok: true, entries };
  }
}
