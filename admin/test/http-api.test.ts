import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAdmin } from '../../admin/src/admin.js';
import { loadConfig } from '../../core/src/config/load.js';
import { partitionOf } from '../../core/src/partition.js';
import {
  bootstrapToken,
  FakeProxy,
  type StartedAdmin,
  startAdmin,
  withFleetTls,
} from '../../test-support/admin-harness.js';

// The operator API through fastify's inject(): no socket, same routing, parsing and error mapping.

const started: StartedAdmin[] = [];
const proxies: FakeProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) p.kill();
  for (const a of started.splice(0)) await a.stop();
});
const admin = async (values?: Record<string, unknown>) => {
  const a = await startAdmin({ values });
  started.push(a);
  return a;
};

type Inject = StartedAdmin['admin']['http']['inject'];
/** Sends the admin's bootstrap token unless `headers` carries an authorization of its own. */
const call = async (a: StartedAdmin, method: string, url: string, body?: unknown, headers = {}) => {
  const withToken = { authorization: `Bearer ${a.token}`, ...headers };
  const r = await (a.admin.http.inject as Inject)({
    method: method as 'GET',
    url,
    headers: body === undefined ? withToken : { 'content-type': 'application/json', ...withToken },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json =
    String(r.headers['content-type']).startsWith('application/json') && r.body ? JSON.parse(r.body) : undefined;
  return { status: r.statusCode, headers: r.headers, text: r.body, json };
};

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

describe('every route of the README, on fastify', () => {
  it('serves each route with its method, status, JSON and headers', async () => {
    const a = await admin();
    const p = new FakeProxy(a.grpc, 'proxy-a');
    proxies.push(p);
    await p.tableAt(1);

    const reserved = await call(a, 'POST', '/v1/namespaces', { name: 'alpha', backends: ['http://127.0.0.1:9'] });
    expect([reserved.status, reserved.headers['content-type']]).toEqual([201, 'application/json']);
    expect(reserved.json).toMatchObject({
      namespace: { name: 'alpha' },
      owner: 'proxy-a',
      partitionId: partitionOf('alpha'),
    });

    const list = await call(a, 'GET', '/v1/namespaces?prefix=al&pageSize=10&includeDeleted=false');
    expect(list.json.namespaces.map((n: { name: string }) => n.name)).toEqual(['alpha']);
    expect((await call(a, 'GET', '/v1/namespaces/alpha')).json.name).toBe('alpha');
    expect((await call(a, 'POST', '/v1/namespaces/alpha:refresh', { leaseTtlSeconds: 7200 })).json.lease).toMatchObject(
      { ttlSeconds: 7200 },
    );
    const revoked = await call(a, 'POST', '/v1/namespaces/alpha:revoke', { reason: 'test' });
    expect(revoked.json.lease.state).toBe('LEASE_STATE_REVOKED');
    // No body at all (`curl -X POST`): an empty message, as before.
    const restored = await call(a, 'POST', '/v1/namespaces/alpha:restore');
    expect([restored.status, restored.json.lease.state]).toEqual([200, 'LEASE_STATE_ACTIVE']);
    expect((await call(a, 'DELETE', '/v1/namespaces/alpha?force=true')).json.deletedAt).toBeDefined();
    expect(await call(a, 'POST', '/v1/namespaces/alpha:purge', { force: true })).toMatchObject({
      status: 200,
      json: {},
    });
    expect((await call(a, 'GET', '/v1/namespaces/alpha')).status).toBe(404);

    const table = await call(a, 'GET', '/v1/partition-table');
    expect(table.headers['x-prism-table-version']).toBe(String(table.json.version));
    expect((await call(a, 'POST', '/v1/partition-table:plan', {})).json.table.version).toBeGreaterThan(0);
    expect((await call(a, 'POST', '/v1/partition-table:apply', { strategy: 'STRATEGY_CONSISTENT_HASH' })).status).toBe(
      200,
    );
    expect((await call(a, 'GET', '/v1/proxies')).json.proxies[0].id).toBe('proxy-a');
    const audit = await call(a, 'GET', '/v1/audit?target=alpha&limit=2');
    expect(audit.json.entries.map((e: { action: string }) => e.action)).toEqual(['purge', 'delete']);
    const kid = (await call(a, 'POST', '/v1/keys:rotate')).json.kid;
    expect((await call(a, 'GET', `/v1/audit?target=${kid}`)).json.entries[0]).toMatchObject({
      actor: 'token:bootstrap',
      action: 'rotate-key',
    });
    const jwks = await call(a, 'GET', '/.well-known/jwks.json');
    expect([jwks.headers['cache-control'], jwks.json.keys.length]).toEqual(['public, max-age=60', 2]);
    const metrics = await call(a, 'GET', '/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.text).toContain('prism_namespace_reservations_total{status="ok"} 1');
    expect((await call(a, 'GET', '/healthz')).json).toEqual({ status: 'ok', insecure: false });
    expect((await call(a, 'GET', '/readyz')).json).toMatchObject({ status: 'ready' });
  });

  it.each([
    ['/v1/namespaces', 'POST, GET'],
    ['/v1/namespaces/alpha', 'GET, DELETE'],
    ['/v1/namespaces/alpha:refresh', 'POST'],
    ['/v1/namespaces/alpha:revoke', 'POST'],
    ['/v1/namespaces/alpha:restore', 'POST'],
    ['/v1/namespaces/alpha:purge', 'POST'],
    ['/v1/partition-table', 'GET'],
    ['/v1/partition-table:plan', 'POST'],
    ['/v1/partition-table:apply', 'POST'],
    ['/v1/proxies', 'GET'],
    ['/v1/audit', 'GET'],
    ['/v1/keys:rotate', 'POST'],
    ['/v1/auth/tokens', 'POST, GET'],
    ['/v1/auth/tokens:revoke', 'POST'],
    ['/v1/auth/whoami', 'GET'],
    ['/.well-known/jwks.json', 'GET'],
    ['/metrics', 'GET'],
    ['/healthz', 'GET'],
    ['/readyz', 'GET'],
  ])('%s refuses every other method with 405 PRISM-API-004 and Allow: %s', async (path, allow) => {
    const a = await admin();
    for (const method of ALL_METHODS.filter((m) => !allow.split(', ').includes(m))) {
      // A body that would fail parsing shows the refusal comes before the body is read.
      const r = await call(a, method, path, method === 'GET' || method === 'HEAD' ? undefined : '{oops');
      expect([method, r.status, r.headers.allow]).toEqual([method, 405, allow]);
      if (method !== 'HEAD') expect(r.json.error.code).toBe('PRISM-API-004');
    }
  });

  it.each([
    ['/v1/namespaces/alpha:bogus', 'an unknown action'],
    ['/v1/namespaces/a:b:refresh', 'two colons'],
    ['/v1/namespaces/', 'an empty name'],
    ['/v1/namespaces/alpha/extra', 'an extra segment'],
    ['/v1/Namespaces', 'another case'],
    ['/v1/keys:Rotate', 'an action in another case'],
  ])('%s (%s) is 404 PRISM-API-003', async (path) => {
    const a = await admin();
    const r = await call(a, 'GET', path);
    expect([r.status, r.json.error.code]).toEqual([404, 'PRISM-API-003']);
  });

  it('a name with an encoded slash or a 300-character name reaches the namespace rules: 400 PRISM-NS-001', async () => {
    const a = await admin();
    for (const name of ['a%2Fb', 'x'.repeat(300)]) {
      const r = await call(a, 'GET', `/v1/namespaces/${name}`);
      expect([r.status, r.json.error.code]).toEqual([400, 'PRISM-NS-001']);
    }
  });
});

describe('request bodies and query strings', () => {
  it('an empty body, no body and {} are the same empty message on every action', async () => {
    const a = await admin();
    await call(a, 'POST', '/v1/namespaces', { name: 'beta' });
    for (const body of [undefined, '', '  \n', {}]) {
      expect((await call(a, 'POST', '/v1/namespaces/beta:refresh', body)).status).toBe(200);
    }
    expect((await call(a, 'POST', '/v1/keys:rotate', '')).status).toBe(200);
  });

  it.each([
    [
      'a field of the wrong type names the field',
      { name: 'x', backends: 'http://a:1' },
      'field backends must be array',
    ],
    [
      'an unknown field is named',
      { name: 'x', colour: 'blue' },
      'the body must NOT have additional properties ("colour")',
    ],
    ['a missing field is named', { team: 't' }, "the body must have required property 'name'"],
    ['a number is not coerced to a string', { name: 7 }, 'field name must be string'],
    ['JSON that is not an object', [1, 2], 'the body must be object'],
  ])('%s', async (_what, body, message) => {
    const a = await admin();
    const r = await call(a, 'POST', '/v1/namespaces', body);
    expect([r.status, r.json.error.code, r.json.error.message]).toEqual([400, 'PRISM-API-001', message]);
  });

  it.each([
    ['/v1/namespaces?pageSize=abc', 'query parameter pageSize "abc" must be integer'],
    ['/v1/namespaces?pageSize=0', 'query parameter pageSize 0 must be >= 1'],
    ['/v1/namespaces?pageSize=1001', 'query parameter pageSize 1001 must be <= 1000'],
    ['/v1/namespaces?pageSize=1&pageSize=2', 'query parameter pageSize ["1","2"] must be integer'],
    ['/v1/namespaces?includeDeleted=yes', 'query parameter includeDeleted "yes" must be boolean'],
    ['/v1/audit?limit=-5', 'query parameter limit -5 must be >= 1'],
    ['/v1/audit?limit=1.5', 'query parameter limit "1.5" must be integer'],
    ['/v1/audit?target=a&target=b', 'query parameter target ["a","b"] must be string'],
    ['/v1/namespaces/alpha?force=1', 'query parameter force "1" must be boolean'],
  ])('%s is 400 PRISM-API-001: %s', async (url, message) => {
    const a = await admin();
    const r = await call(a, url.startsWith('/v1/namespaces/alpha') ? 'DELETE' : 'GET', url);
    expect([r.status, r.json.error.code, r.json.error.message]).toEqual([400, 'PRISM-API-001', message]);
  });

  it('a body needs Content-Type application/json (a cross-site form post cannot reach an action)', async () => {
    const a = await admin();
    await call(a, 'POST', '/v1/namespaces', { name: 'gamma' });
    const form = await call(a, 'POST', '/v1/namespaces/gamma:revoke', 'reason=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect([form.status, form.json.error.code]).toEqual([400, 'PRISM-API-001']);
    expect(form.json.error.message).toContain('"application/x-www-form-urlencoded" is not accepted');
    expect((await call(a, 'GET', '/v1/namespaces/gamma')).json.lease.state).toBe('LEASE_STATE_ACTIVE');
    const charset = await call(a, 'POST', '/v1/namespaces/gamma:refresh', '{}', {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(charset.status).toBe(200);
  });
});

describe('a failure nobody foresaw', () => {
  it('is a 500 PRISM-INTERNAL-001 naming the request id, and one error line with that id and the stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-bug-'));
    const lines: { level: number; msg: string; reqId?: string; err?: { stack: string } }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const config = loadConfig('admin', {
      values: await withFleetTls({ dataDir: dir, grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' }),
    });
    const built = await buildAdmin({ config, timers: false, logger });
    try {
      // What a later plugin with a bug looks like: a route that throws something that is not a PrismError.
      const viewer = { config: { access: 'viewer' as const } };
      built.http.get('/v1/bug', viewer, async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      });
      built.http.get('/v1/bug-null', viewer, async () => Promise.reject(null));
      const authorization = `Bearer ${bootstrapToken(dir)}`;
      for (const url of ['/v1/bug', '/v1/bug-null']) {
        const r = await built.http.inject({ method: 'GET', url, headers: { authorization } });
        expect(r.statusCode).toBe(500);
        const error = r.json().error;
        expect(error.code).toBe('PRISM-INTERNAL-001');
        expect(r.body).not.toContain('TypeError');
        expect(r.body).not.toMatch(/\bat .*:\d+/);
        const reqId = /request id (\S+)\)/.exec(error.message)?.[1];
        const logged = lines.filter((l) => l.level >= 50);
        expect(logged.at(-1)).toMatchObject({ msg: 'request failed', reqId });
      }
      expect(lines.filter((l) => l.level >= 50)[0].err?.stack).toContain('TypeError');
      expect((await built.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await built.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
