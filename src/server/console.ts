/**
 * The web console's static assets (built from `src/console/` into `dist/console/` by
 * `npm run build`) at /console/, without a token: every piece of data the pages show comes from
 * the /v1 API with the user's bearer token. Each answer carries a strict Content-Security-Policy
 * (scripts and styles from this origin only, nothing inline, no framing).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { KoppelError } from '../errors.js';

/** `<package>/dist/console/`, from `src/server/` (tsx) and `dist/server/` (built) alike. */
const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

export const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function secure(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-cache');
}

export async function registerConsole(app: FastifyInstance, dir: string = CONSOLE_DIR): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (_request, reply) => secure(reply));
    scope.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
    if (!existsSync(`${dir}/index.html`)) {
      // Running from the sources without a build: say so, rather than a bare 404.
      scope.get('/console/*', { schema: { hide: true } }, async () => {
        throw new KoppelError('KOPPEL_ERR_API_NOT_FOUND', 'the console is not built; run npm run build');
      });
      return;
    }
    await scope.register(fastifyStatic, { root: dir, prefix: '/console/', index: 'index.html', schemaHide: true, wildcard: true });
  });
}
