import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';

let admin: StartedAdmin;
let production: StartedAdmin;
let proxy: FakeProxy;

beforeAll(async () => {
  admin = await startAdmin();
  production = await startAdmin({
    values: { profile: 'production', grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' },
  });
  proxy = new FakeProxy(admin.grpc, 'proxy-a', { dataPort: 18980 });
  await proxy.until(() => proxy.tables.length > 0);
});

afterAll(async () => {
  proxy.close();
  await admin.stop();
  await production.stop();
});

const reserve = (base: string, name: string, backend: string) =>
  api(base, 'POST', '/v1/namespaces', { name, backends: [backend] });

describe('backends a reservation may not name (SSRF)', () => {
  it("refuses the admin's own ports in any spelling of this machine, with PRISM-NS-008 naming the rule", async () => {
    const port = new URL(admin.http).port;
    const grpcPort = admin.grpc.split(':').pop();
    for (const backend of [
      `http://127.0.0.1:${port}`,
      `http://0x7f000001:${port}`,
      `http://localhost:${port}`,
      `http://[::ffff:127.0.0.1]:${port}`,
      `http://127.0.0.1:${grpcPort}`,
    ]) {
      const r = await reserve(admin.http, 'ssrf-admin', backend);
      expect(r.status, backend).toBe(400);
      expect(r.json.error.code).toBe('PRISM-NS-008');
      expect(r.json.error.message).toContain('a port of Prism itself');
    }
  });

  it('refuses cloud metadata and link-local addresses', async () => {
    for (const backend of ['http://169.254.169.254/latest/meta-data', 'http://[fe80::1]:8080', 'http://0.0.0.0:9000']) {
      const r = await reserve(admin.http, 'ssrf-metadata', backend);
      expect(r.status, backend).toBe(400);
      expect(r.json.error.code).toBe('PRISM-NS-008');
      expect(r.json.error.message).toContain('backendPolicy.deny');
    }
  });

  it("refuses a registered proxy's data and ops ports", async () => {
    for (const port of [18980, 9980]) {
      const r = await reserve(admin.http, 'ssrf-proxy', `http://127.0.0.1:${port}`);
      expect(r.status).toBe(400);
      expect(r.json.error.message).toContain('proxy-a');
    }
  });

  it('allows other loopback backends in development, refuses loopback in production', async () => {
    expect((await reserve(admin.http, 'dev-loopback', 'http://127.0.0.1:9000')).status).toBe(201);
    const r = await reserve(production.http, 'prod-loopback', 'http://127.0.0.1:9000');
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('allowLoopback');
    expect((await reserve(production.http, 'prod-remote', 'http://192.0.2.10:9000')).status).toBe(201);
  });
});
