import { createServer, type Server } from 'node:http';
import { connect, constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { FakeClock } from '../../test-support/fake-clock.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';

let admin: StartedAdmin;
let backend: Backend;
let proxy: StartedProxy;
const servers: Server[] = [];

/** A backend with a behaviour of its own, on 127.0.0.1:0. */
async function special(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler as never);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const get = (ns: string | undefined, headers: Record<string, string> = {}) =>
  fetch(`${proxy.url}/`, { headers: ns === undefined ? headers : { 'x-prism-namespace': ns, ...headers } });

async function reserve(name: string, backends: string[]) {
  expect((await api(admin.http, 'POST', '/v1/namespaces', { name, backends })).status).toBe(201);
  await until(() => proxy.proxy.state.advertisements.has(name), 5000, `advertisement of ${name}`);
}

beforeAll(async () => {
  admin = await startAdmin();
  backend = await startBackend('ok');
  proxy = await startProxy('only', [admin.grpc], {
    forwarding: { timeoutMs: 500 },
    limits: { headersTimeoutMs: 300, idleTimeoutMs: 800, maxHeaderBytes: 4096 },
    pools: { backendRetryMs: 60_000 },
  });
  await until(() => proxy.proxy.state.version > 0, 5000, 'table');
  await reserve('fine', [backend.url]);
});

afterAll(async () => {
  await proxy.stop();
  removeDir(proxy.stateDir);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await backend.stop();
  await admin.stop();
});

async function expectCode(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect((await res.json()).error.code).toBe(code);
}

describe('requests the proxy refuses, with a coded JSON error', () => {
  it('missing, invalid and unknown namespaces', async () => {
    await expectCode(await get(undefined), 400, 'PRISM-NS-002');
    await expectCode(await get('Not_Valid'), 400, 'PRISM-NS-001');
    await expectCode(await get('x'.repeat(64)), 400, 'PRISM-NS-001');
    await expectCode(await get('never-reserved'), 404, 'PRISM-NS-003');
    await expectCode(await get('fine', { 'x-prism-table-version': '-1' }), 400, 'PRISM-ROUTE-007');
  });

  it('oversized headers get 431 and the proxy keeps serving', async () => {
    const res = await get('fine', { 'x-filler': 'y'.repeat(8000) });
    expect(res.status).toBe(431);
    expect((await get('fine')).status).toBe(200);
  });

  it('a client that never finishes its headers is cut off', async () => {
    const socket = tcp(Number(new URL(proxy.url).port), '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: fine\r\n');
    const started = Date.now();
    let reply = '';
    socket.on('data', (d) => {
      reply += d;
    });
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(reply === '' || reply.startsWith('HTTP/1.1 408')).toBe(true);
    expect((await get('fine')).status).toBe(200);
  });

  it('an idle keep-alive connection is closed after idleTimeoutMs', async () => {
    const socket = tcp(Number(new URL(proxy.url).port), '127.0.0.1');
    let reply = '';
    socket.on('data', (d) => {
      reply += d;
    });
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: fine\r\n\r\n');
    const started = Date.now();
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(reply.startsWith('HTTP/1.1 200')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('upstream failures', () => {
  it('a dead backend is a 502 naming it, then skipped while another one serves', async () => {
    const dead = 'http://127.0.0.1:1';
    await reserve('half-dead', [dead, backend.url]);
    const first = await get('half-dead');
    const second = await get('half-dead');
    const codes = [first.status, second.status].sort();
    expect(codes).toEqual([200, 502]);
    const failed = first.status === 502 ? first : second;
    expect((await failed.json()).error).toMatchObject({ code: 'PRISM-ROUTE-006' });
    for (let i = 0; i < 4; i++) expect((await get('half-dead')).status).toBe(200);
  });

  it('a backend that does not answer in time is a 504', async () => {
    const slow = await special((_req: unknown, res: { end(): void }) => setTimeout(() => res.end(), 3000));
    await reserve('slowpoke', [slow]);
    await expectCode(await get('slowpoke'), 504, 'PRISM-ROUTE-003');
  });

  it('an upstream that dies mid-body cuts the response, and the proxy lives on', async () => {
    const broken = await special((_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('x'.repeat(1000));
      setTimeout(() => res.destroy(), 50);
    });
    await reserve('breaks', [broken]);
    const res = await get('breaks');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect((await get('fine')).status).toBe(200);
  });

  it('an HTTP/2 client that resets its stream before the upstream answers does not crash the proxy', async () => {
    let upstreamClosedEarly = 0;
    const slow = await special((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      res.on('close', () => {
        if (!res.writableFinished) upstreamClosedEarly++;
      });
      setTimeout(() => {
        if (!res.destroyed) res.end('late');
      }, 400);
      void req;
    });
    await reserve('reset-me', [slow]);
    const session = connect(proxy.url);
    for (let i = 0; i < 5; i++) {
      const stream = session.request({ ':path': '/', 'x-prism-namespace': 'reset-me' });
      stream.on('error', () => undefined);
      stream.end();
      setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), 50);
    }
    await new Promise((r) => setTimeout(r, 700));
    session.close();
    expect(upstreamClosedEarly).toBe(5);
    expect((await get('fine')).status).toBe(200);
  });

  it('an owner proxy that cannot be reached: its namespace is served here (X-Prism-Fallback), or a 502 naming it with ownerUnreachable: fail', async () => {
    const ghost = new FakeProxy(admin.grpc, 'ghost', { dataPort: 1 });
    await until(() => proxy.proxy.state.table?.proxies.length === 2, 5000, 'ghost joined');
    const names = Array.from({ length: 40 }, (_, i) => `g-${i}`);
    for (const n of names) await api(admin.http, 'POST', '/v1/namespaces', { name: n, backends: [backend.url] });
    await until(() => names.every((n) => proxy.proxy.state.advertisements.has(n)), 5000);
    const ns = names.find((n) => proxy.proxy.state.router?.route(n).owner === 'ghost') as string;
    const served = await get(ns);
    expect(served.status).toBe(200);
    expect(served.headers.get('x-prism-fallback')).toBe('owner-unreachable');
    expect(served.headers.get('x-prism-owner')).toBe('127.0.0.1:1');
    await served.text();
    const strictNames = Array.from({ length: 40 }, (_, i) => `gs-${i}`);
    for (const n of strictNames) {
      const config = { ownerUnreachable: 'fail' };
      await api(admin.http, 'POST', '/v1/namespaces', { name: n, backends: [backend.url], config });
    }
    await until(() => strictNames.every((n) => proxy.proxy.state.ownerOnly.has(n)), 5000);
    const strict = strictNames.find((n) => proxy.proxy.state.router?.route(n).owner === 'ghost') as string;
    const res = await get(strict);
    expect(res.status).toBe(502);
    expect(res.headers.get('x-prism-owner')).toBe('127.0.0.1:1');
    expect((await res.json()).error.code).toBe('PRISM-ROUTE-002');
    ghost.kill();
    await until(() => proxy.proxy.state.table?.proxies.length === 1, 5000, 'ghost gone');
    expect((await get(ns)).status).toBe(200);
  });
});

describe('namespace tokens', () => {
  let authed: StartedProxy;
  let clock: FakeClock;
  let authAdmin: StartedAdmin;

  beforeAll(async () => {
    clock = new FakeClock(Date.now());
    authAdmin = await startAdmin({ clock });
    authed = await startProxy('authed', [authAdmin.grpc], { auth: { required: true } });
    await until(() => authed.proxy.state.version > 0 && authed.proxy.state.jwks, 5000, 'table and keys');
  });
  afterAll(async () => {
    await authed.stop();
    removeDir(authed.stateDir);
    await authAdmin.stop();
  });

  const call = (ns: string, token?: string) =>
    fetch(`${authed.url}/`, {
      headers: { 'x-prism-namespace': ns, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });

  it("accepts the reservation token; refuses none, a forged one, another namespace's, a revoked and an expired one", async () => {
    const a = await api(authAdmin.http, 'POST', '/v1/namespaces', { name: 'secure', backends: [backend.url] });
    const b = await api(authAdmin.http, 'POST', '/v1/namespaces', { name: 'other', backends: [backend.url] });
    await until(() => authed.proxy.state.advertisements.size === 2, 5000);
    expect((await call('secure', a.json.token)).status).toBe(200);
    expect((await call('secure', a.json.token)).status).toBe(200);
    await expectCode(await call('secure'), 401, 'PRISM-AUTH-001');
    const [h, p] = a.json.token.split('.');
    await expectCode(await call('secure', `${h}.${p}.AAAA`), 401, 'PRISM-AUTH-002');
    await expectCode(await call('secure', b.json.token), 403, 'PRISM-AUTH-006');

    await api(authAdmin.http, 'POST', '/v1/namespaces/other:revoke', {});
    await until(() => authed.proxy.state.revoked.size > 0, 5000, 'revocation pushed');
    await api(authAdmin.http, 'POST', '/v1/namespaces/other:restore', {});
    await until(() => authed.proxy.state.advertisements.has('other'), 5000);
    await expectCode(await call('other', b.json.token), 401, 'PRISM-AUTH-004');

    clock.advance(-3 * 86_400_000);
    const old = await api(authAdmin.http, 'POST', '/v1/namespaces', {
      name: 'stale',
      backends: [backend.url],
      leaseTtlSeconds: 3600,
    });
    await until(() => authed.proxy.state.advertisements.has('stale'), 5000);
    await expectCode(await call('stale', old.json.token), 401, 'PRISM-AUTH-003');
  });
});
