/** Principals are `role:name`; tokens name exactly one. */
import { KoppelError } from './errors.js';
import type { Principal, Role } from './model.js';

const ROLES: readonly Role[] = ['operator', 'supplier', 'researcher'];
const PRINCIPAL = /^(operator|supplier|researcher):([A-Za-z0-9._-]{1,64})$/;

export function parsePrincipal(text: string): Principal {
  const match = PRINCIPAL.exec(text);
  if (match === null) {
    throw new KoppelError('KOPPEL_ERR_AUTH_BAD_ROLE', `a principal is ${ROLES.join(':<name>, ')}:<name>, with a name of letters, digits, dots, dashes or underscores`);
  }
  return { role: match[1] as Role, name: match[2], id: text };
}
