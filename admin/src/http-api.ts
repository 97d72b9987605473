import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import { isPrismError, PrismError } from '../../core/src/errors.js';
import { describe } from '../../core/src/names.js';
import { partitionTableSchema } from '../../core/src/table-schema.js';
import { Namespace } from '../../proto/gen/prism/admin/v1/namespace.js';
import {
  ListAuditResponse,
  ListNamespacesResponse,
  ListProxiesResponse,
  RebalancePlan,
  RebalanceRequest,
  ReserveNamespaceRequest,
  ReserveNamespaceResponse,
} from '../../proto/gen/prism/admin/v1/operator.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import type { Fleet } from './fleet.js';
import type { AdminMetrics } from './metrics.js';
import { leaseWarnings, type NamespaceService } from './namespaces.js';
import type { AdminStore } from './store.js';
import type { TokenIssuer } from './tokens.js';

const ajv = new Ajv({ strict: true, allErrors: false });
const str = (max: number) => ({ type: 'string', maxLength: max }) as const;
const uint = { type: 'integer', minimum: 0, maximum: 4_294_967_295 } as const;

const schemas = {
  reserve: ajv.compile({
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
  }),
  refresh: ajv.compile({
    type: 'object',
    additionalProperties: false,
    properties: { name: str(255), leaseTtlSeconds: uint, lease_ttl_seconds: uint },
  }),
  revoke: ajv.compile({
    type: 'object',
    additionalProperties: false,
    properties: { name: str(255), reason: str(1024) },
  }),
  force: ajv.compile({
    type: 'object',
    additionalProperties: false,
    properties: { name: str(255), force: { type: 'boolean' } },
  }),
  rebalance: ajv.compile({
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
    },
  }),
};

export interface HttpApiDeps {
  namespaces: NamespaceService;
  fleet: Fleet;
  issuer: TokenIssuer;
  store: AdminStore;
  metrics: AdminMetrics;
  log: Logger;
  maxBodyBytes: number;
  countLive(): Promise<number>;
}

type Handler = (req: IncomingMessage, url: URL, name: string | undefined) => Promise<Reply>;
interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });

