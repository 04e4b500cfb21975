/**
 * `koppel audit verify [--expect-head SEQ:MAC|FILE]`: recompute the keyed audit chain and report
 * the first break, then check every data file an entry recorded against its sha256. Read-only: it opens the database for reading and changes nothing, so running
 * the check never alters the evidence. `--expect-head` takes a head kept outside the data dir
 * (`seq:mac`, or the file the server publishes its head to: its last line is used), so that
 * entries removed from the end are detected even when every anchor inside was removed too.
 */
import fs from 'node:fs';
import { loadConfig } from '../config.js';
import { loadKeyring, verifyAuditReadOnly, type AuditHead } from '../store/index.js';
import { UsageError, parseFlags, write, type CommandIo } from './args.js';

const HEAD = /^(\d+):([0-9a-f]{64})$/;

function expectedHead(arg: string): AuditHead {
  let text = arg.trim();
  if (!HEAD.test(text)) {
    if (!fs.existsSync(text)) throw new UsageError('--expect-head takes SEQ:MAC or the path of a head file');
    const lines = fs.readFileSync(text, 'utf8').trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1] ?? '{}') as { seq?: unknown; mac?: unknown };
    text = `${String(last.seq)}:${String(last.mac)}`;
    if (!HEAD.test(text)) throw new UsageError(`the head file ${arg} does not end with a line {"seq":N,"mac":"<64 hex>"}`);
  }
  const [, seq, mac] = HEAD.exec(text)!;
  return { seq: Number(seq), mac };
}

export async function runAudit(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' }, keys: { type: 'string' }, 'expect-head': { type: 'string' } }, true);
  if (positionals[0] !== 'verify') throw new UsageError('audit needs verify');
  const config = loadConfig({ dataDir: values['data-dir'], keysDir: values.keys }, io.env);
  const expected = values['expect-head'] === undefined ? undefined : expectedHead(values['expect-head']);
  const result = verifyAuditReadOnly(config.dataDir, loadKeyring(config.keysDir), expected);
  if (result.ok) {
    const files = result.files === undefined ? '' : `; ${result.files.checked} recorded files match${result.files.missing > 0 ? `, ${result.files.missing} no longer on disk` : ''}`;
    write(io.stdout, `audit chain ok: ${result.entries} entries${result.head ? `, head ${result.head.seq} ${result.head.mac}` : ''}${files}`);
    return 0;
  }
  write(io.stderr, `audit chain BROKEN at entry ${result.firstBad ?? '?'}: ${result.reason ?? 'mismatch'} (${result.entries} entries read)`);
  return 1;
}
