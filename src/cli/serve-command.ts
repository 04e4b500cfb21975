/** `koppel serve`: the HTTP API over the store in --data-dir with the keys in --keys. */
import { buildApp } from '../server/app.js';
import { openRuntime } from '../pipeline/runtime.js';
import { runningJobs } from '../pipeline/jobs.js';
import { productRunsSettled, resumeProducts } from '../pipeline/product-runs.js';
import { publishAuditHeads } from '../pipeline/audit-head.js';
import { watchTimeliness } from '../pipeline/timeliness-watch.js';
import { parseFlags, write, type CommandIo } from './args.js';

export async function runServe(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(argv, {
    'data-dir': { type: 'string' }, keys: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
  });
  const runtime = openRuntime({ dataDir: values['data-dir'], keysDir: values.keys, port: values.port, host: values.host }, { env: io.env });
  const interrupted = runtime.store.failInterruptedJobs();
  if (interrupted > 0) runtime.log.warn({ jobs: interrupted }, 'jobs interrupted by the last shutdown were marked failed');
  // Product runs those jobs belonged to are marked failed too, and complete periods run.
  resumeProducts(runtime.ctx);
  const app = await buildApp(runtime.ctx);
  const address = await app.listen({ port: runtime.config.port, host: runtime.config.host });
  write(io.stdout, `koppel listening on ${address} (data ${runtime.config.dataDir}); API docs at ${address}/docs`);
  const heads = publishAuditHeads(runtime.ctx);
  const timeliness = watchTimeliness(runtime.ctx);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  runtime.log.info('shutting down');
  await timeliness.stop();
  await app.close();
  await Promise.allSettled(runningJobs());
  await productRunsSettled();
  heads.stop();
  runtime.close();
  return 0;
}
