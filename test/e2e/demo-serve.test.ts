/**
 * `koppel demo --serve`: after the story, the server stays up, prints the console's address and
 * a token per role that works, and stops cleanly on Ctrl-C (SIGINT).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KOPPEL_COMMAND, REPO_ROOT, childEnv } from '../fixtures/koppel-process.js';

t.test('demo --serve prints the console URL and a token per role, serves the demo data, and stops on SIGINT', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-demo-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const proc = spawn(process.execPath, [...KOPPEL_COMMAND, 'demo', '--serve', '--dir', dir], { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  proc.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 1200 && !out.includes('Serving until Ctrl-C') && proc.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  t.match(out, /Serving until Ctrl-C/, 'the demo keeps serving after its story');

  const base = /Console: (http:\/\/127\.0\.0\.1:\d+)\/console\//.exec(out)?.[1];
  t.ok(base, 'it prints the console URL');
  const tokens = Object.fromEntries([...out.matchAll(/^ {2}((?:operator|supplier|researcher):\w+) +(kpl_\S+)$/gm)].map((m) => [m[1], m[2]]));
  t.same(Object.keys(tokens).sort(), ['operator:olivia', 'operator:omar', 'researcher:an', 'supplier:agodi', 'supplier:rsz', 'supplier:vdab'], 'and a token per principal of the story');
  const who = await fetch(`${base}/v1/whoami`, { headers: { authorization: `Bearer ${tokens['researcher:an']}` } });
  t.same(await who.json(), { id: 'researcher:an', role: 'researcher', name: 'an' }, 'the printed tokens work');
  const releases = await fetch(`${base}/v1/releases`, { headers: { authorization: `Bearer ${tokens['researcher:an']}` } });
  t.equal(((await releases.json()) as unknown[]).length, 1, 'the researcher sees the demo\'s approved release');

  proc.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C ends the demo with status 0');
});
