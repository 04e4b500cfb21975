/** The console's static assets: served without a token under a strict CSP, and a coded 404 when the console is not built. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { registerConsole, CONSOLE_CSP } from '../../../src/server/console.js';
import { makeErrorHandler } from '../../../src/server/error-mapping.js';

async function appWith(t: { teardown(fn: () => unknown): void }, files: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-console-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const app = Fastify();
  app.setErrorHandler(makeErrorHandler(() => undefined));
  await registerConsole(app, dir);
  t.teardown(() => app.close());
  return app;
}

t.test('the built console is served at /console/ with a strict Content-Security-Policy', async (t) => {
  const app = await appWith(t, { 'index.html': '<!doctype html><title>K</title>', 'main.js': 'export {};' });
  const index = await app.inject({ url: '/console/' });
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-type'], /text\/html/);
  t.equal(index.headers['content-security-policy'], CONSOLE_CSP);
  for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
    t.ok(CONSOLE_CSP.includes(directive), `the policy says ${directive}`);
  }
  t.notMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/, 'and allows nothing inline');
  t.equal(index.headers['x-content-type-options'], 'nosniff');
  const script = await app.inject({ url: '/console/main.js' });
  t.equal(script.statusCode, 200);
  t.equal(script.headers['content-security-policy'], CONSOLE_CSP, 'every asset carries the policy');
  const bare = await app.inject({ url: '/console' });
  t.equal(bare.statusCode, 302, '/console redirects');
  t.equal(bare.headers.location, '/console/');
  t.equal((await app.inject({ url: '/console/nothing.js' })).statusCode, 404, 'an unknown asset is 404');
});

t.test('a console that was not built answers a coded 404 that says how to build it', async (t) => {
  const app = await appWith(t, {});
  const res = await app.inject({ url: '/console/' });
  t.equal(res.statusCode, 404);
  t.equal(res.json().code, 'KOPPEL_ERR_API_NOT_FOUND');
  t.match(res.json().message, /npm run build/);
});
