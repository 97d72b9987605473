import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type EtcdCluster, haveEtcd, startEtcdCluster } from '../../test-support/etcd-cluster.js';
import { until } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';
import { type AdminProcess, spawnAdmin } from '../../test-support/spawn-admin.js';

/**
 * Several admins on one etcd: one leader computes and writes tables, its writes are fenced by its
 * election key, followers push the leader's table to the proxies they hold. Real 3-member etcd,
 * admins in this process and as processes (kill -9, SIGSTOP/SIGCONT).
 */
const etcd = haveEtcd();
let cluster: EtcdCluster;

const roleOf = async (http: string, token: string) =>
  (await api(http, 'GET', '/v1/admin/status', undefined, { authorization: `Bearer ${token}` })).json as {
    adminId: string;
    role: 'leader' | 'follower';
    leaderId: string;
    etcd: { endpoint: string; healthy: boolean }[];
    tableVersion: number;
  };

describe.runIf(etcd)('leader election with fencing on etcd', () => {
  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a leader whose election key is gone has its table writes refused with PRISM-HA-001 and steps down; a proxy on a follower is in the leader table and gets every leader table', async () => {
    const values = { etcd: { endpoints: cluster.endpoints, prefix: '/fence/', requestTimeoutMs: 1_500 } };
    const admins: StartedAdmin[] = [];
    const proxies: FakeProxy[] = [];
    const raw = new Etcd3({ hosts: cluster.endpoints });
    try {
      for (let i = 0; i < 2; i++)
        admins.push(await startAdmin({ values: { ...values, etcd: { ...values.etcd, adminId: `a${i}` } } }));
      const call = (a: StartedAdmin, method: string, path: string, body?: unknown) =>
        api(a.http, method, path, body, { authorization: `Bearer ${admins[0].token}` });
      const leader = await until(() => admins.find((a) => a.admin.role().role === 'leader'), 10_000, 'a leader');
      const follower = admins.find((a) => a !== leader)!;
      expect(follower.admin.role().role).toBe('follower');
      const status = (await call(follower, 'GET', '/v1/admin/status')).json;
      expect(status).toMatchObject({ role: 'follower', leaderId: leader.admin.role().id, store: 'etcd' });
      expect(status.etcd).toHaveLength(3);
      for (const e of status.etcd) expect(e.healthy).toBe(true);

      // The leader plans from its proxy; the follower's proxy gets that table as soon as etcd shows it.
      proxies.push(new FakeProxy(leader.grpc, 'p1'), new FakeProxy(follower.grpc, 'p2'));
      await proxies[0].tableAt(1);
      // p2's stream is on the follower; the follower announces it in etcd and the leader plans with it.
      const first = await proxies[0].until(() => proxies[0].tables.find((t) => t.proxies.length === 2), 10_000);
      expect(first.proxies.map((p) => p.id)).toEqual(['p1', 'p2']);
      expect((await proxies[1].tableAt(first.version)).version).toBe(first.version);

      // What a paused or cut-off leader meets: its election key gone (lease expired) and another
      // admin elected. Its next leader-only write is refused by etcd, and it steps down.
      // The oldest key under the election leads.
      const key = (await raw.getAll().prefix('/fence/election/leader/').sort('Create', 'Ascend').keys())[0];
      await raw.delete().key(key);
      await until(() => follower.admin.role().role === 'leader', 10_000, 'the follower elected');
      const refused = await call(leader, 'POST', '/v1/partition-table:apply', { weights: { p1: 3 } });
      expect(refused.status).toBe(503);
      expect(refused.json.error.code).toBe('PRISM-HA-001');
      expect(leader.admin.role().role).toBe('follower');
      const again = await call(leader, 'POST', '/v1/partition-table:apply', { weights: { p1: 3 } });
      expect(again.json.error.code).toBe('PRISM-HA-002');
      expect(again.json.error.message).toContain('a1');

      // The new leader changes the table; the old leader, now a follower, pushes it to p1.
      const applied = await call(follower, 'POST', '/v1/partition-table:apply', { weights: { p2: 2 } });
      expect(applied.status).toBe(200);
      const newer = await proxies[0].until(
        () => proxies[0].tables.find((t) => t.proxies.find((p) => p.id === 'p2')?.weight === 2),
        10_000,
      );
      expect(newer.version).toBeGreaterThan(first.version);
      expect((await call(leader, 'GET', '/v1/admin/status')).json).toMatchObject({ role: 'follower', leaderId: 'a1' });
    } finally {
      for (const p of proxies) p.close();
      for (const a of admins) await a.stop();
      raw.close();
    }
  }, 40_000);

  it('kill -9 of the leader: another admin leads within the lease TTL and reservations succeed; SIGSTOP/SIGCONT: the old leader is refused and steps down', async () => {
    const args = () => ['--etcd', cluster.endpoints.join(','), '--etcd-prefix', '/procs/'];
    const admins: AdminProcess[] = [];
    const proxies: FakeProxy[] = [];
    try {
      for (let i = 0; i < 3; i++) admins.push(await spawnAdmin(mkdtempSync(join(tmpdir(), `prism-ha-${i}-`)), args()));
      const token = admins[0].token;
      const leaderOf = async (among: AdminProcess[]) => {
        for (const a of among) if ((await roleOf(a.http, token).catch(() => undefined))?.role === 'leader') return a;
        return undefined;
      };
      const first = await until(() => leaderOf(admins), 10_000, 'a first leader');
      const rest = admins.filter((a) => a !== first);

      const killedAt = Date.now();
      await first.stop(true);
      const second = await until(() => leaderOf(rest), 10_000, 'a leader after kill -9');
      const failoverMs = Date.now() - killedAt;
      console.log(`failover after kill -9 of the leader: ${failoverMs} ms (lease TTL 2 s)`);
      expect(failoverMs).toBeLessThan(4_000);
      const reserved = await api(
        second.http,
        'POST',
        '/v1/namespaces',
        { name: 'after-failover', backends: ['http://127.0.0.1:9000'] },
        { authorization: `Bearer ${token}` },
      );
      expect(reserved.status).toBe(201);

      // The second leader gets a proxy and a table, then is paused past its lease.
      proxies.push(new FakeProxy(second.grpc, 'px'));
      const table = await proxies[0].tableAt(1);
      const third = rest.find((a) => a !== second)!;
      process.kill(second.pid, 'SIGSTOP');
      try {
        await until(() => leaderOf([third]), 10_000, 'the third admin elected while the second is paused');
        // Sent while it is still paused: the first thing it does when it runs again.
        const pending = api(
          second.http,
          'POST',
          '/v1/partition-table:apply',
          { weights: { px: 5 } },
          {
            authorization: `Bearer ${token}`,
          },
        );
        await new Promise((r) => setTimeout(r, 200));
        process.kill(second.pid, 'SIGCONT');
        const refused = await pending;
        expect(refused.status).toBe(503);
        // HA-001 when its write reached etcd before it noticed the lost lease, HA-002 when it noticed first.
        console.log(`the resumed ex-leader's write: ${refused.json.error.code}`);
        expect(['PRISM-HA-001', 'PRISM-HA-002']).toContain(refused.json.error.code);
      } finally {
        process.kill(second.pid, 'SIGCONT');
      }
      const after = await until(
        async () => {
          const s = await roleOf(second.http, token);
          return s.role === 'follower' && s.leaderId !== '' && s;
        },
        5_000,
        'the old leader a follower',
      );
      expect(after.leaderId).toBe((await roleOf(third.http, token)).adminId);
      const shown = await runBin('prismctl', [
        'admin',
        'status',
        '--admin',
        third.http,
        '--ca',
        third.caFile,
        '--token-file',
        admins[0].tokenFile,
      ]);
      expect(shown.stdout).toMatch(/^role\s+leader$/m);
      for (const e of cluster.endpoints) expect(shown.stdout).toMatch(new RegExp(`^${e}\\s+healthy`, 'm'));
      // Nothing it tried got into the table: the leader's view is still the version px acknowledged.
      expect((await roleOf(third.http, token)).tableVersion).toBe(table.version);
    } finally {
      for (const p of proxies) p.close();
      for (const a of admins) await a.stop().catch(() => undefined);
    }
  }, 60_000);
});