/** The HTTP/JSON operator API (CONTRACT §6): proto3 JSON in and out, coded errors. */
export function buildHttpApi(deps: HttpApiDeps): Server {
  const { namespaces, fleet, issuer, store, metrics } = deps;

  const actor = (req: IncomingMessage) => {
    const given = req.headers['x-prism-actor'];
    if (typeof given === 'string' && /^[\x20-\x7e]{1,128}$/.test(given)) return given;
    return `ip:${req.socket.remoteAddress ?? 'unknown'}`;
  };

  const body = async (req: IncomingMessage, validate: ValidateFunction): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > deps.maxBodyBytes) {
        throw new PrismError('PRISM-API-002', `the request body exceeds ${deps.maxBodyBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let value: unknown = {};
    if (text.trim() !== '') {
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new PrismError('PRISM-API-001', `the request body is not JSON: ${(err as Error).message}`);
      }
    }
    if (!validate(value)) {
      const e = validate.errors?.[0];
      const field = e?.instancePath ? `field ${e.instancePath.slice(1).replaceAll('/', '.')}` : 'the body';
      const extra = e?.keyword === 'additionalProperties' ? ` (${describe(e.params.additionalProperty)})` : '';
      throw new PrismError('PRISM-API-001', `${field} ${e?.message ?? 'is invalid'}${extra}`);
    }
    return value as Record<string, unknown>;
  };

  const namespaceReply = (status: number, ns: Namespace): Reply => {
    const warnings = leaseWarnings(ns);
    return json(
      status,
      Namespace.toJSON(ns),
      warnings.length ? { warning: `299 prism-admin "${warnings[0]}"` } : undefined,
    );
  };

  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/v1/namespaces': {
      POST: async (req) => {
        const request = ReserveNamespaceRequest.fromJSON(await body(req, schemas.reserve));
        return json(201, ReserveNamespaceResponse.toJSON(await namespaces.reserve(request, actor(req))));
      },
      GET: async (_req, url) => {
        const q = url.searchParams;
        const pageSize = Number(q.get('pageSize') ?? 100);
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
          throw new PrismError(
            'PRISM-API-001',
            `pageSize ${describe(q.get('pageSize'))} is not an integer from 1 to 1000`,
          );
        }
        const list = await namespaces.list({
          prefix: q.get('prefix') ?? '',
          includeDeleted: q.get('includeDeleted') === 'true',
          pageSize,
          pageToken: q.get('pageToken') ?? '',
        });
        return json(200, ListNamespacesResponse.toJSON(list));
      },
    },
    '/v1/namespaces/{name}': {
      GET: async (_req, _url, name) => namespaceReply(200, await namespaces.get(name ?? '')),
      DELETE: async (req, url, name) => {
        const force = url.searchParams.get('force') === 'true';
        return namespaceReply(200, await namespaces.delete(name ?? '', force, actor(req)));
      },
    },
    '/v1/namespaces/{name}:refresh': {
      POST: async (req, _url, name) => {
        const b = await body(req, schemas.refresh);
        const ttl = Number(b.leaseTtlSeconds ?? b.lease_ttl_seconds ?? 0);
        return json(200, ReserveNamespaceResponse.toJSON(await namespaces.refresh(name ?? '', ttl, actor(req))));
      },
    },
    '/v1/namespaces/{name}:revoke': {
      POST: async (req, _url, name) => {
        const b = await body(req, schemas.revoke);
        return namespaceReply(200, await namespaces.revoke(name ?? '', String(b.reason ?? ''), actor(req)));
      },
    },
    '/v1/namespaces/{name}:restore': {
      POST: async (req, _url, name) => {
        await body(req, schemas.revoke);
        return json(200, ReserveNamespaceResponse.toJSON(await namespaces.restore(name ?? '', actor(req))));
      },
    },
    '/v1/namespaces/{name}:purge': {
      POST: async (req, _url, name) => {
        const b = await body(req, schemas.force);
        await namespaces.purge(name ?? '', b.force === true, actor(req));
        return json(200, {});
      },
    },
    '/v1/partition-table': {
      GET: async () => {
        const table = fleet.currentTable();
        if (!table) throw new PrismError('PRISM-TABLE-004', 'no proxy has registered with this admin yet');
        return json(200, PartitionTable.toJSON(table), { 'x-prism-table-version': String(table.version) });
      },
    },
    '/v1/partition-table:plan': {
      POST: async (req) =>
        json(200, RebalancePlan.toJSON(fleet.preview(RebalanceRequest.fromJSON(await body(req, schemas.rebalance))))),
    },
    '/v1/partition-table:apply': {
      POST: async (req) => {
        const request = RebalanceRequest.fromJSON(await body(req, schemas.rebalance));
        return json(200, RebalancePlan.toJSON(await fleet.apply(request, actor(req))));
      },
    },
    '/v1/proxies': {
      GET: async () =>
        json(
          200,
          ListProxiesResponse.toJSON({ proxies: fleet.list(), tableVersion: fleet.currentTable()?.version ?? 0 }),
        ),
    },
    '/v1/audit': {
      GET: async (_req, url) => {
        const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 1000);
        const entries = await store.listAudit(url.searchParams.get('target') ?? undefined, limit);
        return json(200, ListAuditResponse.toJSON({ entries: entries.map((e) => ({ ...e, at: new Date(e.at) })) }));
      },
    },
    '/v1/keys:rotate': {
      POST: async (req) => {
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
    '/.well-known/jwks.json': {
      GET: async () => json(200, issuer.jwks(), { 'cache-control': 'public, max-age=60' }),
    },
    '/healthz': { GET: async () => json(200, { status: 'ok' }) },
    '/readyz': { GET: async () => json(200, { status: 'ready', tableVersion: fleet.currentTable()?.version ?? 0 }) },
  };

  const match = (path: string): { key: string; name?: string } => {
    const m = /^\/v1\/namespaces\/([^/:]+)(:[a-z]+)?$/.exec(path);
    if (m) return { key: `/v1/namespaces/{name}${m[2] ?? ''}`, name: decodeURIComponent(m[1]) };
    return { key: path };
  };

  const send = (res: ServerResponse, reply: Reply) => {
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(text);
  };

  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    try {
      if (url.pathname === '/metrics' && req.method === 'GET') {
        metrics.activeLeases.set(await deps.countLive());
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
        return;
      }
      const { key, name } = match(url.pathname);
      const methods = routes[key];
      if (!methods) throw new PrismError('PRISM-API-003', `no endpoint ${req.method} ${url.pathname}`);
      const handler = methods[req.method ?? 'GET'];
      if (!handler) {
        const allow = Object.keys(methods).join(', ');
        send(
          res,
          json(
            405,
            new PrismError('PRISM-API-004', `${req.method} is not allowed on ${url.pathname}; use ${allow}`).toBody(),
            { allow },
          ),
        );
        return;
      }
      send(res, await handler(req, url, name));
    } catch (err) {
      const prism = isPrismError(err)
        ? err
        : new PrismError('PRISM-INTERNAL-001', 'the admin failed to handle the request');
      if (!isPrismError(err)) deps.log.error({ err, path: url.pathname }, 'request failed');
      if (prism.code === 'PRISM-API-002') res.setHeader('connection', 'close');
      send(res, json(prism.status, prism.toBody()));
    }
  });
}
