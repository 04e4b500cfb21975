/**
 * Opens what a long-running face needs: validated config, logger, keyring, store, and the
 * pipeline context over them. One place, so the server, the CLI and the demo open things alike.
 */
import type { DestinationStream } from 'pino';
import { loadConfig, type ConfigInput, type KoppelConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { assertPrivateDir, loadKeyring, openStore, type Keyring, type Store } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { KOPPEL_VERSION } from '../version.js';

export interface Runtime {
  readonly config: KoppelConfig;
  readonly log: Logger;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly ctx: PipelineContext;
  close(): void;
}

export function openRuntime(overrides: ConfigInput = {}, options: { env?: NodeJS.ProcessEnv; logDestination?: DestinationStream } = {}): Runtime {
  const config = loadConfig(overrides, options.env);
  const log = createLogger(config.logLevel, options.logDestination);
  assertPrivateDir(config.keysDir, 'keys');
  assertPrivateDir(config.dataDir, 'data');
  // Live: a running server follows `koppel keys rotate` and `retire` (README "Key rotation").
  const keyring = loadKeyring(config.keysDir, { live: true });
  const store = openStore({ dataDir: config.dataDir, keyring, log });
  const ctx: PipelineContext = { store, keyring, config, log, version: KOPPEL_VERSION };
  return { config, log, store, keyring, ctx, close: () => store.close() };
}
