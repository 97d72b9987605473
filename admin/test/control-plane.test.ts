import { afterEach, describe, expect, it } from 'vitest';
import { ProxyStatus } from '../../proto/gen/prism/admin/v1/partition.js';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { FakeClock } from '../../test-support/fake-clock.js';
import { fleetPki } from '../../test-support/pki.js';

const started: StartedAdmin[] = [];
const proxies: FakeProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) p.kill();
  for (const a of started.splice(0)) await a.stop();
});
const admin = async (clock?: FakeClock) => {
  const a = await startAdmin({ clock });
  started.push(a);
  return a;
};
const proxy = (a: StartedAdmin, id: string, options?: ConstructorParameters<typeof FakeProxy>[2]) => {
  const p = new FakeProxy(a.grpc, id, options);
  proxies.push(p);
  return p;
};
const owners = (t: { assignments: { owner: string }[] }) => new Set(t.assignments.map((x) => x.owner));

describe('partition table push', () => {
  it('pushes a new table to every proxy when one joins and when one leaves', async () => {
    const a = await admin();
    const p1 = proxy(a, 'proxy-1');
    const v1 = await p1.tableAt(1);
    expect(owners(v1)).toEqual(new Set(['proxy-1']));

    const p2 = proxy(a, 'proxy-2');
    const t0 = performance.now();
    const v2 = await p1.until(() => p1.tables.find((t) => t.proxies.length === 2));
    const joinPushMs = performance.now() - t0;
    expect(v2.version).toBe(v1.version + 1);
    expect(owners(v2)).toEqual(new Set(['proxy-1', 'proxy-2']));
    expect(await p2.tableAt(v2.version)).toEqual(v2);
    const moved = v2.assignments.filter((x, i) => x.owner !== v1.assignments[i].owner);
    expect(moved).toHaveLength(128);
    for (const m of moved) expect(m.epoch).toBe(v1.assignments[m.partition].epoch + 1);

    p2.kill();
    const v3 = await p1.until(() => p1.tables.find((t) => t.proxies.length === 1 && t.version > v2.version));
    expect(owners(v3)).toEqual(new Set(['proxy-1']));
    const http = await api(a.http, 'GET', '/v1/partition-table');
    expect(http.json.version).toBe(v3.version);
    console.log(`table pushed ${joinPushMs.toFixed(1)} ms after a proxy joined`);
  });

  it('tracks acknowledged versions and who is behind', async () => {
    const a = await admin();
    // The silent one first: a proxy that joins a fleet gets partitions only once it acks, and this one
    // never does. (Both at once relied on their registrations landing in the same table; over mTLS the
    // two handshakes take turns.)
    const silent = proxy(a, 'silent', { ackTables: false });
    await silent.tableAt(1);
    const acker = proxy(a, 'acker');
    const t = await acker.until(() => acker.tables.find((x) => x.proxies.length === 2));
    await silent.tableAt(t.version);
    await acker.until(() => a.admin.fleet.list().find((p) => p.id === 'acker')?.appliedTableVersion === t.version);
    expect(a.admin.fleet.behind()).toEqual(['silent']);
    const list = await api(a.http, 'GET', '/v1/proxies');
    expect(list.json.tableVersion).toBe(t.version);
    expect(list.json.proxies.map((p: { id: string; status: string }) => [p.id, p.status])).toEqual([
      ['acker', 'PROXY_STATUS_HEALTHY'],
      ['silent', 'PROXY_STATUS_HEALTHY'],
    ]);
  });

  it('refuses a proxy id held by a live proxy with a coded error; the live one keeps it', async () => {
    const a = await admin();
    const live = proxy(a, 'edge-1');
    const t = await live.tableAt(1);
    const impostor = proxy(a, 'edge-1', { dataPort: 9999 });
    await impostor.until(() => impostor.error ?? impostor.ended);
    expect(impostor.error?.details).toContain('PRISM-FLEET-001');
    expect(a.admin.fleet.list().find((p) => p.id === 'edge-1')?.dataPort).toBe(8980);
    expect(a.admin.fleet.currentTable()?.version).toBe(t.version);
  });

  it('refuses a stream that does not start with a valid Register', async () => {
    const a = await admin();
    // A certificate of the fleet, so that the register message itself is what gets refused.
    const bad = proxy(a, 'Not Valid!', { credentials: await (await fleetPki()).credentials('proxy', 'proxy-a') });
    await bad.until(() => bad.error ?? bad.ended);
    expect(bad.error?.details).toContain('PRISM-FLEET-002');
    expect(a.admin.fleet.currentTable()).toBeUndefined();
  });

  it('marks a silent proxy stale after 2 missed heartbeats and disconnected after 4, then moves its partitions', async () => {
    const clock = new FakeClock();
    const a = await admin(clock);
    const keeps = proxy(a, 'keeps');
    const quiet = proxy(a, 'quiet');
    const t = await keeps.until(() => keeps.tables.find((x) => x.proxies.length === 2));
    await quiet.tableAt(t.version);
    const status = (id: string) => a.admin.fleet.list().find((p) => p.id === id)?.status;
    await quiet.until(() => a.admin.fleet.behind().length === 0);

    clock.advance(61_000);
    keeps.heartbeat(t.version);
    await keeps.until(
      () =>
        a.admin.fleet
          .list()
          .find((p) => p.id === 'keeps')
          ?.lastSeen?.getTime() === clock.now(),
    );
    await a.admin.fleet.checkHealth();
    expect(status('quiet')).toBe(ProxyStatus.PROXY_STATUS_STALE);
    expect(status('keeps')).toBe(ProxyStatus.PROXY_STATUS_HEALTHY);
    expect(a.admin.fleet.currentTable()?.version).toBe(t.version);

    clock.advance(60_000);
    keeps.heartbeat(t.version);
    await keeps.until(
      () =>
        a.admin.fleet
          .list()
          .find((p) => p.id === 'keeps')
          ?.lastSeen?.getTime() === clock.now(),
    );
    await a.admin.fleet.checkHealth();
    expect(status('quiet')).toBe(ProxyStatus.PROXY_STATUS_DISCONNECTED);
    const after = await keeps.until(() => keeps.tables.find((x) => x.version > t.version));
    expect(owners(after)).toEqual(new Set(['keeps']));
  });

  it('answers a pull with the same table, and waits for a newer version when asked', async () => {
    const a = await admin();
    const p1 = proxy(a, 'p1');
    const t1 = await p1.tableAt(1);
    const { ControlPlaneClient } = await import('../../proto/gen/prism/admin/v1/control_plane.js');
    const grpc = await import('@grpc/grpc-js');
    const client = new ControlPlaneClient(a.grpc, await (await fleetPki()).credentials('proxy', 'p1'));
    const pull = (afterVersion: number) =>
      new Promise<{ version: number }>((resolve, reject) =>
        client.getPartitionTable({ afterVersion }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, t) =>
          err ? reject(err) : resolve(t),
        ),
      );
    expect(await pull(0)).toEqual(t1);
    const waiting = pull(t1.version);
    proxy(a, 'p2');
    expect((await waiting).version).toBe(t1.version + 1);
    client.close();
  });
});

