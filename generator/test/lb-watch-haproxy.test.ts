import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTable } from '../../core/src/assign/plan.js';
import { compileRouter } from '../../core/src/route.js';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { type HaproxyProcess, startHaproxy } from '../../test-support/haproxy-process.js';
import { freePort, requireBinary } from '../../test-support/lb-binaries.js';
import { ask, startLbFleet, steadyLoad } from '../../test-support/lb-fleet.js';
import { removeDir, until } from '../../test-support/proxy-harness.js';
import { HaproxyRuntime } from '../src/lb/haproxy-runtime.js';
import { runWatch } from '../src/lb/watch.js';
import { buildWatchMetrics } from '../src/lb/watch-metrics.js';

const HAVE = requireBinary('haproxy', ['-v'], 'apt-get install haproxy');

/**
 * The watcher in front of a real HAProxy and four real proxies, fed tables made here (so proxies can
 * leave and come back without the admin's own membership rules deciding when). "Routes exact" means
 * HAProxy picked the owner the watched table names: the proxy that answered, or that forwarded.
 */
describe.skipIf(!HAVE)('prismctl lb watch --target haproxy never harms HAProxy', () => {
  let fleet: Awaited<ReturnType<typeof startLbFleet>>;
  let out: string;
  let v1Files: string;
  let port: number;
  let haproxy: HaproxyProcess | undefined;
  let current: PartitionTable;
  let api: HaproxyRuntime;
  const abort = new AbortController();
  const metrics = buildWatchMetrics('haproxy');
  let watching: Promise<void>;
  const lines: string[] = [];
  const specs: { id: string; address: string; dataPort: number; opsPort: number }[] = [];

  const table = (version: number, ids: string[], weights: Record<string, number> = {}): PartitionTable => ({
    ...planTable({
      previous: current,
      proxies: specs.filter((p) => ids.includes(p.id)).map((p) => ({ ...p, weight: weights[p.id] ?? 1 })),
    }).table,
    version,
  });

  /** Namespaces whose request HAProxy did not send to the watched table's owner. */
  async function misrouted(names = fleet.names): Promise<string[]> {
    const router = compileRouter(current);
    const wrong: string[] = [];
    for (const ns of names) {
      const a = await ask(port, ns).catch(() => undefined);
      const picked = a?.forwardedBy ?? a?.servedBy;
      if (a?.status !== 200 || picked !== router.route(ns).owner) wrong.push(`${ns}: ${a?.status} ${picked}`);
    }
    return wrong;
  }

  async function publish(next: PartitionTable) {
    current = next;
    await until(
      () => lines.some((l) => l.startsWith(`applied table v${next.version} `)),
      10_000,
      `table v${next.version} applied`,
    );
  }

  beforeAll(async () => {
    fleet = await startLbFleet(['h1', 'h2', 'h3', 'h4'], 120);
    for (const p of (await fleet.table()).proxies)
      specs.push({ id: p.id, address: p.address, dataPort: p.dataPort, opsPort: p.opsPort });
    current = { ...planTable({ proxies: specs }).table, version: 1 };
    out = mkdtempSync(join(tmpdir(), 'prism-watch-haproxy-'));
    v1Files = mkdtempSync(join(tmpdir(), 'prism-watch-haproxy-v1-'));
    port = await freePort();
    api = new HaproxyRuntime(join(out, 'haproxy.sock'));
    watching = runWatch({
      target: 'haproxy',
      outDir: out,
      model: {
        listen: `127.0.0.1:${port}`,
        missingNamespace: 'reject',
        hashBalanceFactor: 0,
        // Long on purpose: a stopped owner must be caught by the retry, not by the health checks.
        healthCheckIntervalMs: 5_000,
        nginxNjs: true,
      },
      source: async () => ({ table: current, namespaces: fleet.names }),
      intervalMs: 50,
      log: (l) => lines.push(l),
      signal: abort.signal,
      metrics,
    });
    await until(() => lines.includes(`wrote table v1 files to ${out}`), 10_000, 'v1 written');
    cpSync(out, v1Files, { recursive: true });
    haproxy = await startHaproxy(out, port);
    await until(() => lines.some((l) => l.startsWith('applied table v1 ')), 10_000, 'v1 applied');
  }, 60_000);

  afterAll(async () => {
    abort.abort();
    await watching;
    await haproxy?.stop();
    await fleet?.stop();
    removeDir(out);
    removeDir(v1Files);
  });

  it('keeps one server slot per proxy while proxies leave and come back under load: no del server, HAProxy alive, routes exact', async () => {
    expect(await misrouted()).toEqual([]);
    const pid = haproxy?.pid;
    const load = steadyLoad(port, fleet.names);
    await publish(table(2, ['h1', 'h2', 'h3']));
    expect(await misrouted()).toEqual([]);
    await publish(table(3, ['h1', 'h2', 'h3', 'h4']));
    expect(await misrouted()).toEqual([]);
    await publish(table(4, ['h1', 'h2', 'h4']));
    await publish(table(5, ['h1', 'h2', 'h3', 'h4']));
    await publish(table(6, ['h1', 'h3', 'h4']));
    await publish(table(7, ['h1', 'h2', 'h3', 'h4']));
    await load.stop();
    expect(await misrouted()).toEqual([]);
    expect(load.failures).toEqual([]);
    console.log(
      `HAProxy watch, 6 table changes with proxies leaving and coming back: ${load.sent()} requests, 0 failed`,
    );

    expect(haproxy?.child.exitCode).toBeNull();
    expect(haproxy?.pid).toBe(pid);
    expect((await api.identity()).pid).toBe(pid);
    const slots = await api.servers();
    expect([...slots.keys()].sort()).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect([...slots.values()].map((s) => s.adminState)).toEqual([0, 0, 0, 0]);
    const applied = lines.filter((l) => l.startsWith('applied table'));
    expect(applied.find((l) => l.startsWith('applied table v2 '))).toContain('h4 maint');
    expect(applied.find((l) => l.startsWith('applied table v3 '))).toContain('h4 ready');
    expect(lines.join('\n')).not.toMatch(/del server|added/);
    expect(await metrics.registry.getSingleMetricAsString('prism_lb_watch_applied_table_version')).toMatch(/ 7$/m);
  });

  it('re-syncs an HAProxy restarted from older files within about a second', async () => {
    await publish(table(8, ['h1', 'h2', 'h3', 'h4'], { h1: 3 }));
    expect(await misrouted()).toEqual([]);
    await haproxy?.stop();
    const mark = lines.length;
    haproxy = await startHaproxy(v1Files, port);
    const restartedAt = Date.now();
    // Restarted, or gone for a heartbeat and back: either way a new process, re-synced from what it holds.
    const resync = new RegExp(
      `^HAProxy (restarted|is reachable again) \\(pid ${haproxy.pid}\\); re-synced to table v8: .*partitions\\.map swapped`,
    );
    const resyncedAt = await until(
      () => (lines.slice(mark).some((l) => resync.test(l)) ? Date.now() : false),
      10_000,
      're-synced',
    );
    console.log(
      `HAProxy restarted from table v1 files: re-synced to table v8 ${resyncedAt - restartedAt} ms after it listened`,
    );
    expect(resyncedAt - restartedAt).toBeLessThan(1_500);
    expect(await misrouted()).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString('prism_lb_watch_lb_restarts_total')).toMatch(/ [1-9]\d*$/m);
  });

  it('reports a gone runtime socket with a code and recovers when HAProxy is back', async () => {
    const mark = lines.length;
    await haproxy?.stop();
    await until(() => lines.slice(mark).some((l) => l.includes('PRISM-LB-004')), 10_000, 'PRISM-LB-004 reported');
    current = table(9, ['h1', 'h2', 'h3', 'h4']);
    await until(
      () => lines.slice(mark).some((l) => l.startsWith('not applied table v9 (PRISM-LB-004')),
      10_000,
      'table v9 not applied while HAProxy is gone',
    );
    expect(await metrics.registry.getSingleMetricAsString('prism_lb_watch_in_sync')).toMatch(/ 0$/m);
    haproxy = await startHaproxy(v1Files, port);
    await until(
      () => lines.slice(mark).some((l) => l.startsWith('applied table v9 ')),
      10_000,
      'table v9 applied once HAProxy is back',
    );
    expect(await misrouted()).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString('prism_lb_watch_apply_failures_total')).toMatch(
      /reason="PRISM-LB-004"/,
    );
  });

  it('a request whose owner just stopped is answered by another proxy (200, not 503)', async () => {
    const router = compileRouter(current);
    const gone = fleet.proxies.find((p) => p.id === 'h4');
    const owned = fleet.names.filter((ns) => router.route(ns).owner === 'h4');
    expect(owned.length).toBeGreaterThan(5);
    if (!gone) throw new Error('no h4');
    await gone.stop();
    removeDir(gone.stateDir);
    fleet.proxies.splice(fleet.proxies.indexOf(gone), 1);
    // Until the survivors drop h4 from their own table, they would forward to it (the proxies' part, not HAProxy's).
    await until(
      () => fleet.proxies.every((p) => !p.proxy.state.table?.proxies.some((x) => x.id === 'h4')),
      10_000,
      'survivors without h4',
    ).catch(() => undefined);
    const answers = await Promise.all(owned.map((ns) => ask(port, ns)));
    expect(answers.map((a) => a.status)).toEqual(owned.map(() => 200));
    expect(answers.every((a) => a.servedBy !== 'h4')).toBe(true);
    // HAProxy still believes h4 is up (5 s checks): the retry, not the health check, saved these.
    const slot = (await api.servers()).get('h4');
    expect(slot?.adminState).toBe(0);
    expect((await api.servers()).size).toBe(4);
  });
});
