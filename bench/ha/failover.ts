import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { api } from '../../test-support/admin-harness.js';
import type { EtcdCluster } from '../../test-support/etcd-cluster.js';
import { removeDir, type StartedProxy, startProxy, until } from '../../test-support/proxy-harness.js';
import type { AdminProcess } from '../../test-support/spawn-admin.js';
import { spawnBenchAdmin } from '../admin/bench-admin.js';
import { onAbort } from '../admin/teardown.js';

export interface FailoverRun {
  /** kill -9 of the leader → another admin reports itself leader in GET /v1/admin/status. */
  leaderMs: number;
  /** → the first reservation acknowledged, by a client that lists the killed admin first. */
  reservationMs: number;
  /** → the first table change (a weight) accepted by the new leader is applied on all three proxies. */
  tablePushMs: number;
}

// The proxies' own reconnect defaults (proxy-schema.ts), not the tests' shorter ones.
const PROXY_DEFAULTS = { controlPlane: { reconnectInitialMs: 250, reconnectMaxMs: 30_000, breakerHalfOpenMs: 10_000 } };

/**
 * One failover: 3 admin processes on `cluster` (a prefix of their own), 3 in-process proxies each
 * listing all three admins (starting with a different one), kill -9 of the leader, and the three
 * times measured from the kill, polled every 10 ms.
 */
export async function benchFailover(
  cluster: EtcdCluster,
  o: { label: string; run: number; leaderTtlSeconds: number },
): Promise<FailoverRun> {
  const admins: AdminProcess[] = [];
  const proxies: StartedProxy[] = [];
  const dirs: string[] = [];
  const undo: (() => void)[] = [];
  let measuring = true;
  try {
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), `prism-bench-ha-${i}-`));
      dirs.push(dir);
      undo.push(onAbort(() => rmSync(dir, { recursive: true, force: true })));
      const admin = await spawnBenchAdmin(dir, {
        etcd: {
          endpoints: cluster.endpoints,
          prefix: `/bench-ha-${o.label}-${o.run}/`,
          adminId: `admin-${i}`,
          leaderTtlSeconds: o.leaderTtlSeconds,
        },
        rebalance: { maxMovePercent: 100, settleMs: 0, prepareTimeoutMs: 250, approvalThreshold: 100 },
      });
      admins.push(admin);
      undo.push(onAbort(() => process.kill(admin.pid, 'SIGKILL')));
    }
    const auth = { authorization: `Bearer ${admins[0].token}` };
    const isLeader = async (a: AdminProcess) =>
      (await api(a.http, 'GET', '/v1/admin/status', undefined, auth).catch(() => undefined))?.json?.role === 'leader';
    const leaderAmong = async (among: AdminProcess[]) => {
      for (const a of among) if (await isLeader(a)) return a;
      return undefined;
    };
    const leader = await until(() => leaderAmong(admins), 15_000, 'a leader');
    const grpcs = admins.map((a) => a.grpc);
    for (let i = 0; i < 3; i++)
      proxies.push(await startProxy(`p${i}`, [...grpcs.slice(i), ...grpcs.slice(0, i)], PROXY_DEFAULTS));
    await until(
      () => proxies.every((p) => p.proxy.state.table?.proxies.length === 3),
      20_000,
      'the fleet formed',
    ).catch((err) => {
      const seen = proxies.map((p) => `${p.id} on ${p.proxy.control()?.current}: v${p.proxy.state.version}`);
      // What held it up (a change waiting for approval, a refused stream) is in the admins' warnings.
      const warned = admins.flatMap((a) =>
        a.logs.filter((l) => Number(l.level) >= 40).map((l) => `${a.grpc}: ${l.msg}`),
      );
      seen.push(...new Set(warned));
      throw new Error(`${(err as Error).message} (${seen.join(', ')})`);
    });
    const rest = admins.filter((a) => a !== leader);

    const killedAt = performance.now();
    process.kill(leader.pid, 'SIGKILL');
    const since = () => performance.now() - killedAt;
    const tick = () => new Promise((r) => setTimeout(r, 10));

    const leaderMs = (async () => {
      while (measuring && !(await leaderAmong(rest))) await tick();
      return since();
    })();
    const reservationMs = (async () => {
      while (measuring) {
        for (const a of [leader, ...rest]) {
          const r = await api(
            a.http,
            'POST',
            '/v1/namespaces',
            { name: `after-${o.run}`, backends: ['http://127.0.0.1:9000'] },
            auth,
          ).catch(() => undefined);
          if (r?.status === 201) return since();
        }
        await tick();
      }
      return Number.NaN;
    })();
    const tablePushMs = (async () => {
      let version = 0;
      for (let i = 0; measuring && !version; i++) {
        const r = await api(rest[i % 2].http, 'POST', '/v1/partition-table:apply', { weights: { p0: 2 } }, auth).catch(
          () => undefined,
        );
        if (r?.status === 200) version = Number(r.json.table.version);
        else await tick();
      }
      while (measuring && !proxies.every((p) => (p.proxy.state.table?.version ?? 0) >= version)) await tick();
      return since();
    })();
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no failover within 20 s')), 20_000).unref(),
    );
    const [l, r, t] = await Promise.race([Promise.all([leaderMs, reservationMs, tablePushMs]), deadline]);
    return { leaderMs: l, reservationMs: r, tablePushMs: t };
  } finally {
    measuring = false;
    for (const p of proxies) {
      await p.stop();
      removeDir(p.stateDir);
    }
    for (const a of admins) await a.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const u of undo) u();
  }
}
