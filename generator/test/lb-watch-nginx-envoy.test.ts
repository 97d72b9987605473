import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTable } from '../../core/src/assign/plan.js';
import { compileRouter } from '../../core/src/route.js';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { type EnvoyProcess, envoyAvailable, startEnvoy } from '../../test-support/envoy-process.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ask, startLbFleet } from '../../test-support/lb-fleet.js';
import { type NginxProcess, requireNginx, startNginx } from '../../test-support/nginx-process.js';
import { removeDir, until } from '../../test-support/proxy-harness.js';
import { generate } from '../src/lb/generate.js';
import { runWatch } from '../src/lb/watch.js';

const HAVE = requireNginx() && envoyAvailable();

/** Worker pids of an NGINX master (from /proc): a reload replaces them. */
function workersOf(master: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out.sort();
}

/**
 * NGINX driven by the watcher (tables made here), and a static Envoy from the same fleet, both with
 * health checks far slower than the test: what saves a request whose owner stopped is the retry.
 */
describe.skipIf(!HAVE)('NGINX and Envoy watch and fallback', () => {
  let fleet: Awaited<ReturnType<typeof startLbFleet>>;
  let out: string;
  let envoyOut: string;
  let port: number;
  let envoyPort: number;
  let nginx: NginxProcess | undefined;
  let envoy: EnvoyProcess | undefined;
  let current: PartitionTable;
  /** The table the static Envoy runs. */
  let v1: PartitionTable;
  const abort = new AbortController();
  let watching: Promise<void>;
  const lines: string[] = [];
  const model = (listen: string) => ({
    listen,
    missingNamespace: 'reject' as const,
    hashBalanceFactor: 0,
    healthCheckIntervalMs: 5_000,
    nginxNjs: true,
  });
  const applied = (version: number) =>
    until(() => lines.find((l) => l.startsWith(`applied table v${version} `)), 15_000, `table v${version} applied`);

  /** Namespaces the load balancer on `at` did not send to the owner `table` names. */
  async function misrouted(at: number, table: PartitionTable): Promise<string[]> {
    const router = compileRouter(table);
    const wrong: string[] = [];
    for (const ns of fleet.names) {
      const a = await ask(at, ns).catch(() => undefined);
      const picked = a?.forwardedBy ?? a?.servedBy;
      if (a?.status !== 200 || picked !== router.route(ns).owner) wrong.push(`${ns}: ${a?.status} ${picked}`);
    }
    return wrong;
  }

  beforeAll(async () => {
    fleet = await startLbFleet(['n1', 'n2', 'n3'], 60);
    const specs = (await fleet.table()).proxies.map((p) => ({
      id: p.id,
      address: p.address,
      dataPort: p.dataPort,
      opsPort: p.opsPort,
    }));
    current = { ...planTable({ proxies: specs }).table, version: 1 };
    v1 = current;
    out = mkdtempSync(join(tmpdir(), 'prism-watch-nginx-'));
    envoyOut = mkdtempSync(join(tmpdir(), 'prism-static-envoy-'));
    port = await freePort();
    envoyPort = await freePort();
    watching = runWatch({
      target: 'nginx',
      outDir: out,
      model: model(`127.0.0.1:${port}`),
      source: async () => ({ table: current, namespaces: fleet.names }),
      intervalMs: 50,
      log: (l) => lines.push(l),
      signal: abort.signal,
    });
    await applied(1);
    nginx = await startNginx(out, port);
    await generate({ ...model(`127.0.0.1:${envoyPort}`), table: current, target: 'envoy', outDir: envoyOut });
    envoy = await startEnvoy(join(envoyOut, 'envoy.yaml'), `http://127.0.0.1:${envoyPort}/`);
  }, 60_000);

  afterAll(async () => {
    abort.abort();
    await watching;
    await nginx?.stop();
    await envoy?.stop();
    await fleet?.stop();
    removeDir(out);
    removeDir(envoyOut);
  });

  it('NGINX is not reloaded for a table that routes as before, and is reloaded (checked) for one that does not', async () => {
    const master = nginx?.pid ?? 0;
    const workers = workersOf(master);
    expect(workers.length).toBeGreaterThan(0);
    current = { ...current, version: 2 };
    expect(await applied(2)).toBe('applied table v2 to nginx: nothing routes differently: no reload');
    expect(workersOf(master)).toEqual(workers);
    expect(readFileSync(join(out, 'nginx.conf'), 'utf8')).toContain('# prism-table-version 2');

    const specs = current.proxies.filter((p) => p.id !== 'n3');
    current = { ...planTable({ previous: current, proxies: specs }).table, version: 3 };
    expect(await applied(3)).toMatch(
      /^applied table v3 to nginx: reloaded \(.*partitions\.map.* changed; new worker \d+\)$/,
    );
    await until(() => !workersOf(master).some((w) => workers.includes(w)), 10_000, 'old workers gone');
    expect(await misrouted(port, current)).toEqual([]);
  });

  it('a request whose owner just stopped is answered by another proxy through NGINX and Envoy (200, not 502/503)', async () => {
    const gone = fleet.proxies.find((p) => p.id === 'n1');
    if (!gone) throw new Error('no n1');
    const ownedNginx = fleet.names.filter((ns) => compileRouter(current).route(ns).owner === 'n1');
    expect(ownedNginx.length).toBeGreaterThan(5);
    await gone.stop();
    removeDir(gone.stateDir);
    fleet.proxies.splice(fleet.proxies.indexOf(gone), 1);
    // Until the survivors drop n1 from their own table they would forward to it (the proxies' part, not the LB's).
    await until(
      () => fleet.proxies.every((p) => !p.proxy.state.table?.proxies.some((x) => x.id === 'n1')),
      10_000,
      'survivors without n1',
    ).catch(() => undefined);
    const viaNginx = await Promise.all(ownedNginx.map((ns) => ask(port, ns)));
    expect(viaNginx.map((a) => a.status)).toEqual(ownedNginx.map(() => 200));
    // Envoy still runs the v1 table, where n1 owns about a third of the namespaces.
    const ownedEnvoy = fleet.names.filter((ns) => compileRouter(v1).route(ns).owner === 'n1');
    const viaEnvoy = await Promise.all(ownedEnvoy.map((ns) => ask(envoyPort, ns)));
    expect(viaEnvoy.map((a) => a.status)).toEqual(ownedEnvoy.map(() => 200));
    expect([...viaNginx, ...viaEnvoy].every((a) => a.servedBy !== 'n1')).toBe(true);
  });
});
