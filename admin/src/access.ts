import { TLSSocket } from 'node:tls';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { PrismError } from '../../core/src/errors.js';
import { describe } from '../../core/src/names.js';
import { type OperatorRole, roleAllows } from '../../core/src/operator-roles.js';
import { CLIENT_AUTH, identityOf } from '../../core/src/tls/identity.js';
import type { OperatorTokens } from './operator-tokens.js';
import { rateLimited, TokenBucketStore } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: every route declares it (a route without it cannot be registered). */
    access?: Access;
    /** `METHOD /path` as the README writes it, for messages. */
    endpoint?: string;
    /** Whether it takes messages up to limits.maxBodyBytes (else limits.smallBodyBytes). */
    largeBody?: boolean;
  }
  interface FastifyRequest {
    /** The verified caller, on routes that need a role. */
    principal: Principal | null;
    /** Why the credentials the request carried did not verify. */
    credentialError: PrismError | null;
  }
}

/** What a route needs: nothing (probes, JWKS, metrics) or a role. */
export type Access = 'public' | OperatorRole;

/** A verified caller. */
export interface Principal {
  /** As the audit log writes it: `token:alice`, `cert:alice`, or `insecure:<address>` under --insecure. */
  id: string;
  name: string;
  role: OperatorRole;
  via: 'token' | 'certificate' | 'insecure';
  /** Token id and expiry (ms), for tokens. */
  jti?: string;
  expiresAt?: number;
}

/** The outcome of looking at a request's credentials: a principal, why they failed, or none given. */
export type Identification = Principal | PrismError | undefined;

export interface AccessOptions {
  tokens: OperatorTokens;
  /** --insecure: every caller is an anonymous admin. */
  insecure: boolean;
  /** Role of each operator certificate name (auth.operatorRoles). */
  operatorRoles: Readonly<Record<string, OperatorRole>>;
  now(): number;
}

type CertificateCheck = { name: string; notAfter: number } | PrismError | undefined;

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i;

/**
 * Authentication and authorization of operator API calls. `identify` looks at the credentials (a
 * bearer token first, then a client certificate on an HTTPS connection); `authorize` turns the
 * outcome into the principal or a coded 401/403 whose action names the missing credential or role.
 * They are separate steps so that the rate limit between them can count by principal.
 */
export function buildAccess(options: AccessOptions) {
  const { tokens, operatorRoles } = options;
  // A connection's certificate does not change; checking it once per connection is enough.
  const certificates = new WeakMap<TLSSocket, CertificateCheck>();

  const checkCertificate = (socket: TLSSocket): CertificateCheck => {
    const cert = socket.getPeerX509Certificate();
    if (!cert) return undefined;
    if (!socket.authorized) {
      return new PrismError(
        'PRISM-ACCESS-007',
        `the client certificate ${describe(cert.subject.replaceAll('\n', ', '))} does not verify against the fleet CA: ${socket.authorizationError}`,
      );
    }
    const usages = cert.keyUsage;
    if (usages && !usages.includes(CLIENT_AUTH)) {
      return new PrismError(
        'PRISM-ACCESS-007',
        'the client certificate does not allow clientAuth (extended key usage)',
      );
    }
    const name = identityOf(cert.subjectAltName, 'operator');
    if (name === undefined) {
      return new PrismError(
        'PRISM-ACCESS-007',
        `the client certificate names no operator (URI SAN spiffe://prism/operator/<name>); it has ${describe(cert.subjectAltName ?? 'no subject alternative names')}`,
      );
    }
    return { name, notAfter: Date.parse(cert.validTo) };
  };

  const byCertificate = (socket: TLSSocket): Identification => {
    let check = certificates.get(socket);
    if (!certificates.has(socket)) {
      check = checkCertificate(socket);
      certificates.set(socket, check);
    }
    if (check === undefined || check instanceof PrismError) return check;
    // A keep-alive connection can outlive the certificate it was opened with.
    if (options.now() > check.notAfter) {
      return new PrismError('PRISM-ACCESS-007', `the client certificate of "${check.name}" has expired`);
    }
    const role = operatorRoles[check.name];
    if (!role) {
      return new PrismError(
        'PRISM-ACCESS-006',
        `the certificate authenticates operator "${check.name}", but auth.operatorRoles gives that name no role`,
        {
          action: `Add "${check.name}" to auth.operatorRoles in the admin configuration (e.g. {"auth": {"operatorRoles": {"${check.name}": "operator"}}}) and restart the admin, or use a bearer token.`,
        },
      );
    }
    return { id: `cert:${check.name}`, name: check.name, role, via: 'certificate' };
  };

  const byToken = async (token: string): Promise<Identification> => {
    try {
      const record = await tokens.verify(token);
      return {
        id: `token:${record.name}`,
        name: record.name,
        role: record.role,
        via: 'token',
        jti: record.jti,
        expiresAt: record.expiresAt,
      };
    } catch (err) {
      return err as PrismError;
    }
  };

  return {
    async identify(req: FastifyRequest): Promise<Identification> {
      if (options.insecure) {
        const address = req.ip ?? 'unknown';
        return { id: `insecure:${address}`, name: address, role: 'admin', via: 'insecure' };
      }
      const header = req.headers.authorization;
      if (header !== undefined) {
        const bearer = BEARER.exec(header);
        if (!bearer) {
          return new PrismError(
            'PRISM-ACCESS-002',
            'the Authorization header is not "Bearer <operator token>" (other schemes are not accepted)',
          );
        }
        return byToken(bearer[1]);
      }
      const socket = req.raw.socket;
      return socket instanceof TLSSocket ? byCertificate(socket) : undefined;
    },

    /** The principal allowed to call a route needing `need`; throws the coded 401 or 403 otherwise. */
    authorize(found: Identification, need: OperatorRole, what: string): Principal {
      if (found instanceof PrismError) throw found;
      if (found === undefined) {
        throw new PrismError('PRISM-ACCESS-001', `${what} needs an operator credential with role ${need} or above`);
      }
      if (!roleAllows(found.role, need)) {
        const how =
          found.via === 'certificate'
            ? `map "${found.name}" to role ${need} in auth.operatorRoles`
            : `ask an admin for a token with role ${need}: prismctl auth token create --role ${need} --name ${found.name}`;
        throw new PrismError('PRISM-ACCESS-005', `${what} needs role ${need}; ${found.id} has role ${found.role}`, {
          action: `Use a credential with role ${need} or above: ${how}.`,
        });
      }
      return found;
    },
  };
}