describe('joining', () => {
  it('a new proxy gets partitions only after it acknowledged the table sent after its advertisements', async () => {
    const a = await startAdmin();
    const p1 = new FakeProxy(a.grpc, 'first');
    await p1.tableAt(1);
    await api(a.http, 'POST', '/v1/namespaces', { name: 'ns-1' });
    const late = new FakeProxy(a.grpc, 'late', { ackTables: false });
    const welcome = await late.until(() => late.tables[0]);
    const order = late.messages.map((m) => Object.keys(m).find((k) => m[k as keyof typeof m] !== undefined));
    expect(order.indexOf('table')).toBeGreaterThan(order.indexOf('advertisement'));
    expect(welcome.proxies.map((p) => p.id)).toEqual(['first']);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.admin.fleet.currentTable()?.proxies.map((p) => p.id)).toEqual(['first']);
    late.ack(welcome.version);
    const joined = await p1.until(() => p1.tables.find((t) => t.proxies.length === 2));
    expect(joined.proxies.map((p) => p.id)).toEqual(['first', 'late']);
    p1.kill();
    late.kill();
    await a.stop();
  });
});

describe('plan and apply a rebalance through the operator API', () => {
  it('plans without changing anything, then applies rules and weights as a new version pushed to proxies', async () => {
    const a = await startAdmin();
    const p1 = new FakeProxy(a.grpc, 'one');
    const p2 = new FakeProxy(a.grpc, 'two');
    const t = await p1.until(() => p1.tables.find((x) => x.proxies.length === 2));
    const body = {
      strategy: 'STRATEGY_EXPLICIT',
      rules: {
        partitionPins: [{ partition: 7, proxy: 'two' }],
        namespacePins: [{ namespace: 'orders-prod', proxy: 'one' }],
      },
      weights: { one: 3 },
    };
    const plan = await api(a.http, 'POST', '/v1/partition-table:plan', body);
    expect(plan.status).toBe(200);
    expect(plan.json.fromVersion).toBe(t.version);
    expect(plan.json.table.version).toBe(t.version + 1);
    expect(a.admin.fleet.currentTable()?.version).toBe(t.version);

    const applied = await api(a.http, 'POST', '/v1/partition-table:apply', body);
    expect(applied.json.appliedAt).toBeDefined();
    const pushed = await p2.until(() => p2.tables.find((x) => x.version === t.version + 1));
    expect(pushed.strategy).toBe(3);
    expect(pushed.assignments[7]).toMatchObject({ owner: 'two', pinned: true });
    expect(pushed.assignments.filter((x) => x.owner === 'one').length).toBe(192);
    expect(pushed.rules?.namespacePins).toEqual([{ namespace: 'orders-prod', proxy: 'one' }]);

    const wrong = await api(a.http, 'POST', '/v1/partition-table:apply', {
      rules: { prefixRules: [{ prefix: 'x-', proxies: ['one'] }] },
    });
    expect([wrong.status, wrong.json.error.code]).toEqual([400, 'PRISM-PLAN-005']);
    const ghost = await api(a.http, 'POST', '/v1/partition-table:plan', {
      strategy: 'STRATEGY_EXPLICIT',
      rules: { partitionPins: [{ partition: 1, proxy: 'ghost' }] },
    });
    expect(ghost.json.error.code).toBe('PRISM-PLAN-004');
    p1.kill();
    p2.kill();
    await a.stop();
  });
});
