/**
 * Starts a worker thread on a module next to the caller, compiled or not (util/worker-pool.ts,
 * the one pool, is its only user): `entry` is the module's name without extension, resolved
 * against `from` (the caller's `import.meta.url`).
 *
 * Compiled (`dist/**.js`) the worker runs `<entry>.js`. Under tsx (tests, benchmarks: the caller is
 * a `.ts` file), Node 20 does not hand the parent's `--import tsx` hooks to a worker's entry
 * module ("Unknown file extension .ts", even with `execArgv`), so a small bootstrap registers
 * tsx inside the worker and then imports `<entry>.ts`.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function spawnSiblingWorker(from: string, entry: string, options: WorkerOptions = {}): Worker {
  if (from.endsWith('.ts')) {
    const url = new URL(`./${entry}.ts`, from).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
    return new Worker(bootstrap, { ...options, eval: true });
  }
  return new Worker(new URL(`./${entry}.js`, from), options);
}

