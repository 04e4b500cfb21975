/**
 * `npm run test:load [-- --uploads N --connections C]`: the upload load run (upload-load.ts)
 * at full size: 1,000 uploads over 64 connections, 10% cut off and sent again, 5% sent twice
 * at once. Prints the figures; exits 1 on any loss, duplication, unreadable delivery,
 * unexpected answer or failed audit verify.
 */
import { parseArgs } from 'node:util';
import { describeLoad, loadPassed, runUploadLoad } from './upload-load.js';

const { values } = parseArgs({
  options: { uploads: { type: 'string', default: '1000' }, connections: { type: 'string', default: '64' }, 'timeout-s': { type: 'string', default: '900' } },
});
const figures = await runUploadLoad({
  uploads: Number(values.uploads), connections: Number(values.connections), abortShare: 0.1, twiceShare: 0.05, timeoutMs: Number(values['timeout-s']) * 1000,
}, (line) => process.stderr.write(`${line}\n`));
process.stdout.write(`${describeLoad(figures)}\n`);
for (const line of figures.unexpected.slice(0, 20)) process.stdout.write(`  ${line}\n`);
process.stdout.write(`${loadPassed(figures) ? 'PASS' : 'FAIL'}\n`);
process.exitCode = loadPassed(figures) ? 0 : 1;
