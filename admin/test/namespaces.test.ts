import { afterEach, describe, expect, it } from 'vitest';
import { buildTokenVerifier } from '../../core/src/tokens.js';
import { adminFetch, api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { FakeClock } from '../../test-support/fake-clock.js';
import { fleetPki } from '../../test-support/pki.js';

const HOUR = 3_600_000;
const started: StartedAdmin[] = [];
const proxies: FakeProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) p.kill();
  for (const a of started.splice(0)) await a.stop();
});
const admin = async (clock?: FakeClock, values?: Record<string, unknown>) => {
  const a = await startAdmin({ clock, values });
  started.push(a);
  return a;
};

describe('reserving namespaces over the HTTP API', () => {
  it('returns the namespace, its JWT, lease, partition and owner; the token verifies against the JWKS', async () => {
    const a = await admin();
    const p = new FakeProxy(a.grpc, 'proxy-a');
    proxies.push(p);
    await p.tableAt(1);
    const r = await api(a.http, 'POST', '/v1/namespaces', {
      name: 'orders-prod',
      backends: ['http://127.0.0.1:9000'],
      team: 'orders',
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      namespace: {
        name: 'orders-prod',
        team: 'orders',
        backends: ['http://127.0.0.1:9000'],
        partitionId: 147,
        owner: 'proxy-a',
      },
      partitionId: 147,
      owner: 'proxy-a',
      lease: { ttlSeconds: 86_400, state: 'LEASE_STATE_ACTIVE' },
    });
    const jwks = await api(a.http, 'GET', '/.well-known/jwks.json');
    const claims = await buildTokenVerifier({ jwks: jwks.json })(r.json.token);
    expect(claims).toMatchObject({ namespace: 'orders-prod', team: 'orders', leaseId: r.json.lease.leaseId });

    const got = await api(a.http, 'GET', '/v1/namespaces/orders-prod');
    expect(got.json.name).toBe('orders-prod');
    const ad = await p.until(() => p.messages.find((m) => m.advertisement?.namespace === 'orders-prod')?.advertisement);
    expect(ad).toMatchObject({
      partitionId: 147,
      proxies: ['proxy-a'],
      backends: ['http://127.0.0.1:9000'],
      removed: false,
    });
  });

  it('100 concurrent reservations of 20 names: exactly 20 successes and 80 coded conflicts', async () => {
    const a = await admin();
    const names = Array.from({ length: 20 }, (_, i) => `tenant-${i}`);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api(a.http, 'POST', '/v1/namespaces', { name: names[i % 20], team: `team-${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    const conflicts = results.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(80);
    for (const c of conflicts) {
      expect(c.json.error.code).toBe('PRISM-NS-004');
      expect(c.json.error.message).toMatch(/is held by team "team-\d+" until 20\d\d-/);
    }
    const list = await api(a.http, 'GET', '/v1/namespaces?pageSize=1000');
    expect(list.json.namespaces).toHaveLength(20);
    const metrics = await (await adminFetch(a.http, '/metrics')).text();
    expect(metrics).toContain('prism_namespace_reservations_total{status="ok"} 20');
    expect(metrics).toContain('prism_namespace_reservations_total{status="conflict"} 80');
  });

  it('lists with a prefix and pages', async () => {
    const a = await admin();
    for (const n of ['acme-a', 'acme-b', 'acme-c', 'eu-a']) await api(a.http, 'POST', '/v1/namespaces', { name: n });
    const first = await api(a.http, 'GET', '/v1/namespaces?prefix=acme-&pageSize=2');
    expect(first.json.namespaces.map((n: { name: string }) => n.name)).toEqual(['acme-a', 'acme-b']);
    const second = await api(
      a.http,
      'GET',
      `/v1/namespaces?prefix=acme-&pageSize=2&pageToken=${first.json.nextPageToken}`,
    );
    expect(second.json.namespaces.map((n: { name: string }) => n.name)).toEqual(['acme-c']);
    expect(second.json.nextPageToken).toBeUndefined();
  });
});

describe('leases on a fake clock', () => {
  it('active -> grace (served, with a warning) -> refreshed; then expired, revoked on proxies, restorable, purged', async () => {
    const clock = new FakeClock();
    const a = await admin(clock);
    const p = new FakeProxy(a.grpc, 'proxy-a');
    proxies.push(p);
    await p.tableAt(1);
    const r = await api(a.http, 'POST', '/v1/namespaces', { name: 'short-lived', leaseTtlSeconds: 3600 });
    expect(r.json.lease.ttlSeconds).toBe(3600);

    clock.advance(HOUR + 1000);
    const inGrace = await api(a.http, 'GET', '/v1/namespaces/short-lived');
    expect(inGrace.json.lease.state).toBe('LEASE_STATE_GRACE');
    expect(inGrace.headers.get('warning')).toContain('grace period');
    expect((await a.admin.cleanup.runOnce()).expired).toEqual([]);

    const refreshed = await api(a.http, 'POST', '/v1/namespaces/short-lived:refresh', {});
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.lease.state).toBe('LEASE_STATE_ACTIVE');
    expect(Date.parse(refreshed.json.lease.expiresAt)).toBe(clock.now() + HOUR);

    clock.advance(2 * HOUR + 1000);
    const report = await a.admin.cleanup.runOnce();
    expect(report.expired).toEqual(['short-lived']);
    const gone = await api(a.http, 'GET', '/v1/namespaces/short-lived');
    expect(gone.json.deletedAt).toBeDefined();
    const jti = JSON.parse(Buffer.from(refreshed.json.token.split('.')[1], 'base64url').toString()).jti;
    await p.until(() => p.messages.some((m) => m.revocations?.revocations.some((x) => x.jti === jti)));
    await p.until(() =>
      p.messages.some((m) => m.advertisement?.namespace === 'short-lived' && m.advertisement.removed),
    );
    expect((await api(a.http, 'POST', '/v1/namespaces/short-lived:refresh', {})).json.error.code).toBe('PRISM-NS-007');
    expect((await api(a.http, 'POST', '/v1/namespaces', { name: 'short-lived' })).json.error.message).toContain(
      'expired since',
    );

    const restored = await api(a.http, 'POST', '/v1/namespaces/short-lived:restore', {});
    expect(restored.status).toBe(200);
    expect(restored.json.lease.state).toBe('LEASE_STATE_ACTIVE');

    await api(a.http, 'DELETE', '/v1/namespaces/short-lived');
    clock.advance(7 * 24 * HOUR + 1000);
    expect((await a.admin.cleanup.runOnce()).purged).toEqual(['short-lived']);
    expect((await api(a.http, 'GET', '/v1/namespaces/short-lived')).status).toBe(404);
    const audit = await api(a.http, 'GET', '/v1/audit?target=short-lived');
    expect(audit.json.entries.map((e: { action: string; result: string }) => `${e.action}:${e.result}`)).toEqual([
      'purge:ok',
      'delete:ok',
      'restore:ok',
      'reserve:PRISM-NS-004',
      'expire:ok',
      'refresh:ok',
      'reserve:ok',
    ]);
  });

  it('does not delete or purge a namespace proxies still serve, unless forced', async () => {
    const clock = new FakeClock();
    const a = await admin(clock);
    const p = new FakeProxy(a.grpc, 'proxy-a');
    proxies.push(p);
    const t = await p.tableAt(1);
    await api(a.http, 'POST', '/v1/namespaces', { name: 'busy' });
    const trafficSeen = async (at: number) => {
      p.heartbeat(t.version, { busy: 42 });
      const deadline = Date.now() + 5000;
      while ((await a.admin.store.getNamespace('busy'))?.lastTrafficAt !== at) {
        if (Date.now() > deadline) throw new Error('traffic not recorded');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await trafficSeen(clock.now());
    const refused = await api(a.http, 'DELETE', '/v1/namespaces/busy');
    expect(refused.json.error.code).toBe('PRISM-NS-006');
    const forced = await api(a.http, 'DELETE', '/v1/namespaces/busy?force=true');
    expect(forced.json.deletedAt).toBeDefined();

    clock.advance(7 * 24 * HOUR + 1000);
    await trafficSeen(clock.now());
    const report = await a.admin.cleanup.runOnce();
    expect(report.skippedInUse).toEqual(['busy']);
    expect((await api(a.http, 'POST', '/v1/namespaces/busy:purge', {})).json.error.code).toBe('PRISM-NS-006');
    expect((await api(a.http, 'POST', '/v1/namespaces/busy:purge', { force: true })).status).toBe(200);
    expect((await api(a.http, 'GET', '/v1/namespaces/busy')).status).toBe(404);
  });

  it('revoking pushes the token to proxies and the namespace stops being advertised', async () => {
    const a = await admin();
    const p = new FakeProxy(a.grpc, 'proxy-a');
    proxies.push(p);
    await p.tableAt(1);
    const r = await api(a.http, 'POST', '/v1/namespaces', { name: 'leaky' });
    const revoked = await api(a.http, 'POST', '/v1/namespaces/leaky:revoke', { reason: 'token leaked' });
    expect(revoked.json.lease.state).toBe('LEASE_STATE_REVOKED');
    const jti = JSON.parse(Buffer.from(r.json.token.split('.')[1], 'base64url').toString()).jti;
    await p.until(() => p.messages.some((m) => m.revocations?.revocations.some((x) => x.jti === jti)));
    const late = new FakeProxy(a.grpc, 'proxy-b');
    proxies.push(late);
    const full = await late.until(() => late.messages.find((m) => m.revocations?.full)?.revocations);
    expect(full.revocations.map((x) => x.jti)).toContain(jti);
  });
});

describe('bad input gets a coded error', () => {
  it.each([
    [{ name: 'Orders' }, 400, 'PRISM-NS-001'],
    [{ name: 'a'.repeat(64) }, 400, 'PRISM-NS-001'],
    [{ name: 'ok', leaseTtlSeconds: 60 }, 400, 'PRISM-LEASE-001'],
    [{ name: 'ok', leaseTtlSeconds: 700_000 }, 400, 'PRISM-LEASE-001'],
    [{ name: 'ok', backends: ['ftp://x:21'] }, 400, 'PRISM-NS-005'],
    [{ name: 'ok', backends: ['not a url'] }, 400, 'PRISM-NS-005'],
    [{ name: 'ok', team: 'x'.repeat(64) }, 400, 'PRISM-NS-005'],
    [{ name: 'ok', colour: 'blue' }, 400, 'PRISM-API-001'],
    [{ name: 42 }, 400, 'PRISM-API-001'],
    [{}, 400, 'PRISM-API-001'],
    ['{"name": "ok"', 400, 'PRISM-API-001'],
    ['[]', 400, 'PRISM-API-001'],
  ])('POST /v1/namespaces %j -> %i %s', async (body, status, code) => {
    const a = await admin();
    const r = await api(a.http, 'POST', '/v1/namespaces', body);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.action.length).toBeGreaterThan(10);
  });

  it('an oversized body is a 413, and the admin keeps serving', async () => {
    const a = await admin(undefined, { limits: { maxBodyBytes: 1024 } });
    const r = await api(a.http, 'POST', '/v1/namespaces', {
      name: 'big',
      team: 'x',
      config: { pad: 'y'.repeat(5000) },
    });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('PRISM-API-002');
    expect((await api(a.http, 'POST', '/v1/namespaces', { name: 'small' })).status).toBe(201);
  });

  it('unknown namespaces, endpoints and methods', async () => {
    const a = await admin();
    const missing = await api(a.http, 'GET', '/v1/namespaces/nope');
    expect([missing.status, missing.json.error.code]).toEqual([404, 'PRISM-NS-003']);
    const invalid = await api(a.http, 'GET', '/v1/namespaces/NOPE');
    expect([invalid.status, invalid.json.error.code]).toEqual([400, 'PRISM-NS-001']);
    const route = await api(a.http, 'GET', '/v2/things');
    expect([route.status, route.json.error.code]).toEqual([404, 'PRISM-API-003']);
    const method = await api(a.http, 'PUT', '/v1/namespaces');
    expect([method.status, method.json.error.code, method.headers.get('allow')]).toEqual([
      405,
      'PRISM-API-004',
      'POST, GET',
    ]);
    const table = await api(a.http, 'GET', '/v1/partition-table');
    expect([table.status, table.json.error.code]).toEqual([503, 'PRISM-TABLE-004']);
  });

  it('malformed protobuf on the control stream is refused and the admin keeps working', async () => {
    const a = await admin();
    const grpc = await import('@grpc/grpc-js');
    const client = new grpc.Client(a.grpc, await (await fleetPki()).credentials('proxy', 'proxy-a'));
    const call = client.makeBidiStreamRequest(
      '/prism.admin.v1.ControlPlane/Connect',
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    const status = new Promise<number>((resolve) => call.on('status', (s: { code: number }) => resolve(s.code)));
    call.on('error', () => undefined);
    call.on('data', () => undefined);
    call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(await status).not.toBe(grpc.status.OK);
    client.close();
    const p = new FakeProxy(a.grpc, 'after-garbage');
    proxies.push(p);
    expect((await p.tableAt(1)).proxies.map((x) => x.id)).toEqual(['after-garbage']);
  });
});

describe('metrics', () => {
  it('exposes the contract metric names', async () => {
    const a = await admin();
    const p = new FakeProxy(a.grpc, 'proxy-a');
    proxies.push(p);
    await p.tableAt(1);
    await api(a.http, 'POST', '/v1/namespaces', { name: 'm' });
    await api(a.http, 'POST', '/v1/namespaces/m:refresh', {});
    const text = await (await adminFetch(a.http, '/metrics')).text();
    for (const line of [
      'prism_namespace_reservations_total{status="ok"} 1',
      'prism_namespace_lease_refreshes_total{status="ok"} 1',
      'prism_namespace_lease_expirations_total 0',
      'prism_namespace_active_leases 1',
      'prism_partition_assignments_per_proxy{proxy_id="proxy-a"} 256',
      'prism_partition_rebalances_total{strategy="consistent_hash"} 1',
      'prism_partition_rebalance_duration_seconds_count 1',
      'prism_partition_imbalance_ratio 1',
      'prism_admin_grpc_requests_total{method="Connect/Register",status="OK"} 1',
      'prism_admin_partition_table_version 1',
      'prism_admin_proxies{status="healthy"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });
});
