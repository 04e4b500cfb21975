/**
 * `koppel table --config table.json --out DIR`: builds a table from a local file through the
 * server's table pipeline (pipeline/local-table.ts) and prints the suppression summary.
 * Exit 0 on success; 2 on bad usage, a bad config or a table the specification cannot make
 * (the message names the field); 1 on any other failure, a table refused as unsafe included.
 */
import { runLocalTable } from '../pipeline/local-table.js';
import { parseFlags, write, type CommandIo } from './args.js';

const USAGE = 'usage: koppel table --config table.json --out DIR [--earlier FILE]...\n  --earlier  a table published before (its table.json or table.csv); repeatable';

export async function runTable(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, { config: { type: 'string' }, out: { type: 'string' }, earlier: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } }).values;
  if (flags.help) { write(io.stdout, USAGE); return 0; }
  if (flags.config === undefined || flags.out === undefined) {
    write(io.stderr, `koppel table: --config and --out are required\n${USAGE}`);
    return 2;
  }
  const { summary: s, audit, files, earlier } = await runLocalTable({ config: flags.config, outDir: flags.out, earlier: flags.earlier ?? [] });
  write(io.stdout, [
    `koppel table: ${s.cells} cells: ${s.published} published, ${s.primary} primary, ${s.secondary} secondary suppressions`
      + (s.records_left_out > 0 ? `; ${s.records_left_out} records left out (a null or an undeclared category)` : ''),
    `koppel table: audit: ${audit.suppressed} suppressed cells, ${audit.narrow} narrower than their protection, `
      + `${audit.certified} proven by certificate, ${audit.linearProgrammes} linear programmes`,
    ...(earlier.linked > 0 || (flags.earlier ?? []).length > 0
      ? [`koppel table: earlier tables: ${earlier.linked} linked, ${earlier.sharedCells} shared cells, ${earlier.suppressedBefore} kept suppressed, ${earlier.publishedBefore} kept published`]
      : []),
    `koppel table: wrote ${files.join(', ')}`,
  ].join('\n'));
  return 0;
}
