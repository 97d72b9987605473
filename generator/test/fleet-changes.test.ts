import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../test-support/admin-harness.js';
import {
  CHAOS_ADMIN,
  type ChaosFleet,
  type LbTarget,
  type LbUnderWatch,
  startChaosFleet,
  startLbUnderWatch,
} from '../../test-support/chaos.js';
import { type CaseName, type CaseOptions, type CaseResult, runCase } from '../../test-support/chaos-cases.js';
import { envoyAvailable } from '../../test-support/envoy-process.js';
import { requireBinary } from '../../test-support/lb-binaries.js';
import { requireNginx } from '../../test-support/nginx-process.js';

/**
 * Issue #12, "Done when": real HAProxy, NGINX and Envoy, each fed by `prismctl lb watch` as a real
 * process, in front of one fleet of 4 prism-proxy processes (mTLS to the admin), each with its own
 * open-loop load (a few hundred requests per second in all). The load balancers share the fleet:
 * every change reaches the three at once, which keeps the file near a minute on two cores. Timers
 * are short through options (restart grace, settle time of a move round, the proxy's drain period,
 * the load balancers' health checks); the drain period is over two health-check intervals, as the
 * default is.
 */

const available: Record<LbTarget, boolean> = {
  haproxy: requireBinary('haproxy', ['-v'], 'apt-get install haproxy'),
  nginx: requireNginx(),
  envoy: envoyAvailable(),
};
const TARGETS = (['haproxy', 'nginx', 'envoy'] as const).filter((t) => available[t]);
const HEALTH_CHECK_MS = 200;
const MAX_MOVE_PERCENT = 10;
/** The most partitions one round may move at 10% of 256. */
const MAX_MOVES = Math.ceil((256 * MAX_MOVE_PERCENT) / 100);
const CONNECTIONS = 8;
const LOAD: CaseOptions = {
  rate: 120,
  steadyMs: 400,
  afterMs: 1_500,
  connections: CONNECTIONS,
  quietMs: 700,
  killDownMs: 1_500,
  victim: 'p2',
  joinId: 'p5',
};

/** Per load balancer, what a user of it would notice. */
const byLb = <T>(results: CaseResult[], pick: (r: CaseResult) => T) =>
  Object.fromEntries(results.map((r) => [r.lb, pick(r)]));
const expectedByLb = <T>(value: T) => Object.fromEntries(TARGETS.map((t) => [t, value]));
/**
 * What failed among the requests that reached the load balancer, and whether most did: the generator
 * holds a request back while a timeout's worth is queued (`notSent`, this machine out of CPU while
 * other test files run beside this one), and a case that sent too little would prove nothing.
 */
const failures = (r: CaseResult) => ({
  failed: r.failed,
  kinds: r.failedByKind,
  first: r.sampleFailures.filter((f) => !f.includes('not-sent')).slice(0, 3),
  mostSent: r.notSent < r.sent / 2,
});
const none = { failed: 0, kinds: {}, first: [], mostSent: true };

