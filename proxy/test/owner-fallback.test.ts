import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRouter } from '../../core/src/route.js';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';
import { type ProxyProcess, spawnProxy } from '../../test-support/spawn-program.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/**
 * An admin, an entry proxy in this process and the owner as a process of its own (so it can be
 * SIGKILLed), one backend, and namespaces of which `owned` are owned by the owner. The admin is
 * stopped before the owner goes: the entry proxy's table keeps naming the owner (as it does for the
 * admin's restart grace, or until the admin's push arrives), which is the window this is about.
 */
async function ownerAndEntry(config: Record<string, string> = {}) {
  const admin: StartedAdmin = await startAdmin();
  cleanup.push(() => admin.stop());
  const backend: Backend = await startBackend('b');
  cleanup.push(() => backend.stop());
  const entry: StartedProxy = await startProxy('entry', [admin.grpc]);
  cleanup.push(async () => {
    await entry.stop();
    removeDir(entry.stateDir);
  });
  const ownerDir = mkdtempSync(join(tmpdir(), 'prism-proxy-owner-'));
  const owner: ProxyProcess = await spawnProxy('owner', admin.grpc, ownerDir);
  cleanup.push(async () => {
    await owner.stop(true);
    removeDir(ownerDir);
  });
  const names = Array.from({ length: 12 }, (_, i) => `fb-${i}`);
  for (const name of names) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url], config });
  await until(
    () => entry.proxy.state.table?.proxies.length === 2 && entry.proxy.state.advertisements.size === names.length,
    15_000,
    'both proxies in the table',
  );
  const router = compileRouter(entry.proxy.state.table as never);
  const ns = names.find((n) => router.route(n).owner === 'owner') as string;
  expect(ns).toBeDefined();
  // The owner has the table and advertisements too: it serves what the entry proxy forwards.
  await until(async () => (await send(entry, ns)).headers.get('x-prism-served-by') === 'owner', 15_000, 'owner serves');
  return { admin, backend, entry, owner, ns, ownerAddress: `127.0.0.1:${owner.port}` };
}

function send(p: StartedProxy, ns: string, init: RequestInit & { path?: string } = {}) {
  return fetch(`${p.url}${init.path ?? '/'}`, { ...init, headers: { 'x-prism-namespace': ns, ...init.headers } });
}

