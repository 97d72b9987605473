import { afterEach, describe, expect, it } from 'vitest';
import { api, startAdmin } from '../../test-support/admin-harness.js';
import { removeDir, startBackend, startProxy, until } from '../../test-support/proxy-harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('the admin is lost (controlPlane.adminLostAfterMissed)', () => {
  it('keeps serving from the last table, and says so in /readyz, a metric and X-Prism-Degraded', async () => {
    // Heartbeats every second, lost after one missed: the admin tells the proxy its interval.
    const admin = await startAdmin({ values: { proxies: { heartbeatSeconds: 1 } } });
    let adminUp = true;
    cleanup.push(async () => {
      if (adminUp) await admin.stop();
    });
    const backend = await startBackend('b');
    cleanup.push(() => backend.stop());
    const p = await startProxy('lost-1', [admin.grpc], { controlPlane: { adminLostAfterMissed: 1 } });
    cleanup.push(async () => {
      await p.stop();
      removeDir(p.stateDir);
    });
    await api(admin.http, 'POST', '/v1/namespaces', { name: 'kept-serving', backends: [backend.url] });
    await until(() => p.proxy.state.advertisements.size === 1, 10_000, 'advertisement');
    const get = () => fetch(`${p.url}/`, { headers: { 'x-prism-namespace': 'kept-serving' } });

    const before = await (await fetch(`${p.ops}/readyz`)).json();
    expect(before.degraded).toBeUndefined();
    expect(before.admin).toBe(admin.grpc);
    const fine = await get();
    expect(fine.headers.get('x-prism-degraded')).toBeNull();
    await fine.text();

    await admin.stop();
    adminUp = false;
    const lostAt = Date.now();
    const ready = await until(
      async () => {
        const r = await fetch(`${p.ops}/readyz`);
        const body = await r.json();
        return body.degraded ? { status: r.status, body } : undefined;
      },
      10_000,
      'admin-unreachable in /readyz',
    );
    // One heartbeat interval (1 s) after the stream closed, not before.
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(900);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', admin: null, degraded: ['admin-unreachable'] });
    expect(Date.parse(ready.body.adminLostSince)).toBeGreaterThan(0);

    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-degraded')).toBe('admin-unreachable');
    await res.text();
    const unknown = await fetch(`${p.url}/`, { headers: { 'x-prism-namespace': 'never-reserved' } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-prism-degraded')).toBe('admin-unreachable');
    const metrics = await (await fetch(`${p.ops}/metrics`)).text();
    expect(metrics).toContain('prism_proxy_admin_lost 1');
  });
});
