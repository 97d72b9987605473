import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';

const NAMESPACES = [
  'orders-prod',
  'acme-billing',
  'eu-payments',
  'test-namespace',
  'a',
  'users',
  'carts',
  'search-idx',
  'logs-7',
  'inventory',
];

let admin: StartedAdmin;
let backends: Backend[];
const proxies: StartedProxy[] = [];

async function owners() {
  const table = parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json);
  return { table, router: compileRouter(table) };
}

async function h2get(url: string, headers: Record<string, string>) {
  const session = connect(url);
  try {
    return await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const stream = session.request({ ':method': 'GET', ':path': '/h2', ...headers });
      let status = 0;
      let got: Record<string, unknown> = {};
      let body = '';
      stream.on('response', (h) => {
        status = Number(h[':status']);
        got = h;
      });
      stream.on('data', (d) => {
        body += d;
      });
      stream.on('end', () => resolve({ status, headers: got, body }));
      stream.on('error', reject);
      stream.end();
    });
  } finally {
    session.close();
  }
}

beforeAll(async () => {
  admin = await startAdmin();
  backends = await Promise.all([startBackend('b1'), startBackend('b2')]);
  for (const id of ['proxy-1', 'proxy-2', 'proxy-3']) proxies.push(await startProxy(id, [admin.grpc]));
  for (const ns of NAMESPACES) {
    const r = await api(admin.http, 'POST', '/v1/namespaces', { name: ns, backends: backends.map((b) => b.url) });
    expect(r.status).toBe(201);
  }
  await until(
    async () => {
      const { table } = await owners().catch(() => ({ table: undefined }));
      return (
        table?.proxies.length === 3 &&
        proxies.every(
          (p) => p.proxy.state.version === table.version && p.proxy.state.advertisements.size === NAMESPACES.length,
        )
      );
    },
    10_000,
    'all proxies on the 3-proxy table',
  );
});

afterAll(async () => {
  for (const p of proxies) {
    await p.stop();
    removeDir(p.stateDir);
  }
  for (const b of backends) await b.stop();
  await admin.stop();
});

describe('every namespace answers through any proxy', () => {
  it('HTTP/1.1: served by the owner, X-Prism-Forwarded-By exactly when the entry proxy is not the owner', async () => {
    const { router } = await owners();
    for (const ns of NAMESPACES) {
      const owner = router.route(ns).owner;
      for (const entry of proxies) {
        const res = await fetch(`${entry.url}/items/1?x=y`, { headers: { 'x-prism-namespace': ns } });
        const body = await res.json();
        expect(res.status).toBe(200);
        expect(res.headers.get('x-prism-served-by')).toBe(owner);
        expect(res.headers.get('x-prism-partition')).toBe(String(router.route(ns).partition));
        expect(res.headers.get('x-prism-forwarded-by')).toBe(entry.id === owner ? null : entry.id);
        expect(body.url).toBe('/items/1?x=y');
        expect(body.headers['x-prism-namespace']).toBe(ns);
      }
    }
  });

  it('h2c with prior knowledge on the same port: same owners, same headers', async () => {
    const { router } = await owners();
    for (const ns of NAMESPACES.slice(0, 5)) {
      const owner = router.route(ns).owner;
      for (const entry of proxies) {
        const res = await h2get(entry.url, { 'x-prism-namespace': ns });
        expect(res.status).toBe(200);
        expect(res.headers['x-prism-served-by']).toBe(owner);
        expect(res.headers['x-prism-forwarded-by']).toBe(entry.id === owner ? undefined : entry.id);
        expect(JSON.parse(res.body).url).toBe('/h2');
      }
    }
  });

  it('a 1 MB POST arrives intact through a forward', async () => {
    const { router } = await owners();
    const ns = NAMESPACES[0];
    const entry = proxies.find((p) => p.id !== router.route(ns).owner) as StartedProxy;
    const payload = randomBytes(1 << 20);
    const res = await fetch(`${entry.url}/upload`, {
      method: 'POST',
      body: payload,
      headers: { 'x-prism-namespace': ns },
    });
    const body = await res.json();
    expect(res.headers.get('x-prism-forwarded-by')).toBe(entry.id);
    expect(body.bytes).toBe(payload.length);
    expect(body.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('spreads a namespace over its backends, round robin', async () => {
    const before = backends.map((b) => b.requests);
    const { router } = await owners();
    const owner = proxies.find((p) => p.id === router.route('users').owner) as StartedProxy;
    for (let i = 0; i < 10; i++)
      await (await fetch(`${owner.url}/`, { headers: { 'x-prism-namespace': 'users' } })).text();
    expect(backends.map((b, i) => b.requests - before[i])).toEqual([5, 5]);
  });
});
