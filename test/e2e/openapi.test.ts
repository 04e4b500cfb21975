/**
 * The OpenAPI document is the API's contract (design.md): every route under /v1 must say what
 * it does, what it takes and what it answers, errors included.
 */
import t from 'tap';
import { startTestServer } from '../fixtures/server.js';

interface Schema { $ref?: string; type?: string; properties?: Record<string, unknown>; required?: string[]; format?: string; pattern?: string; maxLength?: number }
interface MediaType { schema?: Schema }
interface Operation {
  summary?: string;
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
  security?: unknown[];
}
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

/** The routes of design.md (contract), in OpenAPI's path spelling. */
const CONTRACT_ROUTES = [
  'post /v1/datasets',
  'put /v1/datasets/{dataset}/deliveries/{period}',
  'get /v1/deliveries/{id}',
  'post /v1/projects',
  'post /v1/projects/{project}/jobs',
  'get /v1/jobs/{id}',
  'post /v1/jobs/{id}/releases',
  'post /v1/releases/{id}/approve',
  'post /v1/releases/{id}/recheck',
  'post /v1/releases/{id}/withdraw',
  'get /v1/releases',
  'get /v1/releases/{id}',
  'get /v1/releases/{id}/files/{name}',
  'get /v1/audit',
  'post /v1/projects/{project}/tables',
  'post /v1/tables/{id}/versions',
  'post /v1/table-versions/{id}/approve',
  'post /v1/table-versions/{id}/withdraw',
  'get /v1/tables',
  'get /v1/table-versions/{id}',
  'get /v1/table-versions/{id}/files/{name}',
  'post /v1/projects/{project}/products',
  'get /v1/projects/{project}/products',
  'get /v1/products/{id}',
  'put /v1/products/{id}',
  'patch /v1/products/{id}',
  'get /v1/products/{id}/runs',
];

/** Routes that take a JSON body. */
const JSON_BODY_ROUTES = new Set([
  'post /v1/datasets', 'post /v1/projects', 'post /v1/projects/{project}/jobs', 'post /v1/releases/{id}/withdraw',
  'post /v1/projects/{project}/products', 'put /v1/products/{id}', 'post /v1/jobs/{id}/review/{pair}',
  'post /v1/projects/{project}/tables', 'post /v1/table-versions/{id}/withdraw',
]);

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);

t.test('every /v1 route in the OpenAPI document has a summary, parameter, body and response schemas', async (t) => {
  const server = await startTestServer(t);
  const res = await fetch(`${server.base}/docs/json`);
  t.equal(res.status, 200, '/docs/json answers');
  const doc = (await res.json()) as OpenApiDoc;
  t.match(doc.openapi, /^3\./, 'an OpenAPI 3 document');
  t.ok(doc.components?.securitySchemes?.bearer, 'the bearer scheme is described');

  const errorSchema = doc.components?.schemas?.Error;
  t.ok(errorSchema, 'one shared Error schema');
  t.same([...(errorSchema?.required ?? [])].sort(), ['code', 'error', 'message', 'statusCode'], 'errors are { statusCode, code, error, message }');
  const resolve = (s: Schema | undefined): Schema | undefined => {
    if (s?.$ref === undefined) return s;
    const name = /^#\/components\/schemas\/(.+)$/.exec(s.$ref)?.[1];
    return name === undefined ? undefined : doc.components?.schemas?.[name];
  };

  const operations: [string, Operation][] = [];
  for (const [route, item] of Object.entries(doc.paths)) {
    if (!route.startsWith('/v1/') && route !== '/v1') continue;
    for (const [method, op] of Object.entries(item)) if (METHODS.has(method)) operations.push([`${method} ${route}`, op]);
  }
  const documented = new Set(operations.map(([name]) => name));
  for (const route of CONTRACT_ROUTES) t.ok(documented.has(route), `${route} is documented`);

  for (const [name, op] of operations) {
    t.test(name, async (t) => {
      t.ok(typeof op.summary === 'string' && op.summary.trim().length > 10, 'has a summary');
      t.ok((op.security ?? []).length > 0, 'names its security (a bearer token)');

      const pathParams = [...name.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const param of pathParams) {
        const p = op.parameters?.find((x) => x.in === 'path' && x.name === param);
        t.ok(p?.required === true && p.schema?.type === 'string', `path parameter ${param} has a schema`);
        t.ok(p?.schema?.pattern !== undefined || p?.schema?.maxLength !== undefined, `path parameter ${param} is bounded (pattern or maxLength)`);
      }

      if (JSON_BODY_ROUTES.has(name)) {
        const body = resolve(op.requestBody?.content?.['application/json']?.schema);
        t.ok(body?.type === 'object' && Object.keys(body.properties ?? {}).length > 0, 'its JSON request body has an object schema');
        t.ok((body?.required ?? []).length > 0, 'that names its required fields');
      } else if (op.requestBody !== undefined) {
        for (const [type, media] of Object.entries(op.requestBody.content ?? {})) t.ok(media.schema, `its ${type} request body has a schema`);
      }

      const responses = op.responses ?? {};
      const success = Object.keys(responses).filter((code) => /^2\d\d$/.test(code));
      t.ok(success.length > 0, `documents a success response (${success.join(', ')})`);
      for (const code of success) {
        const media = Object.values(responses[code].content ?? {});
        t.ok(media.length > 0 && media.every((m) => m.schema !== undefined), `${code} has a response schema`);
      }
      const errors = Object.keys(responses).filter((code) => /^[45]\d\d$/.test(code));
      for (const code of ['400', '401', '403', '404']) t.ok(errors.includes(code), `documents ${code}`);
      for (const code of errors) {
        // Errors are always sent as JSON, whatever the route's success body is.
        const json = responses[code].content?.['application/json']?.schema;
        t.equal(resolve(json), errorSchema, `${code} is documented as the JSON Error schema`);
      }
    });
  }

  const upload = doc.paths['/v1/datasets/{dataset}/deliveries/{period}']?.put;
  t.ok(upload?.requestBody?.content?.['text/csv']?.schema, 'the upload documents its text/csv request body');
});

t.test('/docs answers with the HTML viewer', async (t) => {
  const server = await startTestServer(t);
  const res = await fetch(`${server.base}/docs`);
  t.equal(res.status, 200, '/docs answers 200 (after any redirect)');
  t.match(res.headers.get('content-type') ?? '', /^text\/html/, 'as HTML');
  t.match(await res.text(), /swagger/i, 'the viewer page');
});
