/**
 * Bearer-token authentication. Every token names one principal (`role:name`); the store keeps
 * only token hashes. Routes declare the roles they admit in `config.roles`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KoppelError } from '../errors.js';
import type { Principal, Role } from '../model.js';
import type { Store } from '../store/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles admitted by the route; absent means the route is public. */
    roles?: readonly Role[];
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match === null ? null : match[1];
}

export function registerAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const roles = request.routeOptions.config?.roles;
    if (roles === undefined) return;
    const token = bearerToken(request);
    if (token === null) throw new KoppelError('KOPPEL_ERR_AUTH_MISSING_TOKEN', 'this route needs a bearer token');
    const principal = store.verifyToken(token);
    request.principal = principal;
    if (!roles.includes(principal.role)) {
      throw new KoppelError('KOPPEL_ERR_AUTH_FORBIDDEN', `this route is for ${roles.join(' or ')} principals, not ${principal.role}`, { role: principal.role });
    }
  });
}

/** The authenticated principal of a route that declared roles. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new KoppelError('KOPPEL_ERR_AUTH_MISSING_TOKEN', 'this route needs a bearer token');
  return request.principal;
}
