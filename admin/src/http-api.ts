import type { Socket } from 'node:net';
import { Ajv } from 'ajv';
import Fastify, {
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { isPrismError, PrismError } from '../../core/src/errors.js';
import { requestedHead } from '../../core/src/http-head.js';
import { describe } from '../../core/src/names.js';
import { OPERATOR_ROLES } from '../../core/src/operator-roles.js';
import { partitionTableSchema } from '../../core/src/table-schema.js';
import {
  CreateTokenRequest,
  CreateTokenResponse,
  ListTokensResponse,
  OperatorToken,
  WhoAmIResponse,
} from '../../proto/gen/prism/admin/v1/auth.js';
import { Namespace } from '../../proto/gen/prism/admin/v1/namespace.js';
import {
  ListAuditResponse,
  ListNamespacesResponse,
  ListProxiesResponse,
  RebalancePlan,
  RebalanceRequest,
  ReserveNamespaceRequest,
  ReserveNamespaceResponse,
  RollbackRequest,
  Rollout,
} from '../../proto/gen/prism/admin/v1/operator.js';
import { PartitionTable, Proxy as ProxyMessage } from '../../proto/gen/prism/admin/v1/partition.js';
import { type Access, type AccessControl, guardRoutes, type Principal } from './access.js';
import type { Fleet } from './fleet.js';
import type { AdminMetrics } from './metrics.js';
import { leaseWarnings, type NamespaceService } from './namespaces.js';
import type { OperatorTokenRecord, OperatorTokens } from './operator-tokens.js';
import { STATUS_PAGE_HEADERS, type StatusService, statusPageFiles } from './status.js';
import type { AdminStore } from './store.js';
import type { TokenIssuer } from './tokens.js';
import type { Transfer } from './transfer.js';

// Bodies are checked as they are: a wrong type is the client's error, never coerced or dropped.
const bodyAjv = new Ajv({ strict: true, allErrors: false });
// Query values arrive as strings; `pageSize=20` is the integer 20, `pageSize=abc` is refused.
const queryAjv = new Ajv({ strict: true, allErrors: false, coerceTypes: true });

const str = (max: number) => ({ type: 'string', maxLength: max }) as const;
const uint = { type: 'integer', minimum: 0, maximum: 4_294_967_295 } as const;
const page = { type: 'integer', minimum: 1, maximum: 1000 } as const;
const query = (properties: Record<string, object>) => ({ type: 'object', properties }) as const;

const schemas = {
  reserve: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: str(255),
      backends: { type: 'array', maxItems: 1000, items: str(2048) },
      team: str(255),
      leaseTtlSeconds: uint,
      lease_ttl_seconds: uint,
      config: { type: 'object', maxProperties: 1000, additionalProperties: str(65_536) },
    },
  },
  refresh: {
    type: 'object',
    additionalProperties: false,
    properties: { name: str(255), leaseTtlSeconds: uint, lease_ttl_seconds: uint },
  },
  revoke: {
    type: 'object',
    additionalProperties: false,
    properties: { name: str(255), reason: str(1024) },
  },
  force: {
    type: 'object',
    additionalProperties: false,
    properties: { name: str(255), force: { type: 'boolean' } },
  },
  rebalance: {
    type: 'object',
    additionalProperties: false,
    properties: {
      strategy: partitionTableSchema.properties.strategy,
      rules: partitionTableSchema.properties.rules,
      weights: {
        type: 'object',
        maxProperties: 256,
        additionalProperties: { type: 'integer', minimum: 1, maximum: 256 },
      },
      expectedVersion: uint,
      expected_version: uint,
    },
  },
  rollback: {
    type: 'object',
    additionalProperties: false,
    properties: { expectedVersion: uint, expected_version: uint },
  },
  list: query({
    prefix: str(4096),
    includeDeleted: { type: 'boolean' },
    pageSize: page,
    pageToken: str(4096),
  }),
  deleteQuery: query({ force: { type: 'boolean' } }),
  audit: query({ target: str(4096), limit: page }),
  tableWait: query({ afterVersion: uint, waitMs: { type: 'integer', minimum: 0, maximum: 60_000 } }),
  createToken: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: str(255),
      role: { type: 'string', enum: [...OPERATOR_ROLES] },
      ttlSeconds: uint,
      ttl_seconds: uint,
    },
    required: ['role'],
  },
  revokeToken: {
    type: 'object',
    additionalProperties: false,
    required: ['jti'],
    properties: { jti: str(64) },
  },
};

