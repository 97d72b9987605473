/**
 * Fleet identities. Every certificate of the fleet PKI names its holder in one URI SAN,
 * `spiffe://prism/<role>/<name>` (the SPIFFE ID form, so other meshes' tooling reads it); the CN
 * repeats the name for people. The admin trusts the URI, never the CN or the id a proxy claims.
 */

export const TRUST_DOMAIN = 'prism';
export const ROLES = ['admin', 'proxy', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  role: Role;
  name: string;
}

/** Extended key usage OIDs (RFC 5280 §4.2.1.12). */
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export function spiffeId(role: Role, name: string): string {
  return `spiffe://${TRUST_DOMAIN}/${role}/${name}`;
}

const SPIFFE = new RegExp(`^spiffe://${TRUST_DOMAIN}/(${ROLES.join('|')})/([a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?)$`);

export function parseSpiffeId(uri: string): Identity | undefined {
  const m = SPIFFE.exec(uri);
  return m ? { role: m[1] as Role, name: m[2] } : undefined;
}

/**
 * The entries of Node's `subjectaltname` string ("DNS:a, IP Address:127.0.0.1, URI:spiffe://…").
 * Node quotes values that hold a separator, so a plain split is safe for the unquoted ones and a
 * quoted value never parses as a fleet identity.
 */
export function subjectAltNames(text: string | undefined): string[] {
  return (text ?? '')
    .split(', ')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Fleet identities named by a certificate's URI SANs. */
export function identitiesOf(subjectAltName: string | undefined): Identity[] {
  return subjectAltNames(subjectAltName)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => parseSpiffeId(entry.slice(4)))
    .filter((id): id is Identity => id !== undefined);
}

/** The one identity of `role` a certificate carries; undefined when it has none or several. */
export function identityOf(subjectAltName: string | undefined, role: Role): string | undefined {
  const found = identitiesOf(subjectAltName).filter((id) => id.role === role);
  return found.length === 1 ? found[0].name : undefined;
}
