/**
 * Who may call what on the operator API. Roles are ordered: each may do everything the ones before it
 * may. `viewer` reads; `operator` manages namespaces and leases; `admin` changes the fleet (tables,
 * weights, keys, purges) and the credentials themselves (tokens, audit log).
 */
export const OPERATOR_ROLES = ['viewer', 'operator', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/**
 * `aud` of operator tokens. Namespace tokens carry `prism` and are signed by other keys, so neither
 * kind verifies where the other is expected.
 */
export const OPERATOR_TOKEN_AUDIENCE = 'prism-operator';

/** Principal names: the `<name>` of spiffe://prism/operator/<name>, and the `sub` of operator tokens. */
export const PRINCIPAL_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;

export function isOperatorRole(value: unknown): value is OperatorRole {
  return typeof value === 'string' && (OPERATOR_ROLES as readonly string[]).includes(value);
}

/** Whether a caller with role `have` may call a route that needs `need`. */
export function roleAllows(have: OperatorRole, need: OperatorRole): boolean {
  return OPERATOR_ROLES.indexOf(have) >= OPERATOR_ROLES.indexOf(need);
}