export interface HttpApiDeps {
  namespaces: NamespaceService;
  fleet: Fleet;
  issuer: TokenIssuer;
  store: AdminStore;
  metrics: AdminMetrics;
  log: Logger;
  limits: Readonly<AdminConfig['limits']>;
  auth: Readonly<AdminConfig['auth']>;
  access: AccessControl;
  tokens: OperatorTokens;
  /** The status page's data (GET /v1/status) and the watchers seen. */
  status: StatusService;
  /** --insecure: shown in /healthz. */
  insecure: boolean;
  /** Serve HTTPS with these (the admin's tls.* files), asking for, not requiring, client certificates. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
  countLive(): Promise<number>;
  /** GET /v1/export and POST /v1/import. */
  transfer: Transfer;
  /** GET /v1/admin/status: this admin's role in the leader election, etcd's health, the table version. */
  adminStatus(): Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The limits option that bounds this route's body, when it is neither of the two usual ones. */
    bodyOption?: string;
  }
}

interface Reply {
  status: number;
  /** Sent as JSON; a string is sent as it is (with its own content-type in `headers`). */
  body: unknown;
  headers?: Record<string, string>;
}

type Method = 'GET' | 'POST' | 'DELETE';

/** One operator endpoint, with everything the hooks that guard it need to know. */
interface Route {
  method: Method;
  /** As the README writes it: `{name}` is one path segment without a colon; `:action` is literal. */
  path: string;
  /** `public`, or the weakest role that may call it. */
  access: Access;
  /**
   * Its rate-limit bucket: the ordinary one by default, the tighter `expensive` one for calls that
   * cost the fleet (new keys, new tables, new credentials), or none for probes that must answer
   * during a flood.
   */
  limit?: 'expensive' | 'none';
  /** Takes messages up to limits.maxBodyBytes; every other route, limits.smallBodyBytes. */
  largeBody?: true;
  /** Another limits option for its body (the import's whole document). */
  bodyLimit?: 'importBodyBytes';
  body?: object;
  query?: object;
  handle(req: FastifyRequest): Promise<Reply>;
}

const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });

/**
 * The README's `/v1/namespaces/{name}:refresh` in find-my-way's syntax, where `::` is a literal colon.
 * A parameter ends at a `/` anyway; the pattern (tested on the decoded value) keeps `x:bogus` off `{name}`.
 */
const routerPath = (path: string) => path.replaceAll(':', '::').replace(/\{(\w+)\}/g, ':$1(^[^:]+)');

/** The path of a request for a message: raw, shortened, without the query. */
const pathOf = (url: string) => {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.length > 200 ? `${path.slice(0, 197)}...` : path;
};

