/**
 * Bearer-token authentication. Every token names one principal (`role:name`); the store keeps
 * only token hashes. Routes declare the roles they admit in `config.roles`.
 *
 * Refused requests (no token, a bad, revoked or expired one, the wrong role) are counted per
 * client address with @fastify/rate-limit: past `refusedPerMinute` an address gets 429 with
 * Retry-After for the rest of the minute, so guessing tokens or flooding the audit trail with
 * refusals costs time. Authorised requests are never limited by it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
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

/** The principal the request may act as on its route, or the refusal. */
function authorise(request: FastifyRequest, store: Store, roles: readonly Role[]): Principal {
  const token = bearerToken(request);
  if (token === null) throw new KoppelError('KOPPEL_ERR_AUTH_MISSING_TOKEN', 'this route needs a bearer token');
  const principal = store.verifyToken(token);
  request.principal = principal;
  if (!roles.includes(principal.role)) {
    throw new KoppelError('KOPPEL_ERR_AUTH_FORBIDDEN', `this route is for ${roles.join(' or ')} principals, not ${principal.role}`, { role: principal.role });
  }
  return principal;
}

export async function registerAuth(app: FastifyInstance, store: Store, refusedPerMinute: number): Promise<void> {
  await app.register(rateLimit, { global: false });
  const countRefusal = app.createRateLimit({ max: refusedPerMinute, timeWindow: 60_000 });
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const roles = request.routeOptions.config?.roles;
    if (roles === undefined) return;
    try {
      authorise(request, store, roles);
    } catch (err) {
      const limit = await countRefusal(request);
      if (!limit.isAllowed && limit.isExceeded) {
        void reply.header('retry-after', String(limit.ttlInSeconds));
        throw new KoppelError('KOPPEL_ERR_API_RATE_LIMITED', `too many refused requests from this address; try again in ${limit.ttlInSeconds} s`, { retry_after_s: limit.ttlInSeconds });
      }
      throw err;
    }
  });
}

/** The authenticated principal of a route that declared roles. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new KoppelError('KOPPEL_ERR_AUTH_MISSING_TOKEN', 'this route needs a bearer token');
  return request.principal;
}