describe.skipIf(TARGETS.length === 0)(
  `fleet changes under load through ${TARGETS.join(', ')} with prismctl lb watch`,
  () => {
    let fleet: ChaosFleet;
    const lbs: LbUnderWatch[] = [];

    beforeAll(async () => {
      fleet = await startChaosFleet({
        ids: ['p1', 'p2', 'p3', 'p4'],
        namespaces: 32,
        admin: {
          ...CHAOS_ADMIN,
          proxies: { restartGraceSeconds: 30 },
          rebalance: {
            ...(CHAOS_ADMIN.rebalance as Record<string, unknown>),
            maxMovePercent: MAX_MOVE_PERCENT,
            settleMs: 300,
          },
        },
        proxy: { drain: { periodMs: 3 * HEALTH_CHECK_MS + 400 } },
      });
      for (const target of TARGETS)
        lbs.push(await startLbUnderWatch(fleet, target, { healthCheckIntervalMs: HEALTH_CHECK_MS, intervalMs: 100 }));
      if (fleet.dropped.length) console.warn(`fleet-changes: options this checkout lacks: ${fleet.dropped.join(', ')}`);
    }, 90_000);

    afterAll(async () => {
      for (const lb of lbs) await lb.stop();
      await fleet?.stop();
    }, 60_000);

    /** Each case starts from a whole fleet and running load balancers, whatever the previous one left. */
    const run = async (name: CaseName, only: LbUnderWatch[] = lbs) => {
      for (const lb of lbs) await lb.revive();
      for (const id of fleet.ids()) if (!fleet.running().includes(id)) await fleet.startProxy(id);
      await fleet.settled(500);
      return runCase(name, fleet, only, LOAD);
    };

    it('a rolling restart of every proxy (SIGTERM, start again) fails no request, keeps the table version and every load balancer running', async () => {
      const results = await run('rolling-restart');
      expect(byLb(results, failures)).toEqual(expectedByLb(none));
      expect(byLb(results, (r) => ({ before: r.versionBefore, after: r.versionAfter }))).toEqual(
        expectedByLb({ before: results[0].versionBefore, after: results[0].versionBefore }),
      );
      expect(byLb(results, (r) => r.lbAlive)).toEqual(expectedByLb(true));
      // An upper bound for a machine busy with other work (a proxy took up to 13 s to be ready at load average 20).
    }, 150_000);

    it('a SIGKILL of one proxy fails only requests that were in flight on it when it died', async () => {
      const results = await run('sigkill');
      // In flight on the dead proxy at most one request per keep-alive connection of the client; a
      // request sent after its exit must reach another proxy (the fallback serves it).
      expect(
        byLb(results, (r) => ({
          onlyInFlight: r.failuresOnlyInFlight,
          atMostOnePerConnection: r.failed <= CONNECTIONS,
          alive: r.lbAlive,
        })),
      ).toEqual(expectedByLb({ onlyInFlight: true, atMostOnePerConnection: true, alive: true }));
    }, 60_000);

    for (const [name, what] of [
      ['drain', 'draining a proxy (prismctl proxies drain --wait)'],
      ['join', 'a new proxy joining'],
      ['weights', 'a weight change that moves about a quarter of the partitions'],
    ] as const) {
      it(`${what} fails no request under load and moves at most ${MAX_MOVE_PERCENT}% of the partitions per table version`, async () => {
        const results = await run(name);
        expect(results[0].unsupported).toBe('');
        expect(byLb(results, failures)).toEqual(expectedByLb(none));
        expect(results[0].movedPartitions).toBeGreaterThan(MAX_MOVES);
        expect(results[0].maxMovesPerVersion).toBeLessThanOrEqual(MAX_MOVES);
        expect(byLb(results, (r) => ({ routed: r.routeToNewOwnerMs?.unrouted, alive: r.lbAlive }))).toEqual(
          expectedByLb({ routed: 0, alive: true }),
        );
        if (name === 'drain') {
          const drained = (await fleet.table()).assignments.filter((a) => a.owner === LOAD.victim);
          expect(drained).toEqual([]);
          const undrain = await fleet.prismctl(['proxies', 'undrain', String(LOAD.victim)]);
          expect(undrain.stderr).toBe('');
        }
      }, 60_000);
    }

    it('prismctl partitions rollback restores the owners from before the last change', async () => {
      await fleet.settled(500);
      const before = (await fleet.table()).assignments.map((a) => a.owner);
      const change = await api(fleet.admin.http, 'POST', '/v1/partition-table:apply', { weights: { p3: 2 } });
      expect(change.status).toBe(200);
      await fleet.settled(LOAD.quietMs);
      expect((await fleet.table()).assignments.map((a) => a.owner)).not.toEqual(before);
      const rollback = await fleet.prismctl(['partitions', 'rollback']);
      expect(rollback.stderr).toBe('');
      expect(rollback.code).toBe(0);
      await fleet.settled(LOAD.quietMs);
      expect((await fleet.table()).assignments.map((a) => a.owner)).toEqual(before);
    }, 60_000);

    it('prismctl partitions apply --plan of a plan made before the table changed is refused with PRISM-TABLE-006 and changes nothing', async () => {
      await fleet.settled(500);
      const file = join(fleet.dir, 'plan.json');
      const plan = await fleet.prismctl(['partitions', 'plan', '--out', file]);
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toBeTruthy();
      const change = await api(fleet.admin.http, 'POST', '/v1/partition-table:apply', { weights: { p4: 2 } });
      expect(change.status).toBe(200);
      const version = await fleet.settled(LOAD.quietMs);
      const stale = await fleet.prismctl(['partitions', 'apply', '--plan', file]);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toMatch(/PRISM-TABLE-006/);
      expect((await fleet.table()).version).toBe(version);
    }, 60_000);

    it.skipIf(!available.haproxy)(
      'HAProxy restarted under the watcher: the watcher re-syncs, and every namespace reaches its owner again within a second, also after the next change',
      async () => {
        const haproxy = lbs.find((l) => l.target === 'haproxy') as LbUnderWatch;
        const [restart] = await run('lb-restart', [haproxy]);
        expect(restart.exactAfterLbRestartMs).toBeGreaterThanOrEqual(0);
        // The next table change reaches the new HAProxy process through the watcher's runtime API.
        const change = await api(fleet.admin.http, 'POST', '/v1/partition-table:apply', { weights: { p4: 1 } });
        expect(change.status).toBe(200);
        await fleet.settled(LOAD.quietMs);
        expect(await haproxy.exactWithin(1_000)).toBeGreaterThanOrEqual(0);
        expect(haproxy.alive()).toBe(true);
      },
      60_000,
    );

    it.skipIf(!available.envoy)(
      'stopping the watcher with SIGTERM stops the Envoy it runs',
      async () => {
        const envoy = lbs.find((l) => l.target === 'envoy') as LbUnderWatch;
        expect(envoy.alive()).toBe(true);
        lbs.splice(lbs.indexOf(envoy), 1);
        expect(await envoy.stop()).toBe(0);
      },
      30_000,
    );
  },
);
