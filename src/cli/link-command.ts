/**
 * `koppel link --config job.json --out DIR [--keys K]` (design.md CLI contract).
 * Exit 0 on success; 2 on bad usage or a bad job file (unknown type or format, a missing file or
 * column), with a message naming the file, field and column; 1 on any other failure.
 */
import { loadConfig } from '../config.js';
import { isKoppelError } from '../errors.js';
import { runLocalLink } from '../pipeline/local-link.js';
import { loadKeyring } from '../store/keyring.js';
import { parseFlags, UsageError } from './args.js';

const USAGE = 'usage: koppel link --config job.json --out DIR [--keys K] [--quiet]';

export async function runLink(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env?: NodeJS.ProcessEnv }): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv, {
      config: { type: 'string' }, out: { type: 'string' }, keys: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' },
    }).values;
  } catch (err) {
    io.stderr.write(`koppel link: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (flags.help) { io.stdout.write(`${USAGE}\n`); return 0; }
  if (flags.config === undefined || flags.out === undefined) {
    io.stderr.write(`koppel link: --config and --out are required\n${USAGE}\n`);
    return 2;
  }
  try {
    let masterKey: Uint8Array | undefined;
    let keyId: string | undefined;
    if (flags.keys !== undefined) {
      // Only with --keys: otherwise a fresh key held in memory for this run (design.md).
      const ring = loadKeyring(flags.keys);
      keyId = ring.currentId;
      masterKey = ring.get(keyId);
    }
    // Progress on stderr, a line per step as it ends; the summary stays alone on stdout.
    const onProgress = flags.quiet ? undefined : (step: string, ms: number, detail?: string) => {
      io.stderr.write(`koppel link: ${step}${detail === undefined ? '' : ` (${detail})`} ${(ms / 1000).toFixed(1)} s\n`);
    };
    // KOPPEL_MEMORY_BUDGET (or the machine's memory less a reserve) bounds the run as it does a job.
    const { memoryBudget } = loadConfig({}, io.env ?? process.env);
    const outcome = await runLocalLink({ config: flags.config, outDir: flags.out, masterKey, keyId, onProgress, memoryBudget });
    const r = outcome.report;
    const model = r.probabilistic.run
      ? `threshold ${r.settings.threshold.toFixed(4)} (${r.settings.threshold_chosen_by}); `
        + `estimated precision ${r.estimate.precision.toFixed(4)}, recall ${r.estimate.recall.toFixed(4)}`
      : `probabilistic pass skipped: ${r.probabilistic.skipped_because ?? 'nothing to compare'}`;
    io.stdout.write(
      `koppel link: ${r.links.total} links (${r.links.deterministic} deterministic, ${r.links.probabilistic} probabilistic), `
      + `${r.clusters.count} clusters; ${model}\n`
      + `koppel link: wrote ${outcome.files.join(', ')}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) { io.stderr.write(`koppel link: ${err.message}\n${USAGE}\n`); return 2; }
    if (isKoppelError(err)) {
      io.stderr.write(`koppel link: ${err.code}: ${err.message}\n`);
      return err.statusCode >= 400 && err.statusCode < 500 ? 2 : 1;
    }
    throw err;
  }
}
