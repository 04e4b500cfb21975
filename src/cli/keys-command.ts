/** `koppel keys init|list`: master keys in the keys directory (outside the data dir and git). */
import { initKey, listKeys } from '../store/index.js';
import { loadConfig } from '../config.js';
import { UsageError, parseFlags, write, type CommandIo } from './args.js';

export async function runKeys(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, { keys: { type: 'string' } }, true);
  const config = loadConfig({ keysDir: values.keys }, io.env);
  const [action] = positionals;
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
  throw new UsageError('keys needs init or list');
}
