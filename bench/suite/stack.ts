import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { generate } from '../../generator/src/lb/generate.js';
import { buildModel } from '../../generator/src/lb/model.js';
import { frontendLine } from '../../generator/src/lb/targets/haproxy-fragment.js';
import { envoyProtos } from '../../generator/src/lb/xds/protos.js';
import { buildSnapshot } from '../../generator/src/lb/xds/resources.js';
import { adminFetch, settledTable } from '../../test-support/admin-harness.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ROOT } from '../../test-support/run.js';
import { spawnAdmin } from '../../test-support/spawn-admin.js';
import { type ProgramProcess, spawnProxy } from '../../test-support/spawn-program.js';
import { startServer } from '../shared/servers.js';
import { haproxyHopConfig, haproxyRandomConfig, nginxHopConfig, operatorHaproxyConfig } from './hops.js';
import { TLS_SCENARIO_NAMES, TRACED_SCENARIO } from './report.js';
import { startTlsStack } from './tls-stack.js';
import { startTracedOwner } from './traced.js';

export interface Scenario {
  name: string;
  port: number;
  namespaces: string[];
  /** Processes whose CPU time is the cost of this path (proxies and load balancers, not the backend). */
  pids: () => number[];
  /** Proxies whose metrics count forwarded requests. */
  proxyOps: string[];
  /** Load over h2c with prior knowledge (h2load) instead of HTTP/1.1 (wrk); with `tls`, h2 by ALPN. */
  h2c?: boolean;
  /** The client speaks TLS (https://) to `port` (tls-stack.ts). */
  tls?: boolean;
}

/** The scenarios in the order the report lists them (`npm run bench -- --only` takes these names). */
export const SCENARIO_NAMES = [
  'direct',
  'owner',
  'forward',
  'owner-h2c',
  'forward-h2c',
  'haproxy-hop',
  'nginx-hop',
  'node-hop',
  'haproxy-affinity',
  'haproxy-fragment-affinity',
  'random-lb',
  'nginx-affinity',
  'envoy-affinity',
  'envoy-xds-affinity',
  ...TLS_SCENARIO_NAMES,
  TRACED_SCENARIO,
] as const;

const NAMESPACES = Array.from({ length: 64 }, (_, i) => `bench-${i}`);

export function spawnBinary(cmd: string, args: string[], cwd?: string): ChildProcess {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', () => undefined);
  return child;
}

