import { PrismError } from '../../../core/src/errors.js';
import { buildTokenVerifier, type NamespaceClaims } from '../../../core/src/tokens.js';
import { CONTINUE, type Decision, type PluginFactory, type RequestContext, reject } from './types.js';

const BEARER = 'bearer';

/** `Bearer <token>` with the scheme in any case (RFC 9110 §11.1: "bearer", "BEARER"), without allocating. */
function isBearer(header: string): boolean {
  if (header.length <= BEARER.length + 1 || header.charCodeAt(BEARER.length) !== 32) return false;
  for (let i = 0; i < BEARER.length; i++) if ((header.charCodeAt(i) | 0x20) !== BEARER.charCodeAt(i)) return false;
  return true;
}

/**
 * Checks the namespace JWT at request start against the admin's keys and revocation list. Verified
 * tokens are cached, so a hot token costs a map lookup, an expiry check and a revocation check.
 */
export const authPlugin: PluginFactory = (_options, env) => {
  const { state } = env;
  const max = env.config.auth.tokenCacheSize;
  const cache = new Map<string, NamespaceClaims>();
  let verify: ReturnType<typeof buildTokenVerifier> | undefined;
  const rebuild = () => {
    cache.clear();
    verify = state.jwks ? buildTokenVerifier({ jwks: state.jwks }) : undefined;
  };
  state.onChange(rebuild);
  rebuild();

  const check = (ctx: RequestContext, claims: NamespaceClaims): Decision => {
    if (claims.exp * 1000 <= Date.now())
      return reject(new PrismError('PRISM-AUTH-003', 'the namespace token has expired'));
    if (state.revoked.has(claims.jti) || state.revokedLeases.has(claims.leaseId)) {
      return reject(new PrismError('PRISM-AUTH-004', `the token for namespace "${claims.namespace}" was revoked`));
    }
    if (claims.namespace !== ctx.namespace) {
      return reject(
        new PrismError('PRISM-AUTH-006', `the token is for namespace "${claims.namespace}", not "${ctx.namespace}"`),
      );
    }
    ctx.claims = claims;
    return CONTINUE;
  };

  return {
    name: 'auth',
    dependencies: ['namespace'],
    hooks: {
      authenticate(ctx) {
        const header = ctx.req.headers.authorization;
        if (header === undefined || !isBearer(header)) {
          return reject(new PrismError('PRISM-AUTH-001', 'the request has no Authorization: Bearer token'), {
            'www-authenticate': 'Bearer realm="prism"',
          });
        }
        const token = header.slice(7).trim();
        const cached = cache.get(token);
        if (cached) return check(ctx, cached);
        if (!verify) return reject(new PrismError('PRISM-AUTH-005', 'this proxy has not received the admin keys yet'));
        return verify(token).then(
          (claims) => {
            if (cache.size >= max && max > 0) cache.delete(cache.keys().next().value as string);
            if (max > 0) cache.set(token, claims);
            return check(ctx, claims);
          },
          (err: PrismError) => reject(err, { 'www-authenticate': 'Bearer realm="prism", error="invalid_token"' }),
        );
      },
    },
  };
};
