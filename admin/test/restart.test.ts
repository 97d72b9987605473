import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, FakeProxy } from '../../test-support/admin-harness.js';
import { type AdminProcess, spawnAdmin } from '../../test-support/spawn-admin.js';

const dir = mkdtempSync(join(tmpdir(), 'prism-admin-kill-'));
const processes: AdminProcess[] = [];
const proxies: FakeProxy[] = [];
afterAll(async () => {
  for (const p of proxies) p.kill();
  for (const a of processes) await a.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe('prism-admin survives kill -9', () => {
  it('finds namespaces, leases, the table, the proxy registry, keys and revocations back after a restart', async () => {
    const first = await spawnAdmin(dir);
    processes.push(first);
    const a = new FakeProxy(first.grpc, 'proxy-a');
    const b = new FakeProxy(first.grpc, 'proxy-b');
    proxies.push(a, b);
    const table = await a.until(() => a.tables.find((t) => t.proxies.length === 2));
    const reserved = await api(first.http, 'POST', '/v1/namespaces', {
      name: 'orders-prod',
      backends: ['http://127.0.0.1:9000'],
    });
    expect(reserved.status).toBe(201);
    const revoked = await api(first.http, 'POST', '/v1/namespaces', { name: 'leaky' });
    await api(first.http, 'POST', '/v1/namespaces/leaky:revoke', {});
    const jwks = (await api(first.http, 'GET', '/.well-known/jwks.json')).json;

    await first.stop(true);
    a.kill();
    b.kill();

    const second = await spawnAdmin(dir);
    processes.push(second);
    const ns = await api(second.http, 'GET', '/v1/namespaces/orders-prod');
    expect(ns.status).toBe(200);
    expect(ns.json.lease).toEqual(reserved.json.lease);
    expect(ns.json.owner).toBe(reserved.json.owner);
    expect((await api(second.http, 'GET', '/v1/partition-table')).json).toMatchObject({
      version: table.version,
      assignments: expect.any(Array),
    });
    expect((await api(second.http, 'GET', '/v1/partition-table')).json.assignments).toHaveLength(256);
    const list = await api(second.http, 'GET', '/v1/proxies');
    expect(list.json.proxies.map((p: { id: string }) => p.id)).toEqual(['proxy-a', 'proxy-b']);
    expect((await api(second.http, 'GET', '/.well-known/jwks.json')).json).toEqual(jwks);
    expect((await api(second.http, 'POST', '/v1/namespaces', { name: 'orders-prod' })).json.error.code).toBe(
      'PRISM-NS-004',
    );

    // A proxy that comes back gets the same table (no churn from the restart) and the revocation list.
    const back = new FakeProxy(second.grpc, 'proxy-a');
    proxies.push(back);
    const pushed = await back.tableAt(table.version);
    expect(pushed.assignments).toEqual(table.assignments);
    const revocations = await back.until(() => back.messages.find((m) => m.revocations?.full)?.revocations);
    const jti = JSON.parse(Buffer.from(revoked.json.token.split('.')[1], 'base64url').toString()).jti;
    expect(revocations.revocations.map((r) => r.jti)).toContain(jti);
  });
});