export async function until(what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`bench stack: ${what} not ready within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const answers = (port: number, ns = 'bench-0') =>
  fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-prism-namespace': ns } }).then(async (r) => {
    await r.arrayBuffer();
    return r.status === 200;
  });

/** Child pids of a process (NGINX workers), read from /proc. */
function withChildren(pid: number): number[] {
  try {
    const kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
    return [pid, ...kids];
  } catch {
    return [pid];
  }
}

/**
 * Brings up, on loopback: a backend, an admin, four proxies, the generated HAProxy/NGINX/Envoy
 * configs (affinity), plain HAProxy, NGINX and minimal-Node hops to the backend, and HAProxy round robin over the
 * proxies; then, for the TLS scenarios `want` names, their fleets (tls-stack.ts), and the traced
 * owner (traced.ts) when it is wanted. Every process is stopped by its PID in stop().
 */
export async function startBenchStack(
  log: (s: string) => void,
  { want = () => true }: { want?: (name: string) => boolean } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'prism-bench-'));
  const children: ChildProcess[] = [];
  const programs: ProgramProcess[] = [];
  /** In-process servers (the xDS server, the traced owner's sink) closed with the stack. */
  const servers: (() => unknown)[] = [];
  const stop = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)),
    );
    for (const p of programs) await p.stop();
    for (const close of servers) await close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const backend = await startServer('backend');
    children.push(backend.child);
    const backendPort = backend.port;
    // The leanest Node hop (node:http + undici dispatch, no Prism logic): the floor for any Node proxy.
    const nodeHop = await startServer('undici-core', backendPort);
    children.push(nodeHop.child);
    const nodeHopPort = nodeHop.port;
    const backendUrl = `http://127.0.0.1:${backendPort}`;

    // The plaintext deployment (--insecure): what the plaintext scenarios have always measured, and
    // the baseline the TLS scenarios (tls-stack.ts, fleets with certificates) are set against.
    log('starting admin and 4 proxies (plaintext, --insecure)');
    const admin = await spawnAdmin(join(dir, 'admin'), ['--insecure']);
    programs.push(admin as unknown as ProgramProcess);
    const proxies: { id: string; port: number; ops: string; pid: number }[] = [];
    for (let i = 1; i <= 4; i++) {
      const p = await spawnProxy(`p${i}`, admin.grpc, join(dir, `p${i}`), { insecure: true });
      programs.push(p);
      proxies.push({ id: `p${i}`, port: p.port, ops: p.ops, pid: p.pid });
    }
    for (const name of NAMESPACES) {
      const res = await adminFetch(admin.http, `/v1/namespaces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
        body: JSON.stringify({ name, backends: [backendUrl] }),
      });
      if (!res.ok) throw new Error(`bench stack: reserving ${name} answered ${res.status}: ${await res.text()}`);
    }
    // Every proxy in the table and the joins' move rounds done, so owners stay put while measured.
    await settledTable(admin.http, (t) => t.proxies?.length === 4);
    for (const p of proxies)
      await until(`proxy ${p.id}`, async () =>
        (await Promise.all(NAMESPACES.map((n) => answers(p.port, n)))).every(Boolean),
      );
    const table = parseTable(
      await (
        await adminFetch(admin.http, `/v1/partition-table`, { headers: { authorization: `Bearer ${admin.token}` } })
      ).json(),
    );
    const router = compileRouter(table);
    const ownerId = router.route('bench-0').owner;
    const owner = proxies.find((p) => p.id === ownerId) ?? proxies[0];
    const entry = proxies.find((p) => p.id !== ownerId) ?? proxies[1];

    log('generating and starting HAProxy, NGINX and Envoy');
    const model = {
      missingNamespace: 'reject' as const,
      hashBalanceFactor: 0,
      healthCheckIntervalMs: 2000,
      nginxNjs: true,
      namespaces: NAMESPACES,
    };
    const lbPorts = { haproxy: await freePort(), nginx: await freePort(), envoy: await freePort() };
    for (const target of ['haproxy', 'nginx', 'envoy'] as const) {
      await generate({ ...model, listen: `127.0.0.1:${lbPorts[target]}`, table, target, outDir: join(dir, target) });
    }
    const haproxy = spawnBinary('haproxy', ['-db', '-f', join(dir, 'haproxy', 'haproxy.cfg')]);
    const nginx = spawnBinary('nginx', [
      '-p',
      join(dir, 'nginx'),
      '-c',
      'nginx.conf',
      '-e',
      'stderr',
      '-g',
      'daemon off;',
    ]);
    const envoy = spawnBinary('envoy', [
      '-c',
      join(dir, 'envoy', 'envoy.yaml'),
      '--concurrency',
      '1',
      '--base-id',
      String(process.pid % 60_000),
      '--log-level',
      'error',
    ]);
    children.push(haproxy, nginx, envoy);

    // Prism fitted into what operators already run: the HAProxy fragment beside an operator's own
    // haproxy.cfg, and an Envoy from nothing but the bootstrap `lb xds --print-bootstrap` prints,
    // fed by the xDS server (in process: it only serves, the requests never pass through it).
    const fitPorts = { haproxyFragment: await freePort(), envoyXds: await freePort(), xds: await freePort() };
    const fragmentDir = join(dir, 'haproxy-fragment');
    await generate({
      ...model,
      listen: `127.0.0.1:${fitPorts.haproxyFragment}`,
      table,
      target: 'haproxy',
      outDir: fragmentDir,
      fragment: {},
    });
    const haproxyFragment = spawnBinary('haproxy', [
      '-db',
      '-f',
      operatorHaproxyConfig(dir, fitPorts.haproxyFragment, backendPort, frontendLine('prism')),
      '-f',
      join(fragmentDir, 'prism.cfg'),
    ]);
    children.push(haproxyFragment);
    const root = await envoyProtos();
    const { XdsServer } = await import('../../generator/src/lb/xds/server.js');
    const xds = new XdsServer({
      root,
      listen: `127.0.0.1:${fitPorts.xds}`,
      warmMs: Math.min(model.healthCheckIntervalMs, 1_000) + 250,
      lingerMs: 1_000,
      log: () => undefined,
    });
    servers.push(() => xds.close());
    await xds.listen();
    xds.publish(buildSnapshot(root, buildModel(table, { ...model, listen: `127.0.0.1:${fitPorts.envoyXds}` })));
    writeFileSync(
      join(dir, 'envoy-xds-bootstrap.yaml'),
      execFileSync(
        process.execPath,
        [join(ROOT, 'bin', 'prismctl.js'), 'lb', 'xds', '--print-bootstrap', '--listen', `127.0.0.1:${fitPorts.xds}`],
        { encoding: 'utf8' },
      ),
    );
    const envoyXds = spawnBinary('envoy', [
      '-c',
      join(dir, 'envoy-xds-bootstrap.yaml'),
      '--concurrency',
      '1',
      '--base-id',
      String(60_000 + (process.pid % 60_000)),
      '--log-level',
      'error',
    ]);
    children.push(envoyXds);

    const hopPorts = { haproxy: await freePort(), nginx: await freePort(), random: await freePort() };
    mkdirSync(join(dir, 'nginx-hop'), { recursive: true });
    nginxHopConfig(join(dir, 'nginx-hop'), hopPorts.nginx, backendPort);
    const haproxyHop = spawnBinary('haproxy', ['-db', '-f', haproxyHopConfig(dir, hopPorts.haproxy, backendPort)]);
    const nginxHop = spawnBinary('nginx', [
      '-p',
      join(dir, 'nginx-hop'),
      '-c',
      'nginx.conf',
      '-e',
      'stderr',
      '-g',
      'daemon off;',
    ]);
    const random = spawnBinary('haproxy', ['-db', '-f', haproxyRandomConfig(dir, hopPorts.random, proxies)]);
    children.push(haproxyHop, nginxHop, random);
    for (const [name, port] of [
      ...Object.entries(lbPorts),
      ['haproxy-fragment', fitPorts.haproxyFragment] as const,
      ['envoy-xds', fitPorts.envoyXds] as const,
      ...Object.entries(hopPorts),
      ['node-hop', nodeHopPort] as const,
    ]) {
      await until(`${name} on ${port}`, () => answers(port));
    }

    const allProxies = () => proxies.map((p) => p.pid);
    const ops = proxies.map((p) => p.ops);
    const scenarios: Scenario[] = [
      { name: 'direct', port: backendPort, namespaces: ['bench-0'], pids: () => [], proxyOps: [] },
      { name: 'owner', port: owner.port, namespaces: ['bench-0'], pids: () => [owner.pid], proxyOps: ops },
      { name: 'forward', port: entry.port, namespaces: ['bench-0'], pids: () => [entry.pid, owner.pid], proxyOps: ops },
      {
        name: 'owner-h2c',
        port: owner.port,
        namespaces: ['bench-0'],
        pids: () => [owner.pid],
        proxyOps: ops,
        h2c: true,
      },
      {
        name: 'forward-h2c',
        port: entry.port,
        namespaces: ['bench-0'],
        pids: () => [entry.pid, owner.pid],
        proxyOps: ops,
        h2c: true,
      },
      {
        name: 'haproxy-hop',
        port: hopPorts.haproxy,
        namespaces: ['bench-0'],
        pids: () => [haproxyHop.pid ?? 0],
        proxyOps: [],
      },
      {
        name: 'nginx-hop',
        port: hopPorts.nginx,
        namespaces: ['bench-0'],
        pids: () => withChildren(nginxHop.pid ?? 0),
        proxyOps: [],
      },
      {
        name: 'node-hop',
        port: nodeHopPort,
        namespaces: ['bench-0'],
        pids: () => [nodeHop.child.pid ?? 0],
        proxyOps: [],
      },
      {
        name: 'haproxy-affinity',
        port: lbPorts.haproxy,
        namespaces: NAMESPACES,
        pids: () => [haproxy.pid ?? 0, ...allProxies()],
        proxyOps: ops,
      },
      {
        name: 'haproxy-fragment-affinity',
        port: fitPorts.haproxyFragment,
        namespaces: NAMESPACES,
        pids: () => [haproxyFragment.pid ?? 0, ...allProxies()],
        proxyOps: ops,
      },
      {
        name: 'random-lb',
        port: hopPorts.random,
        namespaces: NAMESPACES,
        pids: () => [random.pid ?? 0, ...allProxies()],
        proxyOps: ops,
      },
      {
        name: 'nginx-affinity',
        port: lbPorts.nginx,
        namespaces: NAMESPACES,
        pids: () => [...withChildren(nginx.pid ?? 0), ...allProxies()],
        proxyOps: ops,
      },
      {
        name: 'envoy-affinity',
        port: lbPorts.envoy,
        namespaces: NAMESPACES,
        pids: () => [envoy.pid ?? 0, ...allProxies()],
        proxyOps: ops,
      },
      {
        name: 'envoy-xds-affinity',
        port: fitPorts.envoyXds,
        namespaces: NAMESPACES,
        pids: () => [envoyXds.pid ?? 0, ...allProxies()],
        proxyOps: ops,
      },
    ];
    if (scenarios.map((s) => s.name).join() !== SCENARIO_NAMES.slice(0, scenarios.length).join())
      throw new Error('bench stack: SCENARIO_NAMES is out of step with the scenarios started here');
    scenarios.push(
      ...(await startTlsStack({
        dir,
        log,
        backendUrl,
        backendPort,
        namespaces: NAMESPACES,
        plainLb: { ...model, table },
        plainPids: allProxies,
        plainOps: ops,
        want,
        children,
        programs,
      })),
    );
    let tracedSpans = () => 0;
    if (want(TRACED_SCENARIO)) {
      const traced = await startTracedOwner({ dir, log, backendUrl, namespace: 'bench-0', programs });
      servers.push(traced.stop);
      tracedSpans = traced.spans;
      scenarios.push(traced.scenario);
    }
    return { scenarios, stop, owner: owner.id, entry: entry.id, tracedSpans };
  } catch (err) {
    await stop();
    throw err;
  }
}
