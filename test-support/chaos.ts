import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { adminConfigSchema } from '../core/src/config/admin-schema.js';
import { proxyConfigSchema } from '../core/src/config/proxy-schema.js';
import { compileRouter, type Router } from '../core/src/route.js';
import { parseTable } from '../core/src/table.js';
import type { PartitionTable } from '../proto/gen/prism/admin/v1/partition.js';
import { api } from './admin-harness.js';
import { now } from './chaos-load.js';
import { type HaproxyProcess, startHaproxy } from './haproxy-process.js';
import { freePort } from './lb-binaries.js';
import { type NginxProcess, startNginx } from './nginx-process.js';
import { fleetPki } from './pki.js';
import { ROOT, type RunResult, runBin } from './run.js';
import { type AdminProcess, spawnAdmin } from './spawn-admin.js';
import { fleetConfigFile, type ProxyProcess, spawnProxy } from './spawn-program.js';

/**
 * The chaos harness (issue #12): a real admin and proxies as processes with mTLS, in-process
 * backends, reserved namespaces, `prismctl lb watch` as a real process in front of HAProxy, NGINX or
 * Envoy, and the fleet operations of a rolling restart, a crash, a drain, a join and a weight change.
 * `npm run bench:chaos` (bench/chaos/) and bench/test/fleet-changes.test.ts both drive it. Every
 * process it starts is stopped by its PID in stop().
 */

type Json = Record<string, unknown>;
type Schema = { properties?: Record<string, Schema> };

/**
 * Drops the values a program's schema does not know (yet), so that the harness starts today's and
 * tomorrow's programs alike; returns the dotted names it dropped, for the report.
 */
export function knownValues(schema: Schema, values: Json, prefix = ''): { values: Json; dropped: string[] } {
  const out: Json = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const inner = schema.properties?.[key];
    if (!inner) dropped.push(`${prefix}${key}`);
    else if (value && typeof value === 'object' && !Array.isArray(value) && inner.properties) {
      const sub = knownValues(inner, value as Json, `${prefix}${key}.`);
      if (Object.keys(sub.values).length) out[key] = sub.values;
      dropped.push(...sub.dropped);
    } else out[key] = value;
  }
  return { values: out, dropped };
}

/**
 * Admin options the cases need in every run, so that one change after another moves at once: no
 * cooldown between automatic rebalances and no approval for the moves of a join (#12's admin; the
 * names are this harness's guess of that work, dropped where the schema lacks them).
 */
export const CHAOS_ADMIN: Json = { rebalance: { cooldownSeconds: 0, approvalThreshold: 100 } };

/** The proxies' drain period: the one the case gives, else the program's default (5 s). */
const drainPeriodMs = (values: Json) =>
  ((values as { drain?: { periodMs?: number } }).drain?.periodMs as number | undefined) ?? 5_000;

/** The backend: its own process, so that it does not share an event loop with the load it answers. */
const BACKEND = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': process.argv[1] });
    res.end('ok\\n');
  });
});
server.keepAliveTimeout = 10000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/** A backend that answers 200 with a few bytes; keeps connections longer than the proxies' pools do. */
async function startChaosBackend(name: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', BACKEND, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line')) as [string];
  return { url: `http://127.0.0.1:${Number(line)}`, child };
}

export interface ChaosFleetOptions {
  ids: string[];
  /** Namespaces reserved, chaos-0 … chaos-(n-1), spread over two backends. */
  namespaces: number;
  /** Extra admin configuration; values its schema does not know are dropped and listed in `dropped`. */
  admin?: Json;
  /** Extra proxy configuration, the same way. */
  proxy?: Json;
}

interface FleetProxy {
  id: string;
  stateDir: string;
  config: string;
  /** Ports of the first start, kept for restarts. */
  listen: string;
  opsListen: string;
  process?: ProxyProcess;
}

/** A table version as the recorder saw it: when, and the owner of each partition and namespace. */
export interface SeenTable {
  at: number;
  version: number;
  partitionOwners: string[];
  owners: Record<string, string>;
}

