import { afterEach, describe, expect, it } from 'vitest';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { api, startAdmin } from '../../test-support/admin-harness.js';
import { startFleet } from '../../test-support/lb-fleet.js';
import {
  type Backend,
  peerFetch,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function fleet(ids: string[], namespaces: string[]) {
  const started = await startFleet(ids, namespaces);
  cleanup.push(() => started.stop());
  return started;
}

const get = (p: StartedProxy, ns: string) => fetch(`${p.url}/`, { headers: { 'x-prism-namespace': ns } });

describe('when things go away', () => {
  it('a proxy leaves: after the admin push its partitions are served by the new owners', async () => {
    const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'];
    const { admin, proxies } = await fleet(['p1', 'p2', 'p3'], names);
    const v = proxies[0].proxy.state.version;
    const leaving = proxies[2];
    await leaving.stop();
    await until(
      () => proxies[0].proxy.state.version > v && proxies[1].proxy.state.version > v,
      5000,
      'push after leave',
    );
    const router = compileRouter(parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json));
    for (const ns of names) {
      expect(['p1', 'p2']).toContain(router.route(ns).owner);
      for (const entry of proxies.slice(0, 2)) {
        const res = await get(entry, ns);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-prism-served-by')).toBe(router.route(ns).owner);
        await res.text();
      }
    }
  });

  it('the admin is killed: proxies keep serving; a proxy restarted while it is down serves from its last-known-good state', async () => {
    const names = ['orders-prod', 'acme-billing', 'eu-payments'];
    const { admin, proxies } = await fleet(['p1', 'p2'], names);
    await admin.stop();
    for (const ns of names) for (const p of proxies) expect((await get(p, ns)).status).toBe(200);

    const [p1] = proxies;
    const version = p1.proxy.state.version;
    await p1.stop();
    const again = await startProxy('p1', [admin.grpc], {}, p1.stateDir);
    cleanup.push(() => again.stop());
    expect(again.proxy.state.version).toBe(version);
    const ready = await fetch(`${again.ops}/readyz`);
    expect(ready.status).toBe(200);
    for (const ns of names) {
      const res = await get(again, ns);
      expect(res.status).toBe(200);
      expect(['p1', 'p2']).toContain(res.headers.get('x-prism-served-by'));
      await res.text();
    }
  });

  it('fails over to the second admin endpoint when the first is unreachable', async () => {
    const admin = await startAdmin();
    cleanup.push(() => admin.stop());
    const p = await startProxy('solo', ['127.0.0.1:1', admin.grpc]);
    cleanup.push(async () => {
      await p.stop();
      removeDir(p.stateDir);
    });
    await until(() => p.proxy.state.version > 0, 10_000, 'table through the second admin');
    expect(p.proxy.control()?.current).toBe(admin.grpc);
  });

  it('is not ready without a table, and says so', async () => {
    const p = await startProxy('lonely', ['127.0.0.1:1']);
    cleanup.push(async () => {
      await p.stop();
      removeDir(p.stateDir);
    });
    const ready = await fetch(`${p.ops}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).error.code).toBe('PRISM-ROUTE-004');
    const res = await get(p, 'orders-prod');
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('PRISM-ROUTE-004');
  });
});

describe('forwarding modes and the hop limit', () => {
  async function pair(mode: string) {
    const admin = await startAdmin();
    cleanup.push(() => admin.stop());
    const backend: Backend = await startBackend('b');
    cleanup.push(() => backend.stop());
    const ps: StartedProxy[] = [];
    for (const id of ['m1', 'm2']) {
      const p = await startProxy(id, [admin.grpc], { forwarding: { mode } });
      cleanup.push(async () => {
        await p.stop();
        removeDir(p.stateDir);
      });
      ps.push(p);
    }
    const names = Array.from({ length: 12 }, (_, i) => `mode-${i}`);
    for (const name of names) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
    await until(
      () => ps.every((p) => p.proxy.state.table?.proxies.length === 2 && p.proxy.state.advertisements.size === 12),
      10_000,
    );
    const router = compileRouter(ps[0].proxy.state.table as never);
    const ns = names.find((n) => router.route(n).owner === 'm2') as string;
    const owner = ps[1];
    return { entry: ps[0], owner, ns, ownerAddress: owner.url.replace('http://', '') };
  }

  it('redirect: 307 to the owner with X-Prism-Owner', async () => {
    const { entry, ns, ownerAddress } = await pair('redirect');
    const res = await fetch(`${entry.url}/path?q=1`, { headers: { 'x-prism-namespace': ns }, redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('x-prism-owner')).toBe(ownerAddress);
    expect(res.headers.get('location')).toBe(`http://${ownerAddress}/path?q=1`);
  });

  it('client: 421 with X-Prism-Owner and a coded body', async () => {
    const { entry, ns, ownerAddress } = await pair('client');
    const res = await fetch(`${entry.url}/`, { headers: { 'x-prism-namespace': ns } });
    expect(res.status).toBe(421);
    expect(res.headers.get('x-prism-owner')).toBe(ownerAddress);
    expect((await res.json()).error.code).toBe('PRISM-ROUTE-001');
  });

  it('a request already at the hop limit is never forwarded again: 421 naming the owner', async () => {
    const { entry, ns, ownerAddress } = await pair('transparent');
    // Sent as the owner m2 would (a fleet certificate): forwarded requests come only from peers.
    const res = await peerFetch(`${entry.url}/`, 'm2', { 'x-prism-namespace': ns, 'x-prism-hops': '1' });
    expect(res.status).toBe(421);
    expect(res.headers.get('x-prism-owner')).toBe(ownerAddress);
    const forged = await peerFetch(`${entry.url}/`, 'm2', { 'x-prism-namespace': ns, 'x-prism-hops': 'lots' });
    expect(forged.status).toBe(400);
    expect((await forged.json()).error.code).toBe('PRISM-ROUTE-007');
  });

  it('the owner serves a request that arrives with hops at the limit', async () => {
    const { owner, ns } = await pair('transparent');
    const res = await peerFetch(`${owner.url}/`, 'm1', { 'x-prism-namespace': ns, 'x-prism-hops': '1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-served-by')).toBe('m2');
  });
});
