/**
 * Starts a worker thread on a module next to the caller, compiled or not: `entry` is the module's
 * name without extension, resolved against `from` (the caller's `import.meta.url`).
 *
 * Compiled (`dist/**.js`) the worker runs `<entry>.js`. Under tsx (tests, benchmarks: the caller is
 * a `.ts` file), Node 20 does not hand the parent's `--import tsx` hooks to a worker's entry
 * module ("Unknown file extension .ts", even with `execArgv`), so a small bootstrap registers
 * tsx inside the worker and then imports `<entry>.ts`.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { KoppelError } from '../errors.js';

export function spawnSiblingWorker(from: string, entry: string, options: WorkerOptions = {}): Worker {
  if (from.endsWith('.ts')) {
    const url = new URL(`./${entry}.ts`, from).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
    return new Worker(bootstrap, { ...options, eval: true });
  }
  return new Worker(new URL(`./${entry}.js`, from), options);
}

/**
 * The error a run gets when one of its workers stops before finishing (out of memory, killed,
 * an uncaught exception). Only the kind of failure is told (`ERR_WORKER_OUT_OF_MEMORY`, the
 * error's name, or `exit`): a message from deep inside could quote input.
 */
export function workerFailure(role: string, err: Error | null): KoppelError {
  const kind = err === null ? 'exit' : (err as NodeJS.ErrnoException).code ?? err.name;
  return new KoppelError('KOPPEL_ERR_LINK_WORKER_FAILED', `A worker thread ${role} stopped before it finished (${kind}).`, { kind });
}