async function metric(p: StartedProxy, line: string): Promise<number> {
  const text = await (await fetch(`${p.ops}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.split(' ')[1]) : 0;
}

describe('nobody fails while an owner is gone', () => {
  it('owner SIGKILLed: the entry proxy serves its namespace from the backends, marked X-Prism-Fallback (a GET, and a POST that never reached the owner)', async () => {
    const { admin, backend, entry, owner, ns, ownerAddress } = await ownerAndEntry();
    await admin.stop();
    await owner.stop(true);

    const get = await send(entry, ns, { path: '/items/1' });
    expect(get.status).toBe(200);
    expect(get.headers.get('x-prism-served-by')).toBe('entry');
    expect(get.headers.get('x-prism-fallback')).toBe('owner-unreachable');
    expect(get.headers.get('x-prism-owner')).toBe(ownerAddress);
    expect((await get.json()).url).toBe('/items/1');

    const before = backend.requests;
    const post = await send(entry, ns, { method: 'POST', body: 'hello owner', path: '/orders' });
    expect(post.status).toBe(200);
    expect(post.headers.get('x-prism-fallback')).toBe('owner-unreachable');
    const seen = await post.json();
    expect(seen).toMatchObject({ method: 'POST', url: '/orders', bytes: 11 });
    expect(backend.requests).toBe(before + 1);
    expect(await metric(entry, 'prism_proxy_owner_fallbacks_total{reason="connect_refused"}')).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('a namespace with ownerUnreachable: fail keeps the coded 502 naming the owner', async () => {
    const { admin, backend, entry, owner, ns, ownerAddress } = await ownerAndEntry({ ownerUnreachable: 'fail' });
    await admin.stop();
    await owner.stop(true);
    const before = backend.requests;
    const res = await send(entry, ns);
    expect(res.status).toBe(502);
    expect(res.headers.get('x-prism-owner')).toBe(ownerAddress);
    expect(res.headers.get('x-prism-fallback')).toBeNull();
    expect((await res.json()).error.code).toBe('PRISM-ROUTE-002');
    expect(backend.requests).toBe(before);
  });

  it('a POST the owner had already passed on when it died is not replayed: 502, and the backend saw it once; a GET in the same spot is served again', async () => {
    const { admin, backend, entry, owner, ns } = await ownerAndEntry();
    await admin.stop();
    const arrivals = (method: string) => {
      let n = 0;
      backend.server.on('request', (req) => {
        if (req.method === method && req.url?.startsWith('/slow')) n++;
      });
      return () => n;
    };
    const posts = arrivals('POST');
    const gets = arrivals('GET');
    const post = send(entry, ns, { method: 'POST', body: 'pay once', path: '/slow?delay=3000' });
    const get = send(entry, ns, { path: '/slow?delay=3000' });
    // Both went through the owner to the backend, which holds them: now the owner dies.
    await until(() => posts() === 1 && gets() === 1, 10_000, 'requests at the backend through the owner');
    await owner.stop(true);

    const postRes = await post;
    expect(postRes.status).toBe(502);
    expect((await postRes.json()).error.code).toBe('PRISM-ROUTE-002');
    const getRes = await get;
    expect(getRes.status).toBe(200);
    expect(getRes.headers.get('x-prism-fallback')).toBe('owner-unreachable');
    await getRes.text();
    expect(posts()).toBe(1);
    expect(gets()).toBe(2);
    expect(backend.requests).toBeGreaterThanOrEqual(3);
    expect(await metric(entry, 'prism_proxy_owner_fallbacks_total{reason="closed_after_write"}')).toBe(1);
  });

  it('an owner without a table yet (503 PRISM-ROUTE-004) gets no request: a GET is served here, a POST whose body went out is not', async () => {
    const admin: StartedAdmin = await startAdmin();
    cleanup.push(() => admin.stop());
    const backend = await startBackend('b');
    cleanup.push(() => backend.stop());
    const started: StartedProxy[] = [];
    for (const id of ['nt1', 'nt2']) {
      const p = await startProxy(id, [admin.grpc]);
      started.push(p);
      cleanup.push(async () => {
        await p.stop();
        removeDir(p.stateDir);
      });
    }
    const names = Array.from({ length: 12 }, (_, i) => `nt-${i}`);
    for (const name of names) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
    await until(
      () => started.every((p) => p.proxy.state.table?.proxies.length === 2 && p.proxy.state.advertisements.size === 12),
      15_000,
    );
    const [entry, owner] = started;
    const ns = names.find((n) => compileRouter(entry.proxy.state.table as never).route(n).owner === 'nt2') as string;
    await admin.stop();
    // The owner comes back on its address with no state and no admin to reach: it has no table.
    const port = owner.proxy.addresses()?.dataPort;
    await owner.stop();
    const blank = await startProxy('nt2', ['127.0.0.1:1'], { listen: `127.0.0.1:${port}` });
    cleanup.push(async () => {
      await blank.stop();
      removeDir(blank.stateDir);
    });
    expect((await send(blank, ns)).status).toBe(503);

    const get = await send(entry, ns);
    expect(get.status).toBe(200);
    expect(get.headers.get('x-prism-fallback')).toBe('owner-unreachable');
    expect(get.headers.get('x-prism-served-by')).toBe('nt1');
    await get.text();
    const post = await send(entry, ns, { method: 'POST', body: 'x'.repeat(100) });
    expect(post.status).toBe(503);
    expect((await post.json()).error.code).toBe('PRISM-ROUTE-004');
    expect(await metric(entry, 'prism_proxy_owner_fallbacks_total{reason="not_ready"}')).toBe(1);
  });
});
