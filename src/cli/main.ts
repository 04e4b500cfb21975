/**
 * The `koppel` command: a thin face over the pipeline and the store.
 * Exit codes: 0 success, 1 failure, 2 bad usage or bad input file.
 */
import { isKoppelError } from '../errors.js';
import { UsageError, write, type CommandIo } from './args.js';

export const USAGE = `koppel: linkage engine for a trusted third party

  koppel demo   [--serve [--port P]] the main job end to end on examples/ (temp data dir, fresh key);
                                   --serve keeps serving the console until Ctrl-C
  koppel serve  [--data-dir D] [--keys K] [--port P] [--host H]
  koppel link   --config job.json --out DIR [--keys K] [--quiet]
  koppel table  --config table.json --out DIR [--earlier FILE]...   a table from a local file, suppressed and audited
  koppel keys   init|list          [--keys K]
  koppel keys   rotate|rotation [--json]|retire [--force]  [--data-dir D] [--keys K]
  koppel token  create --role operator:<name>|supplier:<name>|researcher:<name>|reviewer:<name> [--expires-in DAYS] [--data-dir D] [--keys K]
  koppel token  revoke <token-id>  [--data-dir D] [--keys K]
  koppel token  list               [--data-dir D] [--keys K]
  koppel audit  verify             [--expect-head SEQ:MAC|FILE] [--data-dir D] [--keys K]
  koppel release recheck [<release-id>] [--data-dir D] [--keys K]

Defaults: --data-dir ./koppel-data (env KOPPEL_DATA_DIR), --keys ./keys (env KOPPEL_KEYS_DIR).
`;

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./demo-command.js')).runDemo,
  serve: async () => (await import('./serve-command.js')).runServe,
  link: async () => (await import('./link-command.js')).runLink,
  table: async () => (await import('./table-command.js')).runTable,
  keys: async () => (await import('./keys-command.js')).runKeys,
  token: async () => (await import('./token-command.js')).runToken,
  audit: async () => (await import('./audit-command.js')).runAudit,
  release: async () => (await import('./release-command.js')).runRelease,
};

export async function main(argv: string[], io: CommandIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    write(io.stdout, USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    write(io.stdout, (await import('../version.js')).KOPPEL_VERSION);
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    write(io.stderr, `koppel: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      write(io.stderr, `koppel ${name}: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (isKoppelError(err)) {
      write(io.stderr, `koppel ${name}: ${err.code}: ${err.message}`);
      return err.statusCode >= 400 && err.statusCode < 500 ? 2 : 1;
    }
    throw err;
  }
}
