/**
 * `koppel keys init|list|rotate|rotation|retire`: master keys in the keys directory (outside the
 * data dir and git), and the rotation window (README "Key rotation"). The rotation commands
 * work beside a running server: it lists the keys directory on each use and reads the window
 * from the database.
 */
import pino from 'pino';
import { initKey, listKeys } from '../store/index.js';
import { loadConfig } from '../config.js';
import { openRuntime } from '../pipeline/runtime.js';
import { retireBlockersNow, retireKey, rotateKey, rotationStatus } from '../pipeline/key-rotation.js';
import { UsageError, parseFlags, write, type CommandIo } from './args.js';

const ACTOR = 'cli';
const ROTATION_ACTIONS = ['rotate', 'rotation', 'retire'];

export async function runKeys(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    keys: { type: 'string' }, 'data-dir': { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' },
  }, true);
  const [action] = positionals;
  if (ROTATION_ACTIONS.includes(action)) return runRotation(action, values, io);
  const config = loadConfig({ keysDir: values.keys }, io.env);
  if (action === 'init') {
    const { keyId, path } = initKey(config.keysDir);
    write(io.stdout, `created key ${keyId} at ${path} (mode 0600). Back it up securely: without it, stored pseudonyms cannot be re-derived.`);
    return 0;
  }
  if (action === 'list') {
    const keys = listKeys(config.keysDir);
    if (keys.length === 0) write(io.stdout, `no keys in ${config.keysDir}; run koppel keys init`);
    for (const k of keys) write(io.stdout, `${k.keyId}\t${k.createdAt}`);
    return 0;
  }
  throw new UsageError('keys needs init, list, rotate, rotation or retire');
}

function runRotation(action: string, flags: { keys?: string; 'data-dir'?: string; force?: boolean; json?: boolean }, io: CommandIo): number {
  // Logs go to stderr at warn: stdout is the command's answer.
  const runtime = openRuntime({ keysDir: flags.keys, dataDir: flags['data-dir'], logLevel: 'warn' }, { env: io.env, logDestination: pino.destination({ fd: 2, sync: true }) });
  try {
    const { ctx } = runtime;
    if (action === 'rotate') {
      const { rotation, path } = rotateKey(ctx, ACTOR);
      write(io.stdout, [
        `created key ${rotation.new_key_id} at ${path} (mode 0600); it is now the current key. Back it up securely.`,
        `rotation window open: uploads are pseudonymised under ${rotation.new_key_id} and ${rotation.old_key_id} until koppel keys retire.`,
        'koppel keys rotation shows how many persons have been mapped to the new key.',
      ].join('\n'));
      return 0;
    }
    if (action === 'rotation') {
      const status = rotationStatus(ctx, ACTOR);
      if (flags.json === true) {
        write(io.stdout, JSON.stringify(status === null ? { rotation: null } : { ...status, retire: retireBlockersNow(ctx, status) }));
        return 0;
      }
      if (status === null) {
        write(io.stdout, 'no key rotation has been started; koppel keys rotate starts one');
        return 0;
      }
      const r = status.rotation;
      const { reasons, cost } = retireBlockersNow(ctx, status);
      const lines = [
        `rotation ${r.old_key_id} -> ${r.new_key_id}: started ${r.started_at} by ${r.started_by}; ${r.closed_at === null ? 'open' : `retired ${r.closed_at} by ${r.closed_by ?? '?'}${r.forced ? ' (forced)' : ''}`}`,
        `persons under the old key: ${status.persons_old}; mapped to the new key: ${status.persons_mapped}; left: ${status.persons_old - status.persons_mapped}`,
        `current deliveries per key: ${Object.entries(status.deliveries).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'} (${status.deliveries_both} made under both)`,
        `datasets not yet delivered under the new key: ${status.datasets_waiting.join(', ') || 'none'}`,
        `jobs queued or running: ${status.jobs_active}`,
      ];
      if (r.closed_at === null) lines.push(reasons.length === 0 ? 'ready to retire' : `retire needs --force now (${reasons.join('; ')}); it would cost: ${cost}`);
      write(io.stdout, lines.join('\n'));
      return 0;
    }
    const { rotation, cost, forced } = retireKey(ctx, ACTOR, flags.force === true);
    write(io.stdout, [
      `retired key ${rotation.old_key_id}${forced ? ` (forced: ${cost})` : ''}. New uploads are pseudonymised under ${rotation.new_key_id} only.`,
      `The audit entries keyed with ${rotation.old_key_id} are sealed; its key file may now be removed from ${ctx.config.keysDir} (see README "Key rotation" before you do).`,
    ].join('\n'));
    return 0;
  } finally {
    runtime.close();
  }
}
