import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminFetch } from '../../test-support/admin-harness.js';
import { type Spread, spread } from '../shared/stats.js';
import { spawnBenchAdmin } from './bench-admin.js';
import { Swarm } from './swarm.js';
import { onAbort } from './teardown.js';

export interface FleetChangeOptions {
  proxies: number;
  repeats: number;
}

export interface FleetChangeRun {
  proxies: number;
  repeats: number;
  /** Time for all proxies to connect and be registered. */
  startMs: number;
  /** Then, time until the admin and all proxies agree on one acked table (includes a 200 ms stability check). */
  settleMs: number;
  toLastTableMs: { join: Spread; leave: Spread };
  toLastAckMs: { join: Spread; leave: Spread };
}

interface ProxyListing {
  tableVersion?: number;
  proxies?: { id: string; appliedTableVersion?: number }[];
}

const POLL_MS = 5;
const SETTLE_TIMEOUT_MS = 30_000;
const ACK_TIMEOUT_MS = 15_000;

/** The bootstrap token of the admin under test, for /v1/proxies. */
let authorization = '';

async function listProxies(http: string): Promise<{ version: number; applied: Map<string, number> }> {
  const res = await adminFetch(http, '/v1/proxies', { headers: { authorization } });
  if (res.status !== 200) throw new Error(`GET /v1/proxies answered ${res.status}`);
  const body = (await res.json()) as ProxyListing;
  return {
    version: body.tableVersion ?? 0,
    applied: new Map((body.proxies ?? []).map((p) => [p.id, p.appliedTableVersion ?? 0])),
  };
}

function allAcked(applied: Map<string, number>, live: Set<string>, version: number): boolean {
  for (const id of live) if ((applied.get(id) ?? 0) < version) return false;
  return true;
}

/**
 * Polls /v1/proxies every 5 ms until the admin's table is above `above` and every live proxy acked it; returns
 * the ms from `since` to the answer that showed it (an upper bound, within one poll interval plus a round trip).
 */
async function untilAcked(http: string, live: Set<string>, above: number, since: number): Promise<number> {
  for (;;) {
    const polled = performance.now();
    const { version, applied } = await listProxies(http);
    const now = performance.now();
    if (version > above && allAcked(applied, live, version)) return now - since;
    if (now - since > ACK_TIMEOUT_MS) throw new Error(`proxies did not ack a table above v${above} in time`);
    await sleep(Math.max(0, POLL_MS - (now - polled)));
  }
}

/** Waits until the admin and every simulated proxy agree on one acked version that stays put for 200 ms. */
async function settle(http: string, swarm: Swarm, live: Set<string>): Promise<number> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let candidate = -1;
  for (;;) {
    const { version, applied } = await listProxies(http);
    const status = await swarm.call({ op: 'status' }, 'status');
    if (status.errors.length) throw new Error(`simulated proxies failed: ${status.errors.slice(0, 3).join('; ')}`);
    const agreed =
      version > 0 && status.minVersion === version && status.maxVersion === version && allAcked(applied, live, version);
    // A rebalance may still be scheduled (the admin coalesces them on setImmediate), hence the second look.
    if (agreed && version === candidate) return version;
    candidate = agreed ? version : -1;
    if (performance.now() > deadline) throw new Error(`the fleet did not settle within ${SETTLE_TIMEOUT_MS} ms`);
    await sleep(agreed ? 200 : 50);
  }
}

/** One fleet change, timed from the parent's send both ways: by the swarm's clock and by the admin's view. */
async function timeChange(
  http: string,
  swarm: Swarm,
  live: Set<string>,
  change: { op: 'join' | 'leave'; id: string },
  above: number,
): Promise<{ lastTableMs: number; lastAckMs: number }> {
  const since = performance.now();
  const [changed, lastAckMs] = await Promise.all([
    swarm.call({ ...change, above }, 'changed'),
    untilAcked(http, live, above, since),
  ]);
  return { lastTableMs: changed.lastTableMs, lastAckMs };
}

/**
 * A fresh admin (its own process, empty SQLite) with `proxies` simulated proxies in a child process; each repeat
 * has one proxy join (fleet of proxies+1), then one of the original proxies leave (back to `proxies`).
 */
export async function benchFleetChange(o: FleetChangeOptions): Promise<FleetChangeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-bench-fleet-'));
  const forgetDir = onAbort(() => rmSync(dir, { recursive: true, force: true }));
  const admin = await spawnBenchAdmin(dir);
  authorization = `Bearer ${admin.token}`;
  const forgetAdmin = onAbort(() => process.kill(admin.pid, 'SIGKILL'));
  const swarm = new Swarm();
  try {
    const ids = Array.from({ length: o.proxies }, (_, i) => `bench-proxy-${String(i).padStart(3, '0')}`);
    const live = new Set(ids);
    const { ms: startMs } = await swarm.call({ op: 'start', address: admin.grpc, ids }, 'started');
    const settleStarted = performance.now();
    let version = await settle(admin.http, swarm, live);
    const settleMs = performance.now() - settleStarted;

    const table = { join: [] as number[], leave: [] as number[] };
    const ack = { join: [] as number[], leave: [] as number[] };
    for (let i = 0; i < o.repeats; i++) {
      const joiner = `bench-joiner-${i}`;
      live.add(joiner);
      const joined = await timeChange(admin.http, swarm, live, { op: 'join', id: joiner }, version);
      table.join.push(joined.lastTableMs);
      ack.join.push(joined.lastAckMs);
      version = await settle(admin.http, swarm, live);

      const leaver = ids[i];
      live.delete(leaver);
      const left = await timeChange(admin.http, swarm, live, { op: 'leave', id: leaver }, version);
      table.leave.push(left.lastTableMs);
      ack.leave.push(left.lastAckMs);
      version = await settle(admin.http, swarm, live);
    }
    return {
      proxies: o.proxies,
      repeats: o.repeats,
      startMs,
      settleMs,
      toLastTableMs: { join: spread(table.join), leave: spread(table.leave) },
      toLastAckMs: { join: spread(ack.join), leave: spread(ack.leave) },
    };
  } finally {
    await swarm.close();
    await admin.stop();
    forgetAdmin();
    rmSync(dir, { recursive: true, force: true });
    forgetDir();
  }
}
