import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../core/src/partition.js';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { adminFetch, api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type EtcdCluster, haveEtcd, startEtcdCluster } from '../../test-support/etcd-cluster.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';

/**
 * Followers that are as useful as the leader: what one admin writes (namespaces, revocations, signing
 * keys, operator tokens) reaches the others and the proxies they feed within a second; the leader
 * prepares new owners whose stream a follower holds; every admin compares the whole fleet's config
 * fingerprints. Real 3-member etcd, 3 admins, real proxies.
 */
const etcd = haveEtcd();
let cluster: EtcdCluster;
let backend: Backend;

const etcdValues = (prefix: string, adminId: string, extra: Record<string, unknown> = {}) => ({
  etcd: { endpoints: cluster.endpoints, prefix, adminId, requestTimeoutMs: 1_500, dialTimeoutMs: 3_000 },
  ...extra,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/**
 * How long `probe` took to hold, in ms (bounded by `timeoutMs`). etcd's watch delivers in a few ms
 * here (the tests print it); the assertions allow 2 s so that a busy machine does not fail them.
 */
const timeUntil = async (probe: () => Promise<unknown>, timeoutMs: number, what: string) => {
  const started = performance.now();
  await until(probe, timeoutMs, what);
  return Math.round(performance.now() - started);
};

describe.runIf(etcd)('followers on etcd', () => {
  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
    backend = await startBackend('b');
  }, 30_000);
  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
  });

  describe('three admins, a proxy on each', () => {
    const admins: StartedAdmin[] = [];
    const proxies: StartedProxy[] = [];
    let leader: StartedAdmin;
    let followers: StartedAdmin[];
    /** Every admin takes the first admin's bootstrap token: the registry lives in etcd. */
    const call = (a: StartedAdmin, method: string, path: string, body?: unknown, token = admins[0].token) =>
      api(a.http, method, path, body, bearer(token));

    beforeAll(async () => {
      for (let i = 0; i < 3; i++)
        admins.push(
          // Three proxies join at once: the move of 2/3 of the partitions needs no approval here.
          await startAdmin({ values: etcdValues('/followers/', `a${i}`, { rebalance: { approvalThreshold: 100 } }) }),
        );
      leader = await until(() => admins.find((a) => a.admin.role().role === 'leader'), 10_000, 'a leader');
      followers = admins.filter((a) => a !== leader);
      const auth = { auth: { required: true } };
      // Every proxy lists every admin, each its own first: one stream on each admin.
      const all = (first: StartedAdmin) => [first.grpc, ...admins.filter((a) => a !== first).map((a) => a.grpc)];
      proxies.push(await startProxy('proxy-a', all(leader), auth));
      proxies.push(await startProxy('proxy-b', all(followers[0]), auth));
      // The one proxy that runs with other settings, on the other follower.
      proxies.push(await startProxy('proxy-c', all(followers[1]), { ...auth, forwarding: { timeoutMs: 1_234 } }));
      await until(
        () => proxies.every((p) => p.proxy.state.table?.proxies.length === 3 && p.proxy.state.jwks),
        20_000,
        'every proxy in the table of three',
      );
    }, 60_000);
    afterAll(async () => {
      for (const p of proxies) {
        await p.stop();
        removeDir(p.stateDir);
      }
      for (const a of admins) await a.stop();
    });

    /** A fresh namespace name whose partition proxy `id` owns, so that proxy serves it itself. */
    const nameOwnedBy = (id: string, stem: string) => {
      const table = proxies[0].proxy.state.table!;
      const owners = new Map(table.assignments.map((a) => [a.partition, a.owner]));
      for (let i = 0; ; i++) if (owners.get(partitionOf(`${stem}-${i}`)) === id) return `${stem}-${i}`;
    };
    const through = async (proxy: StartedProxy, ns: string, token: string) => {
      const res = await fetch(`${proxy.url}/`, {
        headers: { 'x-prism-namespace': ns, authorization: `Bearer ${token}` },
      });
      const body = res.headers.get('content-type')?.includes('json') ? await res.json() : undefined;
      return { status: res.status, code: body?.error?.code as string | undefined };
    };

    it('a namespace reserved on the leader serves through a proxy a follower feeds, and its revocation there is refused within a second', async () => {
      const proxyB = proxies[1];
      const ns = nameOwnedBy('proxy-b', 'from-leader');
      const reserved = await call(leader, 'POST', '/v1/namespaces', { name: ns, backends: [backend.url] });
      expect(reserved.status).toBe(201);
      const token = reserved.json.token as string;
      // The follower publishes the key that signed it, and feeds its proxy the namespace.
      const { kid } = decodeProtectedHeader(token);
      const jwks = await adminFetch(followers[0].http, '/.well-known/jwks.json').then(
        (r) => r.json() as Promise<{ keys: { kid: string }[] }>,
      );
      expect(jwks.keys.map((k) => k.kid)).toContain(kid);
      const served = await timeUntil(
        async () => (await through(proxyB, ns, token)).status === 200,
        3_000,
        'the namespace served by proxy-b',
      );
      console.log(`namespace reserved on the leader served by a follower's proxy after ${served} ms`);

      expect((await call(leader, 'POST', `/v1/namespaces/${ns}:revoke`, { reason: 'leaked' })).status).toBe(200);
      const refused = await timeUntil(
        async () => (await through(proxyB, ns, token)).status === 401,
        3_000,
        'the revoked token refused by proxy-b',
      );
      console.log(`token revoked on the leader refused by a follower's proxy after ${refused} ms`);
      expect(refused).toBeLessThan(2_000);
      expect(await through(proxyB, ns, token)).toEqual({ status: 401, code: 'PRISM-AUTH-004' });
    });

    it('an operator token made on one admin works on another within a second, and its revocation is refused there within a second', async () => {
      const made = await call(followers[1], 'POST', '/v1/auth/tokens', { name: 'alice', role: 'viewer' });
      expect(made.status).toBe(201);
      const alice = made.json.token as string;
      const accepted = await timeUntil(
        async () =>
          (await call(followers[0], 'GET', '/v1/auth/whoami', undefined, alice)).status === 200 &&
          (await call(leader, 'GET', '/v1/proxies', undefined, alice)).status === 200,
        3_000,
        "alice's token accepted by the other admins",
      );
      expect(accepted).toBeLessThan(2_000);

      expect((await call(followers[1], 'POST', '/v1/auth/tokens:revoke', { jti: made.json.jti })).status).toBe(200);
      const refused = await timeUntil(
        async () =>
          (await call(followers[0], 'GET', '/v1/auth/whoami', undefined, alice)).status === 401 &&
          (await call(leader, 'GET', '/v1/proxies', undefined, alice)).status === 401,
        3_000,
        "alice's revoked token refused by the other admins",
      );
      console.log(`operator token usable elsewhere after ${accepted} ms, revocation seen after ${refused} ms`);
      expect(refused).toBeLessThan(2_000);
      const again = await call(leader, 'GET', '/v1/proxies', undefined, alice);
      expect([again.status, again.json.error.code]).toEqual([401, 'PRISM-ACCESS-004']);
    });

    it('operator tokens made at the same moment on three admins all work on every admin', async () => {
      const made = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(admins[i % 3], 'POST', '/v1/auth/tokens', { name: `op-${i}`, role: 'viewer' }),
        ),
      );
      for (const m of made) expect(m.status).toBe(201);
      await until(
        async () => {
          for (const a of admins) {
            for (const m of made)
              if ((await call(a, 'GET', '/v1/auth/whoami', undefined, m.json.token)).status !== 200) return false;
          }
          return true;
        },
        5_000,
        'every token accepted by every admin',
      );
      // The stored registry holds every one of them: an admin that starts now reads them all.
      const late = await startAdmin({ values: etcdValues('/followers/', 'late') });
      try {
        const listed = (await call(late, 'GET', '/v1/auth/tokens')).json.tokens as { name: string }[];
        for (let i = 0; i < 12; i++) expect(listed.map((t) => t.name)).toContain(`op-${i}`);
      } finally {
        await late.stop();
      }
    });

    it("a key rotation on the leader is served by the followers' JWKS and signs their new tokens, which their proxies accept", async () => {
      const rotated = await call(leader, 'POST', '/v1/keys:rotate');
      expect(rotated.status).toBe(200);
      const kid = rotated.json.kid as string;
      for (const f of followers) {
        const seen = await timeUntil(
          async () => {
            const jwks = await adminFetch(f.http, '/.well-known/jwks.json').then(
              (r) => r.json() as Promise<{ keys: { kid: string }[] }>,
            );
            return jwks.keys.at(-1)?.kid === kid;
          },
          3_000,
          'the new key in the JWKS of a follower',
        );
        console.log(`key rotated on the leader published by a follower after ${seen} ms`);
        expect(seen).toBeLessThan(2_000);
      }
      const ns = nameOwnedBy('proxy-b', 'after-rotation');
      const reserved = await call(followers[0], 'POST', '/v1/namespaces', { name: ns, backends: [backend.url] });
      expect(reserved.status).toBe(201);
      expect(decodeProtectedHeader(reserved.json.token).kid).toBe(kid);
      await until(
        async () => (await through(proxies[1], ns, reserved.json.token)).status === 200,
        3_000,
        'the token signed with the new key accepted by proxy-b',
      );
    });

    it('every admin names the one proxy that runs with other settings, wherever its stream is', async () => {
      for (const a of admins) {
        const list = (await call(a, 'GET', '/v1/proxies')).json as {
          proxies: { id: string; configHash: string; configDrift?: boolean }[];
        };
        expect(list.proxies.map((p) => p.id)).toEqual(['proxy-a', 'proxy-b', 'proxy-c']);
        expect(list.proxies.filter((p) => p.configDrift).map((p) => p.id)).toEqual(['proxy-c']);
        const metrics = await (await adminFetch(a.http, '/metrics')).text();
        expect(metrics).toMatch(/^prism_admin_proxies_config_drift 1$/m);
        expect(metrics).toMatch(/^prism_admin_proxy_config_fingerprints 2$/m);
        expect(metrics).toMatch(/^prism_admin_proxies\{status="healthy"\} 3$/m);
      }
      const cli = await runBin(
        'prismctl',
        ['proxies', '--admin', followers[0].http, '--token-file', admins[0].tokenFile, '--ca', admins[0].caFile],
        admins[0].dir,
      );
      expect(cli.stdout).toMatch(/proxy-c .*\(differs\)/);
      expect(cli.stdout).not.toMatch(/proxy-[ab] .*\(differs\)/);
    });
  });

  it('a proxy that moves to an admin whose table is behind keeps its newer table (its version never goes back), and takes the next one', async () => {
    const values = (id: string) => etcdValues('/moving/', id);
    const admins: StartedAdmin[] = [];
    let proxy: StartedProxy | undefined;
    const seen: number[] = [];
    let watching: NodeJS.Timeout | undefined;
    try {
      // The oldest campaign leads: a0, then a1; a2 (where the proxy moves) stays a follower.
      for (const id of ['a0', 'a1', 'a2']) {
        admins.push(await startAdmin({ values: values(id) }));
        if (id === 'a0') await until(() => admins[0].admin.role().role === 'leader', 10_000, 'a0 leads');
      }
      const [first, next, behind] = admins;
      const call = (a: StartedAdmin, method: string, path: string, body?: unknown) =>
        api(a.http, method, path, body, bearer(first.token));
      proxy = await startProxy('mover', [first.grpc, behind.grpc]);
      const p = proxy;
      await until(
        () => p.proxy.state.version >= 1 && behind.admin.fleet.currentTable()?.version === p.proxy.state.version,
        10_000,
        'the first table everywhere',
      );
      const record = () => {
        if (seen.at(-1) !== p.proxy.state.version) seen.push(p.proxy.state.version);
      };
      watching = setInterval(record, 5);
      // The admin the proxy moves to falls behind: its watch of the table is held back, as when its
      // etcd member lags (a fault a test cannot make happen on demand).
      const held: PartitionTable[] = [];
      const follow = behind.admin.fleet.followTable.bind(behind.admin.fleet);
      behind.admin.fleet.followTable = (table) => void held.push(table);
      expect((await call(first, 'POST', '/v1/partition-table:apply', { weights: { mover: 3 } })).status).toBe(200);
      const ahead = await until(() => (p.proxy.state.version > 1 ? p.proxy.state.version : 0), 10_000, 'a newer table');
      expect(behind.admin.fleet.currentTable()?.version).toBeLessThan(ahead);

      // Its admin stops (it resigns, a1 leads); the proxy fails over to the admin that is behind.
      await first.stop();
      await until(() => next.admin.role().role === 'leader', 10_000, 'a1 leads');
      await until(
        () => behind.admin.fleet.list().some((e) => e.id === 'mover' && e.appliedTableVersion >= ahead),
        10_000,
        'the proxy registered on the admin that is behind',
      );
      // That admin pushed its older table on the register: the proxy kept its own.
      await new Promise((r) => setTimeout(r, 200));
      expect(behind.admin.fleet.currentTable()?.version).toBeLessThan(ahead);
      expect(p.proxy.state.version).toBe(ahead);
      const ops = await fetch(`${p.ops}/prism/v1/partition-table`).then(
        (r) => r.json() as Promise<{ version: number }>,
      );
      expect(ops.version).toBe(ahead);

      // The admin catches up, and the next table reaches the proxy through it.
      behind.admin.fleet.followTable = follow;
      for (const t of held) follow(t);
      expect((await call(next, 'POST', '/v1/partition-table:apply', { weights: { mover: 1 } })).status).toBe(200);
      await until(() => p.proxy.state.version > ahead, 10_000, 'the next table through the admin that caught up');
      clearInterval(watching);
      record();
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)).toBeGreaterThan(ahead);
    } finally {
      clearInterval(watching);
      if (proxy) {
        await proxy.stop();
        removeDir(proxy.stateDir);
      }
      for (const a of admins.slice(1)) await a.stop();
    }
  }, 40_000);

  it('the leader prepares a new owner whose stream a follower holds, and cuts over on its Prepared, not on the timeout', async () => {
    const prepareTimeoutMs = 8_000;
    const values = (id: string) =>
      etcdValues('/relay/', id, { rebalance: { prepareTimeoutMs, maxMovePercent: 100, settleMs: 0 } });
    const admins: StartedAdmin[] = [];
    const fakes: FakeProxy[] = [];
    try {
      for (const id of ['r0', 'r1']) admins.push(await startAdmin({ values: values(id) }));
      const leader = await until(() => admins.find((a) => a.admin.role().role === 'leader'), 10_000, 'a leader');
      const follower = admins.find((a) => a !== leader)!;
      fakes.push(new FakeProxy(leader.grpc, 'p1'));
      await fakes[0].tableAt(1);
      const started = performance.now();
      const p2 = new FakeProxy(follower.grpc, 'p2', { prepareDelayMs: 200 });
      fakes.push(p2);
      const owning = await p2.until(
        () => p2.tables.find((t) => t.assignments.some((a) => a.owner === 'p2')),
        prepareTimeoutMs + 5_000,
      );
      const elapsed = Math.round(performance.now() - started);
      console.log(`a proxy on a follower joined and owned partitions after ${elapsed} ms (prepare relayed)`);
      const prepare = p2.events.findIndex((e) => e.startsWith('prepare:'));
      expect(prepare).toBeGreaterThanOrEqual(0);
      const round = p2.events[prepare].slice('prepare:'.length);
      const prepared = p2.events.indexOf(`prepared:${round}`);
      expect(prepared).toBeGreaterThan(prepare);
      expect(prepared).toBeLessThan(p2.events.indexOf(`table:${owning.version}`));
      const message = p2.messages.find((m) => m.prepare)!.prepare!;
      expect(message.tableVersion).toBe(owning.version);
      expect(message.partitions.length).toBe(owning.assignments.filter((a) => a.owner === 'p2').length);
      // The round went on the relayed Prepared, long before the prepare timeout would have let it.
      expect(elapsed).toBeLessThan(prepareTimeoutMs / 2);
    } finally {
      for (const f of fakes) f.close();
      for (const a of admins) await a.stop();
    }
  }, 40_000);
});
