/**
 * Which routes answer without a token (issue 12): the health check, the API docs and the
 * open-data tables; every other route of the OpenAPI document answers 401 without one.
 */
import t from 'tap';
import { startTestServer } from '../fixtures/server.js';

const PUBLIC = [/^\/health$/, /^\/docs(\/|$)/, /^\/open\/(catalog|tables\/)/];

t.test('every route but health, docs and open data answers 401 without a token', async (t) => {
  const server = await startTestServer(t);
  const doc = await (await fetch(`${server.base}/docs/json`)).json() as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => ['get', 'put', 'post', 'patch', 'delete'].includes(m)).map((m) => [m, path] as const));
  t.ok(routes.length > 20, 'the document lists the routes');
  let checked = 0;
  for (const [method, path] of routes) {
    if (PUBLIC.some((p) => p.test(path))) continue;
    const url = path.replace(/\{[^}]+\}/g, 'x');
    const res = await fetch(`${server.base}${url}`, { method: method.toUpperCase(), ...(method === 'get' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) });
    t.equal(res.status, 401, `${method.toUpperCase()} ${path} needs a token`);
    checked++;
  }
  t.ok(checked > 15);
  const open = routes.filter(([, path]) => path.startsWith('/open/')).map(([m, p]) => `${m} ${p}`).sort();
  t.same(open, ['get /open/catalog', 'get /open/tables/{project}/{name}', 'get /open/tables/{project}/{name}/{file}'], 'the open routes are exactly the open-data ones');
  const catalog = await fetch(`${server.base}/open/catalog`);
  t.equal(catalog.status, 200, 'the catalogue answers without a token');
  t.match(catalog.headers.get('content-type') ?? '', /^application\/ld\+json/);
});