export type AccessControl = ReturnType<typeof buildAccess>;

/**
 * Puts access in front of every route registered after it: who the caller is (identify), then the
 * rate limit counted by that principal, then whether its role allows the route (authorize) -- all
 * before the body is read, so a caller without the right credential cannot make the admin buffer a
 * body. Returns the two rate-limit buckets routes choose from (`config.rateLimit`).
 */
export async function guardRoutes(
  app: FastifyInstance,
  access: AccessControl,
  limits: Readonly<AdminConfig['limits']>,
) {
  app.decorateRequest('principal', null);
  app.decorateRequest('credentialError', null);
  const identify = async (req: FastifyRequest) => {
    const found = await access.identify(req);
    if (found instanceof PrismError) req.credentialError = found;
    else if (found) req.principal = found;
  };
  // Every route declares its access; a route without one cannot be registered, so none is open by omission.
  app.addHook('onRoute', (route) => {
    const need = route.config?.access;
    if (need === undefined) {
      throw new Error(`operator API route ${route.method} ${route.url} declares no access (config.access)`);
    }
    if (need === 'public') return;
    const endpoint = route.config?.endpoint ?? `${route.method} ${route.url}`;
    route.onRequest = [identify, ...[route.onRequest ?? []].flat()];
    route.preParsing = [
      async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
        access.authorize(req.credentialError ?? req.principal ?? undefined, need, endpoint);
        return payload;
      },
      ...[route.preParsing ?? []].flat(),
    ] as typeof route.preParsing;
  });
  // Registered after the hook above, so its own onRoute hook puts the limit after `identify`.
  await app.register(rateLimit, {
    global: false,
    store: TokenBucketStore,
    keyGenerator: (req) => req.principal?.id ?? `ip:${req.ip}`,
    errorResponseBuilder: (req, context) => rateLimited(req, context, req.principal?.id ?? `address ${req.ip}`),
  });
  // Functions, read at each request: `limits` is the live configuration's, and the rates reload (SIGHUP).
  return {
    ordinary: {
      max: () => limits.operatorBurst,
      timeWindow: () => Math.max(1, Math.round((limits.operatorBurst / limits.operatorRequestsPerSecond) * 1000)),
    },
    expensive: {
      max: () => limits.expensiveBurst,
      timeWindow: () => Math.max(1, Math.round((limits.expensiveBurst / limits.expensivePerMinute) * 60_000)),
      groupId: 'expensive',
    },
  };
}
