import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type PartitionTable, ProxyStatus } from '../../proto/gen/prism/admin/v1/partition.js';
import {
  api,
  FakeProxy,
  type FakeProxyOptions,
  type StartedAdmin,
  startAdmin,
} from '../../test-support/admin-harness.js';
import { FakeClock } from '../../test-support/fake-clock.js';
import { removeDir, type StartedProxy, startProxy, until as waitUntil } from '../../test-support/proxy-harness.js';

const started: StartedAdmin[] = [];
const proxies: FakeProxy[] = [];
const dirs: string[] = [];
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
  for (const p of proxies.splice(0)) p.kill();
  for (const a of started.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An admin with the production shape of fleet changes, and timers short enough for a test. */
const admin = async (values: Record<string, unknown> = {}, clock?: FakeClock, dir?: string) => {
  const { proxies: p, rebalance: r, ...rest } = values as { proxies?: object; rebalance?: object };
  const a = await startAdmin({
    clock,
    dir,
    values: {
      proxies: { heartbeatSeconds: 3600, restartGraceSeconds: 30, ...p },
      rebalance: { maxMovePercent: 10, settleMs: 0, prepareTimeoutMs: 5000, approvalThreshold: 100, ...r },
      ...rest,
    },
  });
  started.push(a);
  return a;
};
const proxy = (a: StartedAdmin, id: string, options?: FakeProxyOptions) => {
  const p = new FakeProxy(a.grpc, id, options);
  proxies.push(p);
  return p;
};
const count = (t: PartitionTable | undefined, id: string) => t?.assignments.filter((x) => x.owner === id).length ?? 0;
const moved = (a: PartitionTable, b: PartitionTable) =>
  b.assignments.filter((x) => a.assignments.find((y) => y.partition === x.partition)?.owner !== x.owner);
const rollout = async (a: StartedAdmin) => (await api(a.http, 'GET', '/v1/partition-table/rollout')).json;
const audit = async (a: StartedAdmin, target?: string) =>
  (await api(a.http, 'GET', `/v1/audit?limit=1000${target ? `&target=${target}` : ''}`)).json.entries as {
    action: string;
    target: string;
    detail: string;
    result: string;
  }[];
const until = <T>(f: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000) => waitUntil(f, ms);
/** Waits until the admin's rollout is over and returns its table. */
const settled = async (a: StartedAdmin) => {
  await until(async () => !(await rollout(a)).inProgress && a.admin.fleet.currentTable());
  return a.admin.fleet.currentTable() as PartitionTable;
};
/** Three proxies, balanced. */
const three = async (a: StartedAdmin, options?: FakeProxyOptions) => {
  const ps = ['pa', 'pb', 'pc'].map((id) => proxy(a, id, options));
  await until(() => {
    const t = a.admin.fleet.currentTable();
    return t && ['pa', 'pb', 'pc'].every((id) => count(t, id) >= 85);
  }, 20_000);
  return ps;
};
const metrics = async (a: StartedAdmin) => (await api(a.http, 'GET', '/metrics')).text;
const metric = (text: string, name: string) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${name} `))
      ?.slice(name.length + 1) ?? 0,
  );
const status = (a: StartedAdmin, id: string) => a.admin.fleet.list().find((p) => p.id === id);

describe('restart grace', () => {
  it('a proxy whose stream closes and that comes back within the grace keeps its partitions: no new table version', async () => {
    const clock = new FakeClock();
    const a = await admin({}, clock);
    const [pa, , pc] = await three(a);
    const before = await settled(a);
    pc.kill();
    await until(() => status(a, 'pc')?.status === ProxyStatus.PROXY_STATUS_RESTARTING);
    expect(status(a, 'pc')?.graceUntil?.getTime()).toBe(clock.now() + 30_000);
    clock.advance(20_000);
    await a.admin.fleet.checkHealth();
    expect(a.admin.fleet.currentTable()?.version).toBe(before.version);

    const back = proxy(a, 'pc');
    await back.tableAt(before.version);
    await until(() => status(a, 'pc')?.status === ProxyStatus.PROXY_STATUS_HEALTHY);
    await new Promise((r) => setTimeout(r, 200));
    expect(a.admin.fleet.currentTable()).toEqual(before);
    expect(pa.tables.at(-1)?.version).toBe(before.version);
    const actions = (await audit(a, 'pc')).map((e) => e.action);
    expect(actions.slice(0, 3)).toEqual(['return', 'register', 'restarting']);
    const listed = (await api(a.http, 'GET', '/v1/proxies')).json.proxies.find((p: { id: string }) => p.id === 'pc');
    expect(listed.status).toBe('PROXY_STATUS_HEALTHY');
  });

  it('a real proxy stopped and started again on its ports within the grace: same table version, same owners, on every proxy', async () => {
    const a = await admin({ rebalance: { maxMovePercent: 100, prepareTimeoutMs: 250 } });
    const real: StartedProxy[] = [];
    cleanup.push(async () => {
      for (const p of real) {
        await p.stop();
        removeDir(p.stateDir);
      }
    });
    for (const id of ['r1', 'r2', 'r3']) real.push(await startProxy(id, [a.grpc]));
    await until(() => real.every((p) => p.proxy.state.table?.proxies.length === 3), 15_000);
    const before = await settled(a);
    const [, , r3] = real;
    const ports = { listen: new URL(r3.url).host, opsListen: new URL(r3.ops).host };
    await r3.stop();
    await until(() => status(a, 'r3')?.status === ProxyStatus.PROXY_STATUS_RESTARTING);
    const again = await startProxy('r3', [a.grpc], ports, r3.stateDir);
    real[2] = again;
    await until(() => status(a, 'r3')?.status === ProxyStatus.PROXY_STATUS_HEALTHY, 15_000);
    await until(() => again.proxy.state.version === before.version);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.admin.fleet.currentTable()).toEqual(before);
    for (const p of real) expect(p.proxy.state.version).toBe(before.version);
  });

  it('when the grace ends, the partitions of a proxy that did not come back move at once, in one version', async () => {
    const clock = new FakeClock();
    const a = await admin({}, clock);
    const [pa] = await three(a);
    const before = await settled(a);
    proxies[2].kill();
    await until(() => status(a, 'pc')?.status === ProxyStatus.PROXY_STATUS_RESTARTING);
    clock.advance(30_001);
    await a.admin.fleet.checkHealth();
    const after = await pa.until(() => pa.tables.find((t) => t.version > before.version));
    expect(after.version).toBe(before.version + 1);
    expect(count(after, 'pc')).toBe(0);
    expect(after.proxies.map((p) => p.id)).toEqual(['pa', 'pb']);
    expect(moved(before, after)).toHaveLength(count(before, 'pc'));
    expect(status(a, 'pc')?.status).toBe(ProxyStatus.PROXY_STATUS_DISCONNECTED);
    expect((await audit(a, 'pc'))[0]).toMatchObject({ action: 'grace-expired', result: 'ok' });
  });

  it('after an admin restart, a proxy not back yet keeps its partitions for its grace; then they move', async () => {
    const clock = new FakeClock();
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-grace-'));
    dirs.push(dir);
    const values = { proxies: { heartbeatSeconds: 5, restartGraceSeconds: 30 } };
    const first = await admin(values, clock, dir);
    await three(first);
    const before = await settled(first);
    await first.stop();
    started.splice(started.indexOf(first), 1);
    for (const p of proxies.splice(0)) p.kill();

    const second = await admin(values, clock, dir);
    const pa = proxy(second, 'pa');
    const pb = proxy(second, 'pb');
    await pa.tableAt(before.version);
    await pb.tableAt(before.version);
    expect(status(second, 'pc')?.status).toBe(ProxyStatus.PROXY_STATUS_RESTARTING);
    clock.advance(25_000);
    pa.heartbeat(before.version);
    pb.heartbeat(before.version);
    await until(() => status(second, 'pa')?.lastSeen?.getTime() === clock.now());
    await until(() => status(second, 'pb')?.lastSeen?.getTime() === clock.now());
    await second.admin.fleet.checkHealth();
    expect(second.admin.fleet.currentTable()?.version).toBe(before.version);

    clock.advance(6_000);
    pa.heartbeat(before.version);
    pb.heartbeat(before.version);
    await until(() => status(second, 'pb')?.lastSeen?.getTime() === clock.now());
    await second.admin.fleet.checkHealth();
    const after = await pa.until(() => pa.tables.find((t) => t.version > before.version));
    expect(count(after, 'pc')).toBe(0);
    expect(status(second, 'pc')?.status).toBe(ProxyStatus.PROXY_STATUS_DISCONNECTED);
  });
});

describe('drain and undrain', () => {
  it("moves the drained proxy's partitions away in rounds of at most 26, drops it from the table, and undrain brings it back", async () => {
    const a = await admin();
    const [pa] = await three(a);
    const before = await settled(a);
    const owned = count(before, 'pc');
    const roundsBefore = metric(await metrics(a), 'prism_partition_move_rounds_total');

    const drained = await api(a.http, 'POST', '/v1/proxies/pc:drain');
    expect(drained.status).toBe(200);
    expect(drained.json).toMatchObject({ id: 'pc', draining: true });
    const empty = await pa.until(
      () => pa.tables.find((t) => t.version > before.version && count(t, 'pc') === 0),
      20_000,
    );
    const versions = pa.tables.filter((t) => t.version > before.version && t.version <= empty.version);
    expect(versions.map((t) => t.version)).toEqual(
      Array.from({ length: Math.ceil(owned / 26) }, (_, i) => before.version + 1 + i),
    );
    let previous = before;
    for (const t of versions) {
      const step = moved(previous, t);
      expect(step.length).toBeLessThanOrEqual(26);
      expect(step.every((x) => x.epoch === (previous.assignments[x.partition].epoch ?? 0) + 1)).toBe(true);
      // Still listed while it owns something, so that load balancers keep sending its share to it.
      expect(t.proxies.some((p) => p.id === 'pc')).toBe(count(t, 'pc') > 0);
      previous = t;
    }
    expect(empty.proxies.map((p) => p.id)).toEqual(['pa', 'pb']);
    const rounds = (await audit(a, 'partition-table')).filter((e) => e.detail.includes('(drain)'));
    expect(rounds).toHaveLength(versions.length);
    expect(rounds.at(-1)?.detail).toMatch(
      /^round 1\/4 \(drain\): v\d+ -> v\d+, 26 partitions \[[\d,]+\] from pc:26 to /,
    );
    expect(
      (await api(a.http, 'GET', '/v1/proxies')).json.proxies.find((p: { id: string }) => p.id === 'pc'),
    ).toMatchObject({
      draining: true,
      status: 'PROXY_STATUS_HEALTHY',
    });
    const text = await metrics(a);
    expect(metric(text, 'prism_partition_moves_total{kind="drain"}')).toBe(owned);
    expect(metric(text, 'prism_partition_move_rounds_total')).toBe(roundsBefore + versions.length);

    await settled(a);
    expect((await api(a.http, 'POST', '/v1/proxies/pc:undrain')).json).toMatchObject({ id: 'pc' });
    const back = await pa.until(() => pa.tables.find((t) => t.version > empty.version && count(t, 'pc') >= 85), 20_000);
    expect(back.version - empty.version).toBeGreaterThanOrEqual(4);
    const actions = (await audit(a, 'pc')).map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['undrain', 'drain']);
  });

  it('keeps a drain across an admin restart (SQLite), and refuses an unknown id with a coded 404', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-drain-'));
    dirs.push(dir);
    const first = await admin({ rebalance: { maxMovePercent: 100 } }, undefined, dir);
    await three(first);
    await api(first.http, 'POST', '/v1/proxies/pb:drain');
    await until(() => count(first.admin.fleet.currentTable(), 'pb') === 0);
    await first.stop();
    started.splice(started.indexOf(first), 1);
    for (const p of proxies.splice(0)) p.kill();

    const second = await admin({}, undefined, dir);
    expect(status(second, 'pb')?.draining).toBe(true);
    const unknown = await api(second.http, 'POST', '/v1/proxies/nobody:drain');
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'PRISM-FLEET-005']);
    expect((await audit(second, 'nobody'))[0]).toMatchObject({ action: 'drain', result: 'PRISM-FLEET-005' });
  });
});

describe('moves in rounds', () => {
  it('a 4th proxy joining gets its partitions in rounds of at most 26, each cut over only after its Prepared', async () => {
    const a = await admin();
    await three(a);
    const before = await settled(a);
    // Answers Prepare late: were the admin not waiting for it, the table would come first.
    const pd = proxy(a, 'pd', { prepareDelayMs: 150 });
    const done = await pd.until(() => pd.tables.find((t) => count(t, 'pd') === 64), 20_000);
    const tables = pd.tables.filter((t) => t.version > before.version && t.version <= done.version);
    expect(tables.map((t) => count(t, 'pd'))).toEqual([26, 52, 64]);
    let previous = before;
    for (const t of tables) {
      expect(moved(previous, t).length).toBeLessThanOrEqual(26);
      const at = pd.events.indexOf(`table:${t.version}`);
      const prepared = pd.events.slice(0, at).filter((e) => e.startsWith('prepared:'));
      expect(prepared.length).toBeGreaterThan(0);
      const round = prepared.at(-1)?.split(':')[1];
      const message = pd.messages.find((m) => m.prepare?.round === Number(round))?.prepare;
      expect(message?.tableVersion).toBe(t.version);
      expect(message?.partitions).toEqual(moved(previous, t).map((x) => x.partition));
      previous = t;
    }
    const rounds = (await audit(a, 'partition-table')).filter((e) => e.action === 'move-round');
    expect(rounds.slice(0, 3).map((e) => e.detail.slice(0, 17))).toEqual([
      'round 3/3 (join):',
      'round 2/3 (join):',
      'round 1/3 (join):',
    ]);
    // proto3 JSON: nothing in progress, no reason, nothing held.
    expect(await rollout(a)).toEqual({});
  });

  it('the rollout endpoint shows the rounds while they run', async () => {
    const a = await admin({ rebalance: { settleMs: 400 } });
    await three(a);
    await settled(a);
    proxy(a, 'pd');
    const during = await until(async () => {
      const r = await rollout(a);
      return r.inProgress && r.roundsDone >= 1 && r;
    });
    expect(during).toMatchObject({ inProgress: true, reason: 'join', roundsTotal: 3 });
    expect(during.remainingMoves).toBeGreaterThan(0);
    await settled(a);
  });

  it('a cooldown holds the next automatic rollout until it ends', async () => {
    const clock = new FakeClock();
    const a = await admin({ rebalance: { maxMovePercent: 100, cooldownSeconds: 60 } }, clock);
    await three(a);
    // Those three joined in one automatic rollout, which started a cooldown too.
    expect(await rollout(a)).toMatchObject({ cooldownUntil: new Date(clock.now() + 60_000).toISOString() });
    clock.advance(60_001);
    const pd = proxy(a, 'pd');
    await pd.until(() => count(pd.latest(), 'pd') === 64);
    const held = await settled(a);
    const pe = proxy(a, 'pe');
    await pe.tableAt(held.version);
    await until(async () => (await rollout(a)).reason === 'join');
    expect(await rollout(a)).toEqual({ reason: 'join', cooldownUntil: new Date(clock.now() + 60_000).toISOString() });
    expect(a.admin.fleet.currentTable()?.version).toBe(held.version);
    clock.advance(60_001);
    await a.admin.fleet.checkHealth();
    await pe.until(() => count(pe.latest(), 'pe') >= 51);
  });

  it('an automatic change above the approval threshold waits; apply with its version approves it', async () => {
    const a = await admin({ rebalance: { maxMovePercent: 100, approvalThreshold: 30 } });
    const pa = proxy(a, 'pa');
    await pa.tableAt(1);
    // 1 → 2 proxies moves half the partitions: above 30 %, it waits too.
    const pb = proxy(a, 'pb');
    await until(async () => (await rollout(a)).awaitingApproval);
    expect(count(a.admin.fleet.currentTable(), 'pb')).toBe(0);
    expect((await api(a.http, 'POST', '/v1/partition-table:apply', {})).status).toBe(200);
    await pb.until(() => count(pb.latest(), 'pb') === 128);
    const v = (await settled(a)).version;
    const pc = proxy(a, 'pc');
    const r = await until(async () => {
      const x = await rollout(a);
      return x.awaitingApproval && x;
    });
    expect(r.awaitingApproval).toMatchObject({ fromVersion: v, movedPartitions: 85, rounds: 1 });
    expect(a.admin.fleet.currentTable()?.version).toBe(v);

    const stale = await api(a.http, 'POST', '/v1/partition-table:apply', { expectedVersion: v - 1 });
    expect([stale.status, stale.json.error.code]).toEqual([409, 'PRISM-TABLE-006']);
    const applied = await api(a.http, 'POST', '/v1/partition-table:apply', { expectedVersion: v });
    expect(applied.status).toBe(200);
    await pc.until(() => count(pc.latest(), 'pc') === 85);
    expect((await rollout(a)).awaitingApproval).toBeUndefined();
    const entries = await audit(a, 'partition-table');
    expect(entries.find((e) => e.action === 'apply-table' && e.result === 'ok')?.detail).toMatch(/^approved: v\d+/);
    expect(entries.find((e) => e.result === 'PRISM-TABLE-006')).toBeDefined();
  });

  it('a leave never waits for a cooldown or an approval', async () => {
    const a = await admin({ proxies: { restartGraceSeconds: 0 }, rebalance: { approvalThreshold: 0 } });
    const pa = proxy(a, 'pa');
    await pa.tableAt(1);
    const pb = proxy(a, 'pb');
    await until(async () => (await rollout(a)).awaitingApproval);
    expect(count(a.admin.fleet.currentTable(), 'pb')).toBe(0);
    pa.kill();
    const after = await pb.until(() => pb.tables.find((t) => count(t, 'pb') === 256));
    expect(after.proxies.map((p) => p.id)).toEqual(['pb']);
  });
});

describe('rollback', () => {
  it('moves back to the owners before the last completed change; nothing to roll back is a coded 409', async () => {
    const a = await admin({ rebalance: { maxMovePercent: 50 } });
    const none = await api(a.http, 'POST', '/v1/partition-table:rollback', {});
    expect([none.status, none.json.error.code]).toEqual([409, 'PRISM-TABLE-007']);
    const [pa] = await three(a);
    await settled(a);
    const before = a.admin.fleet.currentTable() as PartitionTable;
    const applied = await api(a.http, 'POST', '/v1/partition-table:apply', { weights: { pa: 3 } });
    expect(applied.json).toMatchObject({ fromVersion: before.version, rounds: 1 });
    await pa.tableAt(applied.json.table.version);
    const weighted = await settled(a);
    expect(count(weighted, 'pa')).toBe(153);

    const stale = await api(a.http, 'POST', '/v1/partition-table:rollback', { expectedVersion: before.version });
    expect([stale.status, stale.json.error.code]).toEqual([409, 'PRISM-TABLE-006']);
    const rolled = await api(a.http, 'POST', '/v1/partition-table:rollback', { expectedVersion: weighted.version });
    expect(rolled.status).toBe(200);
    expect(rolled.json.movedPartitions).toBe(moved(before, weighted).length);
    const back = await settled(a);
    await pa.tableAt(back.version);
    expect(back.version).toBeGreaterThan(weighted.version);
    expect(back.assignments.map((x) => x.owner)).toEqual(before.assignments.map((x) => x.owner));
    expect(back.proxies.map((p) => p.weight)).toEqual([1, 1, 1]);
    const entries = await audit(a, 'partition-table');
    expect(entries.filter((e) => e.action === 'move-round')[0].detail).toMatch(/\(rollback\)/);
    expect(entries.find((e) => e.action === 'rollback-table' && e.result === 'ok')).toBeDefined();
  });
});
