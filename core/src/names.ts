import { PrismError } from './errors.js';

/** CONTRACT §2. Strict enough to place names into HAProxy maps, NGINX maps and Lua tables. */
export const NAMESPACE_PATTERN = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

/** Proxy ids become HAProxy server names, NGINX upstream names and Envoy cluster names. */
export const PROXY_ID_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;

/** A namespace prefix for key_range rules: a namespace's leading characters. */
export const PREFIX_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isValidNamespace(name: unknown): name is string {
  return typeof name === 'string' && NAMESPACE_PATTERN.test(name);
}

/** Throws PRISM-NS-001 naming the value; returns the name otherwise. */
export function checkNamespace(name: unknown): string {
  if (isValidNamespace(name)) return name;
  throw new PrismError('PRISM-NS-001', `namespace ${describe(name)} does not match the namespace pattern`);
}

export function checkProxyId(id: unknown): string {
  if (typeof id === 'string' && PROXY_ID_PATTERN.test(id)) return id;
  throw new PrismError('PRISM-PROXY-001', `proxy id ${describe(id)} is not a valid proxy id`);
}

/** Quotes a user-supplied value for an error message, shortened and with control characters escaped. */
export function describe(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(shown);
}