/** A coded answer written straight to a socket, for failures Node reports before a request exists. */
const rawAnswer = (err: PrismError, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(err.toBody());
  const head = Object.entries({ 'content-type': 'application/json', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `HTTP/1.1 ${err.status} ${STATUS_TEXT[err.status] ?? 'Error'}\r\n${head}content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`;
};
const carriesBody = (req: FastifyRequest) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** RFC 6750 challenges: how to authenticate, and whether the token sent was the problem. */
const CHALLENGES: Partial<Record<string, string>> = {
  'PRISM-ACCESS-001': 'Bearer realm="prism-admin"',
  'PRISM-ACCESS-002': 'Bearer realm="prism-admin", error="invalid_token"',
  'PRISM-ACCESS-003': 'Bearer realm="prism-admin", error="invalid_token", error_description="expired"',
  'PRISM-ACCESS-004': 'Bearer realm="prism-admin", error="invalid_token", error_description="revoked"',
  'PRISM-ACCESS-005': 'Bearer realm="prism-admin", error="insufficient_scope"',
  'PRISM-ACCESS-007': 'Bearer realm="prism-admin"',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * The HTTP/JSON operator API (CONTRACT §6) on fastify: proto3 JSON in and out, every route behind the
 * role it declares and its rate-limit bucket, every failure a coded answer. Returns the fastify
 * instance (`app`, ready for `inject()`; the admin listens on `app.server`) and the route table.
 */
export async function buildHttpApi(deps: HttpApiDeps) {
  const { namespaces, fleet, issuer, store, metrics, limits, access, tokens } = deps;

  const server = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both timeouts every 30 s by default, which would let a 10 s limit run to 40 s.
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
  // With the admin's certificate the port speaks only HTTPS: bearer tokens never cross a network in
  // clear. Client certificates are asked for, not required, so token holders connect without one.
  const https = deps.tls && {
    ...server,
    cert: deps.tls.cert,
    key: deps.tls.key,
    ca: deps.tls.ca,
    requestCert: true,
    rejectUnauthorized: false,
  };
  const app = Fastify({
    loggerInstance: deps.log,
    // No access log: the admin logs what it does (audit, errors), not every request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.smallBodyBytes,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: server,
    ...(https && { https }),
    // HEAD and OPTIONS get the 405 they always got; the Allow header stays what the README says.
    exposeHeadRoutes: false,
    // A request during shutdown is served or cut with its connection, not answered with an uncoded 503.
    return503OnClosing: false,
    // Long names reach the namespace service and get PRISM-NS-001, as before.
    routerOptions: { maxParamLength: 65_536 },
    frameworkErrors: (err, req, reply) => answerError(err, req, reply),
    clientErrorHandler: (err, socket) => answerClientError(err, socket),
  } as FastifyServerOptions);

  /** The verified caller; the audit log records it, never a header the caller chose. */
  const actor = (req: FastifyRequest) => (req.principal as Principal).id;
  const bodyOf = (req: FastifyRequest) => req.body as Record<string, unknown>;
  const queryOf = (req: FastifyRequest) => req.query as Record<string, string | number | boolean | undefined>;
  const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;
  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;

  const namespaceReply = (status: number, ns: Namespace): Reply => {
    const warnings = leaseWarnings(ns);
    return json(
      status,
      Namespace.toJSON(ns),
      warnings.length ? { warning: `299 prism-admin "${warnings[0]}"` } : undefined,
    );
  };

  // Declaration order is the order of the Allow header on a 405.
  const routes: Route[] = [
    {
      method: 'POST',
      path: '/v1/namespaces',
      access: 'operator',
      largeBody: true,
      body: schemas.reserve,
      handle: async (req) => {
        const request = ReserveNamespaceRequest.fromJSON(bodyOf(req));
        return json(201, ReserveNamespaceResponse.toJSON(await namespaces.reserve(request, actor(req))));
      },
    },
    {
      method: 'GET',
      path: '/v1/namespaces',
      access: 'viewer',
      query: schemas.list,
      handle: async (req) => {
        const q = queryOf(req);
        const list = await namespaces.list({
          prefix: String(q.prefix ?? ''),
          includeDeleted: q.includeDeleted === true,
          pageSize: Number(q.pageSize ?? 100),
          pageToken: String(q.pageToken ?? ''),
        });
        return json(200, ListNamespacesResponse.toJSON(list));
      },
    },
    {
      method: 'GET',
      path: '/v1/namespaces/{name}',
      access: 'viewer',
      handle: async (req) => namespaceReply(200, await namespaces.get(nameOf(req))),
    },
    {
      method: 'DELETE',
      path: '/v1/namespaces/{name}',
      access: 'operator',
      query: schemas.deleteQuery,
      handle: async (req) =>
        namespaceReply(200, await namespaces.delete(nameOf(req), queryOf(req).force === true, actor(req))),
    },
    {
      method: 'POST',
      path: '/v1/namespaces/{name}:refresh',
      access: 'operator',
      body: schemas.refresh,
      handle: async (req) => {
        const b = bodyOf(req);
        const ttl = Number(b.leaseTtlSeconds ?? b.lease_ttl_seconds ?? 0);
        return json(200, ReserveNamespaceResponse.toJSON(await namespaces.refresh(nameOf(req), ttl, actor(req))));
      },
    },
    {
      method: 'POST',
      path: '/v1/namespaces/{name}:revoke',
      access: 'operator',
      body: schemas.revoke,
      handle: async (req) =>
        namespaceReply(200, await namespaces.revoke(nameOf(req), String(bodyOf(req).reason ?? ''), actor(req))),
    },
    {
      method: 'POST',
      path: '/v1/namespaces/{name}:restore',
      access: 'operator',
      body: schemas.revoke,
      handle: async (req) =>
        json(200, ReserveNamespaceResponse.toJSON(await namespaces.restore(nameOf(req), actor(req)))),
    },
    {
      method: 'POST',
      path: '/v1/namespaces/{name}:purge',
      access: 'admin',
      body: schemas.force,
      handle: async (req) => {
        await namespaces.purge(nameOf(req), bodyOf(req).force === true, actor(req));
        return json(200, {});
      },
    },
    {
      method: 'GET',
      path: '/v1/partition-table',
      access: 'viewer',
      query: schemas.tableWait,
      handle: async (req) => {
        // A load-balancer watcher saying who it is and what it applied (the status page lists it).
        const watcher = req.headers['x-prism-watcher'];
        if (typeof watcher === 'string') {
          const applied = Number(req.headers['x-prism-applied-version'] ?? queryOf(req).afterVersion ?? 0);
          deps.status.noteWatcher(watcher, applied, (req.principal as Principal).id);
        }
        // A long-poll for `prismctl lb watch`: with afterVersion=N the answer waits (waitMs, default
        // 25 s, at most 60 s and under the idle timeout that would cut the connection) until the
        // table is newer than N, and is the current table either way.
        const q = queryOf(req);
        if (q.afterVersion !== undefined && (fleet.currentTable()?.version ?? 0) <= Number(q.afterVersion)) {
          const wait = Math.min(Number(q.waitMs ?? 25_000), Math.max(0, limits.idleTimeoutMs - 1_000));
          const socket = req.raw.socket;
          let gone = () => {};
          const closed = new Promise<void>((resolve) => {
            gone = resolve;
            socket.once('close', gone);
          });
          try {
            if (wait > 0) await Promise.race([fleet.waitForVersionAbove(Number(q.afterVersion), wait), closed]);
          } finally {
            socket.off('close', gone);
          }
        }
        const table = fleet.currentTable();
        if (!table) throw new PrismError('PRISM-TABLE-004', 'no proxy has registered with this admin yet');
        return json(200, PartitionTable.toJSON(table), { 'x-prism-table-version': String(table.version) });
      },
    },
    {
      method: 'POST',
      path: '/v1/partition-table:plan',
      access: 'admin',
      largeBody: true,
      body: schemas.rebalance,
      handle: async (req) => json(200, RebalancePlan.toJSON(fleet.preview(RebalanceRequest.fromJSON(bodyOf(req))))),
    },
    {
      method: 'POST',
      path: '/v1/partition-table:apply',
      access: 'admin',
      limit: 'expensive',
      largeBody: true,
      body: schemas.rebalance,
      handle: async (req) => {
        const request = RebalanceRequest.fromJSON(bodyOf(req));
        return json(200, RebalancePlan.toJSON(await fleet.apply(request, actor(req))));
      },
    },
    {
      method: 'POST',
      path: '/v1/partition-table:rollback',
      access: 'admin',
      limit: 'expensive',
      body: schemas.rollback,
      handle: async (req) => {
        const request = RollbackRequest.fromJSON(bodyOf(req));
        return json(200, RebalancePlan.toJSON(await fleet.rollback(request.expectedVersion, actor(req))));
      },
    },
    {
      method: 'GET',
      path: '/v1/partition-table/rollout',
      access: 'viewer',
      handle: async () => json(200, Rollout.toJSON(fleet.rollout())),
    },
    {
      method: 'GET',
      path: '/v1/proxies',
      access: 'viewer',
      handle: async () =>
        json(
          200,
          ListProxiesResponse.toJSON({ proxies: fleet.list(), tableVersion: fleet.currentTable()?.version ?? 0 }),
        ),
    },
    {
      method: 'POST',
      path: '/v1/proxies/{id}:drain',
      access: 'admin',
      handle: async (req) => json(200, ProxyMessage.toJSON(await fleet.drain(idOf(req), true, actor(req)))),
    },
    {
      method: 'POST',
      path: '/v1/proxies/{id}:undrain',
      access: 'admin',
      handle: async (req) => json(200, ProxyMessage.toJSON(await fleet.drain(idOf(req), false, actor(req)))),
    },
    {
      method: 'GET',
      path: '/v1/audit',
      access: 'admin',
      query: schemas.audit,
      handle: async (req) => {
        const q = queryOf(req);
        const entries = await store.listAudit(
          q.target === undefined ? undefined : String(q.target),
          Number(q.limit ?? 100),
        );
        return json(200, ListAuditResponse.toJSON({ entries: entries.map((e) => ({ ...e, at: new Date(e.at) })) }));
      },
    },
    {
      method: 'GET',
      path: '/v1/export',
      // Holds the namespace signing keys, private parts included.
      access: 'admin',
      limit: 'expensive',
      handle: async (req) => json(200, await deps.transfer.export(actor(req)), { 'cache-control': 'no-store' }),
    },
    {
      method: 'POST',
      path: '/v1/import',
      access: 'admin',
      limit: 'expensive',
      bodyLimit: 'importBodyBytes',
      query: schemas.deleteQuery,
      handle: async (req) => json(200, await deps.transfer.import(req.body, queryOf(req).force === true, actor(req))),
    },
    {
      method: 'POST',
      path: '/v1/keys:rotate',
      access: 'admin',
      limit: 'expensive',
      handle: async (req) => {
        const kid = await issuer.rotate();
        await store.audit({
          at: Date.now(),
          actor: actor(req),
          action: 'rotate-key',
          target: kid,
          result: 'ok',
          detail: '',
        });
        return json(200, { kid });
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/tokens',
      access: 'admin',
      limit: 'expensive',
      body: schemas.createToken,
      handle: async (req) => {
        const request = CreateTokenRequest.fromJSON(bodyOf(req));
        const caller = req.principal as Principal;
        const ttl = request.ttlSeconds || deps.auth.defaultTokenTtlSeconds;
        if (ttl < 60 || ttl > deps.auth.maxTokenTtlSeconds) {
          throw new PrismError(
            'PRISM-ACCESS-008',
            `a token lifetime of ${ttl} s is outside 60..${deps.auth.maxTokenTtlSeconds} s (auth.maxTokenTtlSeconds)`,
          );
        }
        const { token, record } = await tokens.issue({
          name: request.name || caller.name,
          role: request.role as Principal['role'],
          ttlSeconds: ttl,
          createdBy: caller.id,
        });
        await store.audit({
          at: record.createdAt,
          actor: caller.id,
          action: 'create-token',
          target: `token:${record.name}`,
          result: 'ok',
          detail: `jti=${record.jti} role=${record.role} expires=${new Date(record.expiresAt).toISOString()}`,
        });
        return json(201, CreateTokenResponse.toJSON({ token, ...tokenInfo(record) }));
      },
    },
    {
      method: 'GET',
      path: '/v1/auth/tokens',
      access: 'admin',
      handle: async () => json(200, ListTokensResponse.toJSON({ tokens: tokens.list().map(tokenInfo) })),
    },
    {
      method: 'POST',
      path: '/v1/auth/tokens:revoke',
      access: 'admin',
      body: schemas.revokeToken,
      handle: async (req) => {
        const jti = String(bodyOf(req).jti);
        const record = await tokens.revoke(jti);
        if (!record) {
          throw new PrismError(
            'PRISM-ACCESS-008',
            `no operator token with jti ${describe(jti)} was issued by this admin (or it expired over a day ago)`,
          );
        }
        await store.audit({
          at: record.revokedAt as number,
          actor: actor(req),
          action: 'revoke-token',
          target: `token:${record.name}`,
          result: 'ok',
          detail: `jti=${record.jti}`,
        });
        return json(200, OperatorToken.toJSON(tokenInfo(record)));
      },
    },
    {
      method: 'GET',
      path: '/v1/auth/whoami',
      access: 'viewer',
      handle: async (req) => {
        const p = req.principal as Principal;
        return json(
          200,
          WhoAmIResponse.toJSON({
            principal: p.id,
            name: p.name,
            role: p.role,
            via: p.via,
            jti: p.jti ?? '',
            expiresAt: p.expiresAt === undefined ? undefined : new Date(p.expiresAt),
          }),
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/admin/status',
      access: 'viewer',
      handle: async () => json(200, await deps.adminStatus(), { 'cache-control': 'no-store' }),
    },
    {
      method: 'GET',
      path: '/v1/status',
      access: 'viewer',
      handle: async () => json(200, await deps.status.snapshot(), { 'cache-control': 'no-store' }),
    },
    // The status page itself is public: it holds no data and asks for a token before it reads any.
    ...Object.entries(statusPageFiles()).map(
      ([path, file]): Route => ({
        method: 'GET',
        path,
        access: 'public',
        handle: async () => json(200, file.body, { ...STATUS_PAGE_HEADERS, 'content-type': file.type }),
      }),
    ),
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      access: 'public',
      handle: async () => json(200, issuer.jwks(), { 'cache-control': 'public, max-age=60' }),
    },
    {
      method: 'GET',
      path: '/metrics',
      // Prometheus scrapes it without credentials; counts and proxy ids, no secrets (README).
      access: 'public',
      handle: async () => {
        metrics.activeLeases.set(await deps.countLive());
        return json(200, await metrics.registry.metrics(), { 'content-type': metrics.registry.contentType });
      },
    },
    {
      method: 'GET',
      path: '/healthz',
      access: 'public',
      limit: 'none',
      handle: async () => json(200, { status: 'ok', insecure: deps.insecure }),
    },
    {
      method: 'GET',
      path: '/readyz',
      access: 'public',
      limit: 'none',
      handle: async () => json(200, { status: 'ready', tableVersion: fleet.currentTable()?.version ?? 0 }),
    },
  ];

  // Bytes, so that fastify sends the content-type as given: `application/json`, as it always was.
  const send = (reply: FastifyReply, r: Reply) => {
    reply.code(r.status).header('content-type', 'application/json');
    if (r.headers) reply.headers(r.headers);
    return reply.send(Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)));
  };

  const notJson = (text: string) => {
    try {
      JSON.parse(text);
      return new PrismError('PRISM-API-001', 'the request body has a "__proto__" or "constructor.prototype" key');
    } catch (err) {
      return new PrismError('PRISM-API-001', `the request body is not JSON: ${(err as Error).message}`);
    }
  };

  /** Maps anything thrown while handling a request to a coded error; undefined when it is a bug. */
  const codedError = (thrown: unknown, req: FastifyRequest): PrismError | undefined => {
    if (isPrismError(thrown)) return thrown;
    if (typeof thrown !== 'object' || thrown === null) return undefined;
    const err = thrown as FastifyError;
    if (err.validation) return new PrismError('PRISM-API-001', validationMessage(err, req));
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE': {
        const option =
          req.routeOptions.config.bodyOption ??
          (req.routeOptions.config.largeBody ? 'limits.maxBodyBytes' : 'limits.smallBodyBytes');
        return new PrismError(
          'PRISM-API-002',
          `the request body exceeds ${req.routeOptions.bodyLimit} bytes, the most ${req.routeOptions.config.endpoint ?? 'this endpoint'} takes (${option})`,
          { action: `Send a smaller body, or raise ${option} on the admin.` },
        );
      }
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new PrismError(
          'PRISM-API-001',
          `a request body of content-type ${describe(req.headers['content-type'] ?? 'none')} is not accepted; send application/json`,
        );
      case 'FST_ERR_BAD_URL':
        return new PrismError('PRISM-API-005', `the path ${describe(pathOf(req.url))} is not valid percent-encoding`);
    }
    // Framework and stream errors the client caused (aborted upload, wrong Content-Length, ...).
    const status = err.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new PrismError('PRISM-API-005', `the request is malformed: ${err.message}`);
    }
    return undefined;
  };

  const answerError = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    let prism = codedError(err, req);
    if (!prism) {
      req.log.error({ err, method: req.method, path: pathOf(req.url) }, 'request failed');
      prism = new PrismError('PRISM-INTERNAL-001', `the admin failed to handle the request (request id ${req.id})`);
    }
    // Refused before its body was read (too large, no credential, over its budget): close the connection
    // instead of reading a body nobody will use.
    const early =
      prism.code === 'PRISM-API-002' || prism.code === 'PRISM-API-008' || prism.code.startsWith('PRISM-ACCESS-');
    if (prism.code === 'PRISM-API-002' || (early && carriesBody(req))) reply.header('connection', 'close');
    const challenge = CHALLENGES[prism.code];
    if (challenge) reply.header('www-authenticate', challenge);
    return send(reply, json(prism.status, prism.toBody()));
  };

  /** Node's parser refused the bytes, or a timeout fired before the request was complete. */
  const answerClientError = (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    deps.log.debug({ code: err.code }, 'client error');
    const prism =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new PrismError('PRISM-API-006', 'the request was not received in time')
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? new PrismError('PRISM-API-007', `the request line and headers exceed ${limits.maxHeaderBytes} bytes`)
          : new PrismError('PRISM-API-005', `the request is not well-formed HTTP/1.1 (${err.code ?? 'parse error'})`);
    // A response already on its way cannot be followed by another one; the connection just ends.
    const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    let answer = rawAnswer(prism);
    // An answer to HEAD ends with its header section (RFC 9112 §6.3), even a coded one.
    if (requestedHead(err, socket)) answer = answer.slice(0, answer.indexOf('\r\n\r\n') + 4);
    if (socket.writable && !pending?.headersSent) socket.end(answer, () => socket.destroy());
    else socket.destroy();
  };

  // Node drops a CONNECT request without a word when nobody listens for it.
  app.server.on('connect', (_req, socket: Socket) => {
    socket.on('error', () => undefined);
    const refusal = new PrismError('PRISM-API-004', 'CONNECT is not allowed: the admin is not a proxy');
    socket.end(rawAnswer(refusal, { allow: 'GET, POST, DELETE' }), () => socket.destroy());
  });

  app.removeAllContentTypeParsers();
  const secureJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    // An empty body is an empty message, as it always was (`POST .../x:restore` with no body).
    if ((text as string).trim() === '') return done(null, {});
    secureJson(req, text as string, (err, value) => (err ? done(notJson(text as string)) : done(null, value)));
  });

  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'querystring' ? queryAjv : bodyAjv).compile(schema as object),
  );
  app.setErrorHandler(answerError);
  app.setNotFoundHandler(async (req) => {
    throw new PrismError('PRISM-API-003', `no endpoint ${req.method} ${pathOf(req.url)}`);
  });

  const buckets = await guardRoutes(app, access, limits);

  const noBodyIsEmpty = (req: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    if (req.body === undefined) req.body = {};
    done();
  };
  const byPath = new Map<string, Method[]>();
  for (const route of routes) {
    byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
    app.route({
      method: route.method,
      url: routerPath(route.path),
      bodyLimit: route.bodyLimit
        ? limits[route.bodyLimit]
        : route.largeBody
          ? limits.maxBodyBytes
          : limits.smallBodyBytes,
      config: {
        access: route.access,
        ...(route.bodyLimit && { bodyOption: `limits.${route.bodyLimit}` }),
        endpoint: `${route.method} ${route.path}`,
        largeBody: route.largeBody === true,
        ...(route.limit !== 'none' && {
          rateLimit: route.limit === 'expensive' ? buckets.expensive : buckets.ordinary,
        }),
      },
      schema: { ...(route.body && { body: route.body }), ...(route.query && { querystring: route.query }) },
      ...(route.body && { preValidation: noBodyIsEmpty }),
      handler: async (req, reply) => send(reply, await route.handle(req)),
    });
  }
  // Every other method on a known path is a 405 naming the allowed ones, refused before any body is read.
  for (const [path, methods] of byPath) {
    const allow = methods.join(', ');
    app.route({
      method: app.supportedMethods.filter((m) => !methods.includes(m as Method)),
      url: routerPath(path),
      config: { access: 'public' },
      onRequest: async (req, reply) => {
        reply.header('allow', allow);
        throw new PrismError('PRISM-API-004', `${req.method} is not allowed on ${pathOf(req.url)}; use ${allow}`);
      },
      handler: async () => undefined,
    });
  }
  /** The route table as declared: method, path, access and bucket of each route (for tests). */
  const routeTable = routes.map(({ method, path, access: need, limit, largeBody }) => ({
    method,
    path,
    access: need,
    limit: limit ?? 'ordinary',
    largeBody: largeBody === true,
  }));
  // Not the fastify instance itself: it is thenable (`await` would unwrap it to a plain instance).
  return { app, routeTable };
}

export type HttpApi = Awaited<ReturnType<typeof buildHttpApi>>;

const tokenInfo = (r: OperatorTokenRecord): OperatorToken => ({
  jti: r.jti,
  name: r.name,
  role: r.role,
  createdAt: new Date(r.createdAt),
  expiresAt: new Date(r.expiresAt),
  createdBy: r.createdBy,
  revokedAt: r.revokedAt === null ? undefined : new Date(r.revokedAt),
});

function validationMessage(err: FastifyError, req: FastifyRequest): string {
  const e = err.validation?.[0];
  if (err.validationContext === 'querystring') {
    const name = e?.instancePath.slice(1) ?? '';
    const value = (req.query as Record<string, unknown>)[name];
    return `query parameter ${name} ${describe(value)} ${e?.message ?? 'is invalid'}`;
  }
  const field = e?.instancePath ? `field ${e.instancePath.slice(1).replaceAll('/', '.')}` : 'the body';
  const extra = e?.keyword === 'additionalProperties' ? ` (${describe(e.params.additionalProperty)})` : '';
  return `${field} ${e?.message ?? 'is invalid'}${extra}`;
}