export async function startChaosFleet(options: ChaosFleetOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'prism-chaos-'));
  // The recorder, settled() and every watcher poll the admin with the one bootstrap token.
  const limits = { operatorRequestsPerSecond: 100_000, operatorBurst: 100_000, expensivePerMinute: 10_000 };
  const adminValues = knownValues(adminConfigSchema as unknown as Schema, {
    ...options.admin,
    limits: { ...limits, ...(options.admin?.limits as Json | undefined) },
  });
  const proxyValues = knownValues(proxyConfigSchema as unknown as Schema, options.proxy ?? {});
  const dropped = [...adminValues.dropped.map((d) => `admin ${d}`), ...proxyValues.dropped.map((d) => `proxy ${d}`)];
  const backends: Awaited<ReturnType<typeof startChaosBackend>>[] = [];
  const proxies = new Map<string, FleetProxy>();
  const names = Array.from({ length: options.namespaces }, (_, i) => `chaos-${i}`);
  let admin: AdminProcess | undefined;

  const stopAll = async () => {
    for (const p of proxies.values()) await p.process?.stop(true).catch(() => undefined);
    await admin?.stop().catch(() => undefined);
    for (const { child } of backends) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      process.kill(child.pid ?? 0, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const readyz = async (p: FleetProxy) => {
    const res = await fetch(`http://${p.opsListen}/readyz`).catch(() => undefined);
    await res?.arrayBuffer();
    return res?.status === 200;
  };
  const waitReady = async (p: FleetProxy, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!(await readyz(p))) {
      if (Date.now() > deadline) throw new Error(`proxy ${p.id}: /readyz not 200 within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const launch = async (p: FleetProxy) => {
    p.process = await spawnProxy(p.id, admin?.grpc ?? '', p.stateDir, {
      config: p.config,
      // spawnProxy passes a short --drain-period-ms for ordinary tests; here the drain is what is measured.
      drainPeriodMs: drainPeriodMs(proxyValues.values),
      listen: p.listen,
      opsListen: p.opsListen,
    });
    p.listen = String(p.process.ready.data);
    p.opsListen = String(p.process.ready.ops);
  };

  const addProxy = async (id: string) => {
    const stateDir = join(dir, id);
    const p: FleetProxy = {
      id,
      stateDir,
      config: await fleetConfigFile(id, stateDir, proxyValues.values),
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
    };
    proxies.set(id, p);
    await launch(p);
    await waitReady(p);
    return p;
  };

  try {
    backends.push(await startChaosBackend('b1'), await startChaosBackend('b2'));
    const pki = await fleetPki();
    mkdirSync(join(dir, 'admin'), { recursive: true });
    const adminConfig = join(dir, 'admin', 'chaos.json');
    writeFileSync(adminConfig, JSON.stringify({ ...pki.admin(), ...adminValues.values }));
    admin = await spawnAdmin(join(dir, 'admin'), ['--config', adminConfig], { caFile: pki.caFile });
    for (const id of options.ids) await addProxy(id);
    for (const [i, name] of names.entries()) {
      const res = await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backends[i % 2].url] });
      if (res.status !== 200 && res.status !== 201) throw new Error(`reserving ${name}: ${res.status} ${res.text}`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const theAdmin = admin as AdminProcess;

  const table = async (): Promise<PartitionTable> => {
    const res = await api(theAdmin.http, 'GET', '/v1/partition-table');
    if (res.status !== 200) throw new Error(`GET /v1/partition-table answered ${res.status}: ${res.text}`);
    return parseTable(res.json);
  };
  const seen = (t: PartitionTable): SeenTable => {
    const router = compileRouter(t);
    return {
      at: now(),
      version: t.version,
      partitionOwners: t.assignments.map((a) => a.owner),
      owners: Object.fromEntries(names.map((n) => [n, router.route(n).owner])),
    };
  };

  const fleet = {
    dir,
    admin: theAdmin,
    names,
    /** Configuration values the programs of this checkout do not know yet (dropped). */
    dropped,
    ids: () => [...proxies.keys()],
    running: () =>
      [...proxies.values()]
        .filter((p) => p.process && p.process.child.exitCode === null && p.process.child.signalCode === null)
        .map((p) => p.id),
    pid: (id: string) => proxies.get(id)?.process?.pid ?? 0,
    table,
    router: async (): Promise<Router> => compileRouter(await table()),
    seen: async () => seen(await table()),
    /** prismctl as a user runs it, against this admin (token file, fleet CA). */
    prismctl: (args: string[]): Promise<RunResult> =>
      runBin('prismctl', [
        ...args,
        '--admin',
        theAdmin.http,
        '--token-file',
        theAdmin.tokenFile,
        '--ca',
        theAdmin.caFile,
      ]),
    /** Stops a proxy (SIGTERM: its own drain; SIGKILL: a crash) and waits for its exit. */
    async stopProxy(id: string, signal: 'SIGTERM' | 'SIGKILL', ms = 30_000) {
      const p = proxies.get(id)?.process;
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
      const exited = once(p.child, 'exit');
      process.kill(p.pid, signal);
      const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(timer);
    },
    /** Starts a stopped proxy again with its id, ports and state directory, and waits for /readyz 200. */
    async startProxy(id: string) {
      const p = proxies.get(id);
      if (!p) throw new Error(`no proxy ${id}`);
      await launch(p);
      await waitReady(p);
    },
    /** A new proxy joins the fleet. */
    join: (id: string) => addProxy(id),
    /** Polls the admin's table every `everyMs` and keeps each new version, until the returned stop(). */
    recordTables(everyMs = 50) {
      const tables: SeenTable[] = [];
      let running = true;
      const loop = (async () => {
        for (let i = 0; running && i < 100_000; i++) {
          const t = await table().catch(() => undefined);
          if (t && tables.at(-1)?.version !== t.version) tables.push(seen(t));
          await new Promise((r) => setTimeout(r, everyMs));
        }
      })();
      return {
        tables,
        async stop() {
          running = false;
          await loop;
          return tables;
        },
      };
    },
    /**
     * Waits until the table stopped changing for `quietMs` and the admin reports no rollout in
     * progress (where it has GET /v1/partition-table/rollout); bounded by `ms`.
     */
    async settled(quietMs = 1_000, ms = 30_000) {
      const deadline = Date.now() + ms;
      let version = -1;
      let since = Date.now();
      for (;;) {
        const v = (await table()).version;
        if (v !== version) {
          version = v;
          since = Date.now();
        }
        if (Date.now() - since >= quietMs) {
          const rollout = await api(theAdmin.http, 'GET', '/v1/partition-table/rollout');
          if (rollout.status !== 200 || !rollout.json?.inProgress) return version;
        }
        if (Date.now() > deadline) throw new Error(`table still changing after ${ms} ms (at v${version})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: stopAll,
  };
  return fleet;
}

export type ChaosFleet = Awaited<ReturnType<typeof startChaosFleet>>;

export type LbTarget = 'haproxy' | 'nginx' | 'envoy';

/** Whether `prismctl lb watch` of this checkout takes a flag (options the watcher gains in #12). */
let watchHelp: string | undefined;
async function watchTakes(flag: string): Promise<boolean> {
  watchHelp ??= (await runBin('prismctl', ['lb', 'watch', '--help'])).stdout;
  return watchHelp.includes(flag);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** An Envoy the watcher started and did not stop: its PID, when /proc says it is still an envoy. */
const envoyStillRunning = (pid: number) => {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('envoy');
  } catch {
    return false;
  }
};

export interface LbOptions {
  /** The load balancer's health checks against /readyz, when the watcher takes --health-check-interval-ms. */
  healthCheckIntervalMs?: number;
  /** How often the watcher polls the admin (--interval-ms). */
  intervalMs?: number;
}

/**
 * `prismctl lb watch --target T` as a real process against the fleet's admin, and the load balancer
 * in front: HAProxy and NGINX started from the watcher's folder once it wrote the first version (as an
 * operator does), Envoy started by the watcher itself. Resolves once every namespace answers 200
 * through it.
 */
export async function startLbUnderWatch(fleet: ChaosFleet, target: LbTarget, options: LbOptions = {}) {
  const port = await freePort();
  const out = join(fleet.dir, `lb-${target}`);
  const args = [
    join(ROOT, 'bin', 'prismctl.js'),
    'lb',
    'watch',
    '--target',
    target,
    '--out',
    out,
    '--listen',
    `127.0.0.1:${port}`,
    '--interval-ms',
    String(options.intervalMs ?? 200),
    '--admin',
    fleet.admin.http,
    '--token-file',
    fleet.admin.tokenFile,
    '--ca',
    fleet.admin.caFile,
  ];
  const notes: string[] = [];
  if (options.healthCheckIntervalMs !== undefined) {
    if (await watchTakes('--health-check-interval-ms'))
      args.push('--health-check-interval-ms', String(options.healthCheckIntervalMs));
    else notes.push('watcher has no --health-check-interval-ms (default interval)');
  }
  const lines: { at: number; line: string }[] = [];
  const envoyPids = new Set<number>();
  let watcher: ChildProcess | undefined;
  let lbProcess: HaproxyProcess | NginxProcess | undefined;

  const startWatcher = () => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (line: string) => {
      lines.push({ at: now(), line });
      if (lines.length > 2_000) lines.splice(0, 1_000);
      const pid = /envoy pid (\d+)/.exec(line)?.[1];
      if (pid) envoyPids.add(Number(pid));
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', keep);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', keep);
    watcher = child;
    return child;
  };

  const stopWatcher = async () => {
    const child = watcher;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(child.pid ?? 0, 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const startLb = async () => {
    if (target === 'haproxy') lbProcess = await startHaproxy(out, port);
    else if (target === 'nginx') lbProcess = await startNginx(out, port);
  };

  /** Envoys the watcher left behind (it should stop its own): killed by PID, and counted. */
  const reapEnvoys = () => {
    let orphans = 0;
    for (const pid of envoyPids) {
      if (envoyStillRunning(pid)) {
        orphans++;
        process.kill(pid, 'SIGKILL');
      }
    }
    return orphans;
  };

  const answers = async (namespace: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-prism-namespace': namespace } });
    await res.arrayBuffer();
    return {
      status: res.status,
      servedBy: res.headers.get('x-prism-served-by') ?? '',
      forwardedBy: res.headers.get('x-prism-forwarded-by') ?? '',
      fallback: res.headers.get('x-prism-fallback') ?? '',
    };
  };

  const lb = {
    target,
    port,
    out,
    notes,
    lines,
    /** The watcher's output lines that say a version was applied. */
    applied: () => lines.filter((l) => l.line.startsWith('applied table')),
    /** Waits until the watcher applied `version` or a newer one; false after `ms`. */
    async appliedAtLeast(version: number, ms: number) {
      const deadline = Date.now() + ms;
      const newest = () =>
        Math.max(0, ...lb.applied().map((l) => Number(/^applied table v(\d+)/.exec(l.line)?.[1] ?? 0)));
      while (newest() < version) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 25));
      }
      return true;
    },
    /** Lines that say a version's files were written (the load balancer can start from them). */
    written: () => lines.filter((l) => l.line.startsWith('wrote table') || l.line.startsWith('applied table')),
    /** Whether the load balancer process (for Envoy: one the watcher started) is running. */
    alive: () =>
      target === 'envoy'
        ? [...envoyPids].some(envoyStillRunning)
        : lbProcess !== undefined && lbProcess.child.exitCode === null && lbProcess.child.signalCode === null,
    watcherAlive: () => watcher !== undefined && watcher.exitCode === null && watcher.signalCode === null,
    /**
     * Every namespace once through the load balancer: how many reached the table's owner directly
     * (no forward, no fallback).
     */
    async sweep(router: Router) {
      let direct = 0;
      const misses: string[] = [];
      for (const name of fleet.names) {
        const a = await answers(name).catch((e: Error) => ({
          status: 0,
          servedBy: e.message,
          forwardedBy: '',
          fallback: '',
        }));
        const owner = router.route(name).owner;
        if (a.status === 200 && a.servedBy === owner && !a.forwardedBy && !a.fallback) direct++;
        else
          misses.push(
            `${name}: ${a.status} ${a.servedBy || '-'}${a.forwardedBy ? ` via ${a.forwardedBy}` : ''} (owner ${owner})`,
          );
      }
      return { direct, misses };
    },
    /** Polls sweep() until every namespace reaches its owner directly; the time it took, or -1 after `ms`. */
    async exactWithin(ms: number) {
      const t0 = now();
      const router = await fleet.router();
      for (;;) {
        const s = await lb.sweep(router);
        if (s.direct === fleet.names.length) return now() - t0;
        if (now() - t0 > ms) return -1;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Restarts the load balancer itself (HAProxy or NGINX from the watcher's folder) while the watcher runs. */
    async restart() {
      if (target === 'envoy') throw new Error('Envoy runs under the watcher: restart the watcher instead');
      await lbProcess?.stop();
      await startLb();
    },
    /** Starts the load balancer again when it died (a case must not leave the next one without it). */
    async revive() {
      if (target === 'envoy' || lb.alive()) return false;
      await startLb();
      return true;
    },
    /** Stops the watcher (SIGTERM), then the load balancer; returns how many Envoys it left running. */
    async stop() {
      await stopWatcher();
      await lbProcess?.stop();
      return reapEnvoys();
    },
  };

  try {
    startWatcher();
    const deadline = Date.now() + 20_000;
    // HAProxy and NGINX start from the files the watcher wrote; the watcher starts Envoy itself.
    while (!(target === 'envoy' ? lb.applied() : lb.written()).length) {
      if (!lb.watcherAlive()) throw new Error(`prismctl lb watch exited: ${lines.map((l) => l.line).join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`prismctl lb watch wrote nothing: ${lines.map((l) => l.line).join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    await startLb();
    const ready = Date.now() + 30_000;
    for (const name of fleet.names) {
      while ((await answers(name).catch(() => ({ status: 0 }))).status !== 200) {
        if (Date.now() > ready)
          throw new Error(`${target} does not serve ${name}: ${lines.map((l) => l.line).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await lb.stop();
    throw err;
  }
  return lb;
}

export type LbUnderWatch = Awaited<ReturnType<typeof startLbUnderWatch>>;
