import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from './clock.js';
import { PrismError } from './errors.js';

export const TOKEN_ISSUER = 'prism-admin';
export const TOKEN_AUDIENCE = 'prism';
/** Only asymmetric algorithms: `none` and HMAC (including HMAC keyed with a public key) never verify. */
export const TOKEN_ALGORITHMS = ['ES256', 'EdDSA'] as const;

export interface NamespaceClaims {
  namespace: string;
  team: string;
  permissions: string[];
  leaseId: string;
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export interface TokenVerifierOptions {
  jwks: JSONWebKeySet;
  clock?: Clock;
  isRevoked?: (jti: string) => boolean;
}

/**
 * Verifies namespace JWTs against a JWKS: signature by a known key (by kid) with ES256 or EdDSA,
 * issuer, audience, expiry, then the revocation list. Each failure is a coded 401.
 */
export function buildTokenVerifier(options: TokenVerifierOptions) {
  const keys = createLocalJWKSet(options.jwks);
  return async function verify(token: string): Promise<NamespaceClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: [...TOKEN_ALGORITHMS],
        currentDate: options.clock ? new Date(options.clock.now()) : undefined,
        requiredClaims: ['jti', 'exp', 'ns'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new PrismError('PRISM-AUTH-003', 'the namespace token has expired');
      if (err instanceof errors.JWKSNoMatchingKey) {
        throw new PrismError('PRISM-AUTH-005', 'the namespace token is signed by a key the admin does not publish');
      }
      throw new PrismError('PRISM-AUTH-002', `the namespace token is invalid: ${(err as Error).message}`);
    }
    const claims: NamespaceClaims = {
      namespace: String(payload.ns),
      team: typeof payload.team === 'string' ? payload.team : '',
      permissions: Array.isArray(payload.perms) ? payload.perms.map(String) : [],
      leaseId: typeof payload.lease === 'string' ? payload.lease : '',
      jti: String(payload.jti),
      exp: Number(payload.exp),
    };
    if (options.isRevoked?.(claims.jti)) {
      throw new PrismError('PRISM-AUTH-004', `the token for namespace "${claims.namespace}" was revoked`);
    }
    return claims;
  };
}
