/**
 * The link engine a run uses, by name. The in-process engine needs nothing; the DuckDB engine
 * loads `@duckdb/node-api` (an optional dependency) only here, only when it is chosen.
 */
import { KoppelError } from '../../errors.js';
import { IN_PROCESS_ENGINE, type LinkEngine, type LinkEngineName } from '../../link/link-engine.js';
import { linkRecords, linkRecordsOn, type LinkHooks, type LinkResult } from '../../link/link-records.js';
import type { LinkSettings } from '../../link/link-settings.js';
import type { EncodedSource } from '../../pseudonymise/encoded-source.js';
import type { DuckDBApi } from './duckdb-load.js';
import { openDuckDBEngine } from './duckdb-engine.js';

/** The optional package, loaded once; a loader can be given for tests. */
export async function openLinkEngine(name: LinkEngineName, load: () => Promise<DuckDBApi> = loadDuckDB): Promise<LinkEngine> {
  if (name === 'in-process') return IN_PROCESS_ENGINE;
  let api: DuckDBApi;
  try {
    api = await load();
  } catch (cause) {
    throw new KoppelError('KOPPEL_ERR_CFG_ENGINE_UNAVAILABLE', 'The duckdb link engine needs the optional package @duckdb/node-api, which is not installed or does not load on this platform.', { engine: name }, { cause });
  }
  return openDuckDBEngine(api);
}

async function loadDuckDB(): Promise<DuckDBApi> {
  return import('@duckdb/node-api');
}

/** A run on the named engine: in-process, or the SQL plan on an engine opened for this run and closed after. */
export async function linkOnEngine(name: LinkEngineName, encoded: EncodedSource[], settings: LinkSettings, hooks: LinkHooks): Promise<LinkResult> {
  if (name === 'in-process') return linkRecords(encoded, settings, hooks);
  const engine = await openLinkEngine(name);
  try {
    return await linkRecordsOn(engine, encoded, settings, hooks);
  } finally {
    await engine.close();
  }
}
