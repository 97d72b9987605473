import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
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

beforeAll(async () => {
  admin = await startAdmin();
  backend = await startBackend('b');
  // The admin (development) accepts loopback backends; this proxy denies 127.0.0.1 itself, as a
  // stand-in for an address a backend's name starts resolving to after the reservation.
  proxy = await startProxy('strict', [admin.grpc], { backendPolicy: { deny: ['169.254.0.0/16', '127.0.0.1/32'] } });
  await until(() => proxy.proxy.state.version > 0, 5000, 'table');
});

afterAll(async () => {
  await proxy.stop();
  removeDir(proxy.stateDir);
  await backend.stop();
  await admin.stop();
});

async function reserve(name: string, url: string) {
  expect((await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [url] })).status).toBe(201);
  await until(() => proxy.proxy.state.advertisements.has(name), 5000, `advertisement of ${name}`);
}

const get = (ns: string) => fetch(`${proxy.url}/`, { headers: { 'x-prism-namespace': ns } });

describe('the proxy checks the address it connects to against its backend policy', () => {
  it('a host name that resolves to a denied address gets 502 PRISM-ROUTE-008, and nothing reaches it', async () => {
    const port = new URL(backend.url).port;
    await reserve('by-name', `http://localhost:${port}`);
    const before = backend.requests;
    const res = await get('by-name');
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body.error.code).toBe('PRISM-ROUTE-008');
    expect(body.error.message).toMatch(/resolves to (127\.0\.0\.1|::1)|loopback/);
    expect(backend.requests).toBe(before);
  });

  it('an IP literal the policy denies is refused without a connection attempt', async () => {
    await reserve('by-ip', backend.url);
    const before = backend.requests;
    const res = await get('by-ip');
    expect(res.status).toBe(502);
    expect((await res.json()).error.message).toContain('backendPolicy.deny');
    expect(backend.requests).toBe(before);
    expect(await proxy.proxy.metrics.registry.getSingleMetricAsString('prism_forwarding_failures_total')).toContain(
      'reason="backend_policy"',
    );
  });
});
