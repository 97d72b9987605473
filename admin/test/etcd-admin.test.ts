import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type EtcdCluster, haveEtcd, startEtcdCluster } from '../../test-support/etcd-cluster.js';
import { until } from '../../test-support/proxy-harness.js';

/** Admins on a real 3-member etcd cluster on loopback: shared data, exact conflicts, quorum loss. */
const etcd = haveEtcd();
let cluster: EtcdCluster;
const admins: StartedAdmin[] = [];

const etcdValues = (prefix: string) => ({
  etcd: { endpoints: cluster.endpoints, prefix, requestTimeoutMs: 1_500, dialTimeoutMs: 3_000 },
});
/**
 * The first admin's bootstrap token: the operator key and token registry live in etcd, and admins
 * that start later find them there (they write no bootstrap token of their own).
 */
const call = (admin: StartedAdmin, method: string, path: string, body?: unknown) =>
  api(admin.http, method, path, body, { authorization: `Bearer ${admins[0].token}` });
const reserve = (admin: StartedAdmin, name: string, team?: string) =>
  call(admin, 'POST', '/v1/namespaces', { name, backends: ['http://127.0.0.1:9000'], ...(team && { team }) });

describe.runIf(etcd)('prism-admin on etcd', () => {
  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
    for (let i = 0; i < 3; i++) admins.push(await startAdmin({ values: etcdValues('/admins/') }));
  }, 60_000);
  afterAll(async () => {
    for (const a of admins) await a.stop();
    await cluster?.stop();
  });

  it('three admins share the namespaces: 100 concurrent reservations of 20 names give 20 created and 80 coded conflicts', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => reserve(admins[i % 3], names[i % 20])));
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    const conflicts = results.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(80);
    for (const c of conflicts) expect(c.json.error.code).toBe('PRISM-NS-004');
    // Every admin reads what the others wrote.
    for (const a of admins) {
      const list = await call(a, 'GET', '/v1/namespaces?prefix=shared-&pageSize=100');
      expect(list.json.namespaces).toHaveLength(20);
    }
  });

  it('one etcd member down: everything works', async () => {
    await cluster.kill(0);
    try {
      // When the member was etcd's raft leader, the other two elect one first (about an election
      // timeout, 1 s here): writes in that second get the coded 503 (docs/etcd.md). One member down is
      // the state after it, which a 3-member cluster rides out.
      await cluster.healthy();
      expect((await reserve(admins[1], 'one-down')).status).toBe(201);
      expect((await call(admins[2], 'GET', '/v1/namespaces/one-down')).status).toBe(200);
    } finally {
      await cluster.restart(0);
      await cluster.healthy();
    }
  });

  it('two of three members down: writes get a coded 503, reads still answer, and it recovers without a restart', async () => {
    expect((await reserve(admins[0], 'before-loss')).status).toBe(201);
    await cluster.kill(0);
    await cluster.kill(1);
    try {
      const refused = await reserve(admins[0], 'during-loss');
      expect(refused.status).toBe(503);
      expect(refused.json.error.code).toBe('PRISM-STORE-002');
      expect(refused.json.error.message).toContain(cluster.endpoints[2]);
      const read = await call(admins[1], 'GET', '/v1/namespaces/before-loss');
      expect(read.status).toBe(200);
      expect(read.json.name).toBe('before-loss');
    } finally {
      await cluster.restart(0);
      await cluster.restart(1);
    }
    await cluster.healthy();
    const back = await until(
      async () => {
        const r = await reserve(admins[0], 'after-loss');
        return r.status === 201 && r;
      },
      20_000,
      'a reservation after quorum came back',
    );
    expect(back.json.namespace.name).toBe('after-loss');
    expect((await reserve(admins[2], 'during-loss')).status).toBe(201);
  });
});
