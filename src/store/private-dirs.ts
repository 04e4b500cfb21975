/**
 * The data and keys directories must be private to the service's user: the data dir holds the
 * token hashes, the audit trail and every pseudonymised file; the keys dir the means to make
 * pseudonyms. Koppel creates both 0700, but a directory made by hand (or a checked-out `keys/`)
 * may be open to the group or to everyone, and then every file Koppel writes there is exposed
 * however tight its own mode. Checked at start, refused with the chmod that fixes it.
 */
import fs from 'node:fs';
import { KoppelError } from '../errors.js';

/** KOPPEL_ERR_CFG_INVALID if `dir` exists and its group or others have any access; a missing dir is created 0700 later. */
export function assertPrivateDir(dir: string, what: 'data' | 'keys'): void {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    mode = fs.statSync(dir).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((mode & 0o077) !== 0) {
    throw new KoppelError(
      'KOPPEL_ERR_CFG_INVALID',
      `the ${what} directory ${dir} is open to group or others (mode ${mode.toString(8)}); run: chmod 700 ${dir}`,
      { directory: what, mode: mode.toString(8) },
    );
  }
}
