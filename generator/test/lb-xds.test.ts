import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import type { Enum, Message, Root, Type } from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planTable } from '../../core/src/assign/plan.js';
import { compileRouter, type Router } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { settledTable } from '../../test-support/admin-harness.js';
import { type EnvoyProcess, envoyAvailable, startEnvoy } from '../../test-support/envoy-process.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ask, startLbFleet, steadyLoad } from '../../test-support/lb-fleet.js';
import { fleetPki, makeTestPki } from '../../test-support/pki.js';
import { removeDir, startProxy, until } from '../../test-support/proxy-harness.js';
import { ROOT } from '../../test-support/run.js';

import { buildModel } from '../src/lb/model.js';
import { renderTarget } from '../src/lb/render.js';
import { envoyTarget } from '../src/lb/targets/envoy.js';
import { buildXdsMetrics } from '../src/lb/xds/metrics.js';
import { CLUSTER_TYPE, envoyProtos, LISTENER_TYPE } from '../src/lb/xds/protos.js';
import { buildSnapshot, luaSource } from '../src/lb/xds/resources.js';
import { XdsServer } from '../src/lb/xds/server.js';

const PRISMCTL = join(ROOT, 'bin', 'prismctl.js');

type Json = Record<string, unknown>;

/** A google.protobuf.Duration as envoy.yaml writes it ("2s", "0.5s"). */
const durationText = (d: { seconds?: unknown; nanos?: number } | undefined) =>
  d === undefined
    ? undefined
    : `${String(d.seconds ?? 0)}${d.nanos ? `.${String(d.nanos).padStart(9, '0').replace(/0+$/, '')}` : ''}s`;

/**
 * Where a served (decoded) message differs from the envoy.yaml object it should be: every field of
 * the file served with its value (proto3 JSON as the file writes it: "2s" durations, bare wrapper
 * values, "@type" in Any, enum names), and nothing served that the file does not have.
 */
function differences(type: Type, file: Json, served: Message, path: string): string[] {
  const out: string[] = [];
  const got = served as unknown as Json;
  for (const [key, want] of Object.entries(file)) {
    if (key === '@type') continue;
    const field = type.fields[key];
    if (!field) {
      out.push(`${path}.${key}: ${type.name} has no such field`);
      continue;
    }
    if (!field.repeated) {
      out.push(...sameValue(field.resolve().resolvedType, want, got[key], `${path}.${key}`));
      continue;
    }
    const list = (got[key] ?? []) as unknown[];
    const wants = want as unknown[];
    if (list.length !== wants.length) out.push(`${path}.${key}: ${list.length} served, ${wants.length} in the file`);
    else
      for (const [i, w] of wants.entries())
        out.push(...sameValue(field.resolve().resolvedType, w, list[i], `${path}.${key}[${i}]`));
  }
  // protobufjs gives every repeated and map field an empty value.
  for (const [key, value] of Object.entries(got))
    if (
      !(key in file) &&
      !(Array.isArray(value) ? value.length === 0 : type.fields[key]?.map && !Object.keys(value as Json).length)
    )
      out.push(`${path}.${key}: served, not in the file`);
  return out;
}

/** One field: a scalar or enum, or a message compared field by field. */
function sameValue(t: Type | Enum | null, want: unknown, got: unknown, path: string): string[] {
  // 64-bit integers decode as Long objects.
  const plain = (v: unknown) => (v !== null && typeof v === 'object' && 'low' in v ? Number(String(v)) : v);
  const differ = (served: unknown) =>
    plain(served) === want ? [] : [`${path}: served ${JSON.stringify(served)}, the file has ${JSON.stringify(want)}`];
  if (!t) return differ(got);
  if (!('fields' in t)) return differ(t.valuesById[Number(got ?? 0)]);
  if (got === undefined || got === null) return [`${path}: not served (the file has ${JSON.stringify(want)})`];
  const name = t.fullName;
  if (name === '.google.protobuf.Duration') return differ(durationText(got as { seconds?: unknown; nanos?: number }));
  if (/^\.google\.protobuf\.\w+Value$/.test(name)) return differ((got as Json).value);
  if (name === '.google.protobuf.Any') {
    const { type_url, value } = got as { type_url: string; value: Uint8Array };
    const { '@type': url } = want as Json;
    if (type_url !== url) return [`${path}: served an Any of ${type_url}, the file has ${String(url)}`];
    const inner = (t.root as Root).lookupType(type_url.slice(type_url.lastIndexOf('/') + 1));
    return differences(inner, want as Json, inner.decode(value), path);
  }
  return differences(t, want as Json, got as Message, path);
}

/**
 * `prismctl lb xds` as an operator runs it: its own process, following the admin over TLS with the
 * operator token, and Envoys started from nothing but the bootstrap it prints.
 */
describe.skipIf(!envoyAvailable())('prismctl lb xds: Envoy over xDS', () => {
  let fleet: Awaited<ReturnType<typeof startLbFleet>>;
  let dir: string;
  let xdsPort: number;
  let port: number;
  let server: ChildProcess;
  let envoy: EnvoyProcess | undefined;
  let second: EnvoyProcess | undefined;
  const lines: string[] = [];

  const bootstrap = (nodeId: string) => {
    const file = join(dir, `${nodeId}.yaml`);
    const text = execFileSync(
      process.execPath,
      [PRISMCTL, 'lb', 'xds', '--print-bootstrap', '--listen', `127.0.0.1:${xdsPort}`, '--node-id', nodeId],
      { encoding: 'utf8' },
    );
    writeFileSync(file, text);
    return file;
  };

  /** Namespaces Envoy does not send straight to their owner under `router` (status, owner, forwarder). */
  const misrouted = async (router: Router, lbPort = port) => {
    const wrong: string[] = [];
    for (const ns of fleet.names) {
      const a = await ask(lbPort, ns);
      const owner = router.route(ns).owner;
      if (a.status !== 200 || a.servedBy !== owner || a.forwardedBy)
        wrong.push(`${ns}: ${a.status} ${a.servedBy}${a.forwardedBy ? ` via ${a.forwardedBy}` : ''} (owner ${owner})`);
    }
    return wrong;
  };

  const metric = async (url: string, name: string) => {
    const text = await (await fetch(url)).text();
    return text.split('\n').filter((l) => l.startsWith(name));
  };

  beforeAll(async () => {
    fleet = await startLbFleet(['x1', 'x2'], 24);
    dir = mkdtempSync(join(tmpdir(), 'prism-lb-xds-'));
    xdsPort = await freePort();
    port = await freePort();
    server = spawn(
      process.execPath,
      [
        PRISMCTL,
        'lb',
        'xds',
        '--listen',
        `127.0.0.1:${xdsPort}`,
        '--lb-listen',
        `127.0.0.1:${port}`,
        '--admin',
        fleet.admin.http,
        '--ca',
        fleet.admin.caFile,
        '--token-file',
        fleet.admin.tokenFile,
        '--health-check-interval-ms',
        '500',
        '--wait-ms',
        '10000',
        '--metrics-listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    createInterface({ input: server.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
    server.stderr?.on('data', (d) => lines.push(`stderr: ${d}`));
    await until(() => lines.some((l) => l.startsWith('serving table v')), 20_000, `xds serving: ${lines.join('\n')}`);
    envoy = await startEnvoy(bootstrap('edge-a'), `http://127.0.0.1:${port}/`);
  }, 60_000);

  afterAll(async () => {
    await envoy?.stop();
    await second?.stop();
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
    await fleet?.stop();
    if (dir) removeDir(dir);
  });

  it('an Envoy started from the printed bootstrap alone sends every namespace to its owner', async () => {
    expect(await misrouted(await fleet.router())).toEqual([]);
    const noNamespace = await fetch(`http://127.0.0.1:${port}/x`);
    expect(noNamespace.status).toBe(400);
    expect(await noNamespace.text()).toContain('PRISM-NS-002');
  });

  it('follows a proxy joining and leaving under load: same Envoy process, no failed request', async () => {
    const pid = envoy?.pid;
    const routesBy = async (version: number, router: Router) =>
      until(
        async () => (await misrouted(router)).length === 0,
        15_000,
        `Envoy routes by table v${version}: ${lines.slice(-10).join('\n')}`,
      );

    const joining = steadyLoad(port, fleet.names);
    const before = (await fleet.table()).version;
    // Drained before it leaves (as SIGTERM does): /readyz fails, Envoy's checks (500 ms) take it out.
    const joined = await startProxy('x3', [fleet.admin.grpc], { drain: { periodMs: 1_500, timeoutMs: 1_000 } });
    fleet.proxies.push(joined);
    const withX3 = parseTable(
      await settledTable(fleet.admin.http, (t) => (t.proxies ?? []).some((p) => p.id === 'x3'), 30_000),
    );
    expect(withX3.version).toBeGreaterThan(before);
    const router = compileRouter(withX3);
    const moved = fleet.names.filter((ns) => router.route(ns).owner === 'x3');
    expect(moved.length).toBeGreaterThan(3);
    await until(() => joined.proxy.state.advertisements.size === fleet.names.length, 10_000, 'x3 has every namespace');
    await routesBy(withX3.version, router);
    await joining.stop();
    expect(joining.failures).toEqual([]);
    expect(joining.sent()).toBeGreaterThan(20);
    expect(lines.some((l) => l.startsWith(`envoy edge-a runs table v${withX3.version}`))).toBe(true);

    const leaving = steadyLoad(port, fleet.names);
    await joined.proxy.drain();
    await joined.stop();
    fleet.proxies.splice(fleet.proxies.indexOf(joined), 1);
    removeDir(joined.stateDir);
    const withoutX3 = parseTable(
      await settledTable(fleet.admin.http, (t) => !(t.proxies ?? []).some((p) => p.id === 'x3'), 30_000),
    );
    await routesBy(withoutX3.version, compileRouter(withoutX3));
    await leaving.stop();
    expect(leaving.failures).toEqual([]);
    expect(envoy?.pid).toBe(pid);
    expect(envoy?.output()).not.toMatch(/hot restart/i);
  }, 90_000);

  it('a second Envoy connecting later gets the current version at once', async () => {
    const router = await fleet.router();
    const table = await fleet.table();
    // Same listener address: Envoy binds it with SO_REUSEPORT. Once the first one stops, only the second answers.
    const starting = startEnvoy(bootstrap('edge-b'), `http://127.0.0.1:${port}/`);
    await until(
      () => lines.some((l) => l.startsWith(`envoy edge-b runs table v${table.version}`)),
      15_000,
      `edge-b on table v${table.version}: ${lines.slice(-10).join('\n')}`,
    );
    second = await starting;
    const url = lines.find((l) => l.startsWith('metrics on '))?.slice('metrics on '.length) ?? '';
    expect(await metric(url, 'prism_lb_xds_connected_envoys')).toEqual([
      'prism_lb_xds_connected_envoys{target="envoy-xds"} 2',
    ]);
    expect(await metric(url, 'prism_lb_watch_applied_table_version')).toEqual([
      `prism_lb_watch_applied_table_version{target="envoy-xds"} ${table.version}`,
    ]);
    await envoy?.stop();
    envoy = undefined;
    expect(await misrouted(router)).toEqual([]);
    await until(
      async () => (await metric(url, 'prism_lb_xds_connected_envoys'))[0]?.endsWith(' 1'),
      5_000,
      'the stopped Envoy is no longer counted',
    );
  }, 30_000);
});

/** The ADS conversation as Envoy holds it, from a gRPC client: what a NACK does and does not do. */
describe('lb xds: ACK and NACK on the ADS stream', () => {
  const tableOf = (ids: string[], version: number) => ({
    ...planTable({
      proxies: ids.map((id, i) => ({ id, address: '127.0.0.1', dataPort: 20_000 + i, opsPort: 21_000 + i })),
    }).table,
    version,
  });
  const modelOf = (ids: string[], version: number) =>
    buildModel(tableOf(ids, version), {
      listen: '127.0.0.1:8080',
      missingNamespace: 'reject',
      hashBalanceFactor: 0,
      healthCheckIntervalMs: 2_000,
      nginxNjs: true,
    });

  it('a NACK is logged with Envoy error detail and counted; the same clusters are not sent again, the next version is', async () => {
    const root = await envoyProtos();
    const log: string[] = [];
    const metrics = buildXdsMetrics();
    const server = new XdsServer({
      root,
      listen: '127.0.0.1:0',
      warmMs: 0,
      lingerMs: 0,
      log: (l) => log.push(l),
      metrics,
    });
    const xdsPort = await server.listen();
    server.publish(buildSnapshot(root, modelOf(['a1', 'a2'], 1)));
    const Request = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
    const Response = root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
    const client = new grpc.Client(`127.0.0.1:${xdsPort}`, grpc.credentials.createInsecure());
    const call = client.makeBidiStreamRequest(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      (m: Record<string, unknown>) => Buffer.from(Request.encode(Request.fromObject(m)).finish()),
      (b: Buffer) => Response.toObject(Response.decode(b), { defaults: true }) as Record<string, unknown>,
    );
    const answers: { version_info: string; nonce: string; type_url: string; resources: unknown[] }[] = [];
    call.on('data', (r) => answers.push(r));
    call.on('error', () => undefined);
    try {
      call.write({ node: { id: 'nack-test' }, type_url: CLUSTER_TYPE });
      await until(() => answers.length === 1, 5_000, 'the clusters of v1');
      expect(answers[0]).toMatchObject({ version_info: '1', type_url: CLUSTER_TYPE });
      // a1, a2: own, owner and others clusters each, plus the ring.
      expect(answers[0].resources.length).toBe(7);
      call.write({
        type_url: CLUSTER_TYPE,
        version_info: '',
        response_nonce: answers[0].nonce,
        error_detail: { code: 3, message: 'Proto constraint validation failed (ClusterValidationError.Name)' },
      });
      await until(() => log.some((l) => l.startsWith('PRISM-LB-021')), 5_000, 'the NACK logged');
      expect(log.find((l) => l.startsWith('PRISM-LB-021'))).toBe(
        'PRISM-LB-021: envoy nack-test rejected CDS version 1: Proto constraint validation failed (ClusterValidationError.Name); it keeps version (none)',
      );
      expect(await metrics.registry.getSingleMetricAsString('prism_lb_xds_nacks_total')).toMatch(
        /prism_lb_xds_nacks_total\{type="CDS",target="envoy-xds"\} 1/,
      );
      // A table version with the same routing content would be rejected again: nothing is resent for it.
      server.publish(buildSnapshot(root, modelOf(['a1', 'a2'], 1)));
      await new Promise((r) => setTimeout(r, 300));
      expect(answers.length).toBe(1);
      // The next version (a proxy joined) is sent, and its ACK is taken.
      server.publish(buildSnapshot(root, modelOf(['a1', 'a2', 'a3'], 2)));
      await until(() => answers.length === 2, 5_000, 'the clusters of v2');
      expect(answers[1]).toMatchObject({ version_info: '2', type_url: CLUSTER_TYPE });
      expect(answers[1].nonce).not.toBe(answers[0].nonce);
      // An answer to the old nonce is stale: ignored, not taken for an ACK of v2.
      call.write({ type_url: CLUSTER_TYPE, version_info: '', response_nonce: answers[0].nonce });
      call.write({ type_url: CLUSTER_TYPE, version_info: '2', response_nonce: answers[1].nonce });
      call.write({ type_url: LISTENER_TYPE });
      await until(() => answers.length === 3, 5_000, 'the listener after the ACK');
      expect(answers[2]).toMatchObject({ version_info: '2', type_url: LISTENER_TYPE });
      expect(log.filter((l) => l.startsWith('PRISM-LB-021')).length).toBe(1);
    } finally {
      call.cancel();
      client.close();
      server.close();
    }
  });

  it('serves the clusters and the Lua program of the envoy.yaml that lb generate writes for the same table', async () => {
    const root = await envoyProtos();
    for (const options of [{}, { missingNamespace: 'any-proxy' as const, hashBalanceFactor: 150 }]) {
      const model = { ...modelOf(['a1', 'a2', 'a3'], 4), ...options };
      const yaml = renderTarget(envoyTarget, model, { outDir: '' }).get('envoy.yaml') ?? '';
      const fileClusters = [...yaml.matchAll(/^ {4}- name: "([^"]+)"$/gm)].map((m) => m[1]).sort();
      const snapshot = buildSnapshot(root, model);
      expect([...snapshot.clusters.keys()]).toEqual(fileClusters);
      const Route = root.lookupType('envoy.config.route.v3.RouteConfiguration');
      const route = Route.toObject(Route.decode(snapshot.route.any.value), { enums: String });
      const owner = route.virtual_hosts[0].routes[1].route;
      const Lua = root.lookupType('envoy.extensions.router.cluster_specifiers.lua.v3.LuaConfig');
      const lua = Lua.toObject(Lua.decode(owner.inline_cluster_specifier_plugin.extension.typed_config.value));
      expect(lua.source_code.inline_string).toBe(luaSource(model));
      const luaLines = (lua.source_code.inline_string as string).split('\n').filter((l) => l.trim() !== '');
      expect(luaLines.length).toBeGreaterThan(256);
      expect(luaLines.filter((l) => !yaml.includes(`  ${l}\n`))).toEqual([]);
      expect(lua.default_cluster).toBe('prism-ring');
      const missing = route.virtual_hosts[0].routes[0];
      if (model.missingNamespace === 'reject') expect(missing.direct_response.status).toBe(400);
      else expect(missing.route.cluster).toBe('prism-ring');
    }
  });

  it('serves every field of the listener, route configuration and clusters of the rendered envoy.yaml; only the routes come over RDS', async () => {
    const root = await envoyProtos();
    const decode = (r: { any: { type_url: string; value: Uint8Array } }) => {
      const type = root.lookupType(r.any.type_url.slice(r.any.type_url.lastIndexOf('/') + 1));
      return { type, message: type.decode(r.any.value) };
    };
    for (const options of [{}, { missingNamespace: 'any-proxy' as const, hashBalanceFactor: 150 }]) {
      const model = { ...modelOf(['a1', 'a2', 'a3'], 4), ...options };
      const file = parse(renderTarget(envoyTarget, model, { outDir: '' }).get('envoy.yaml') ?? '') as {
        static_resources: { listeners: Json[]; clusters: Json[] };
      };
      const snapshot = buildSnapshot(root, model);
      const fileListener = structuredClone(file.static_resources.listeners[0]);
      const hcm = (fileListener.filter_chains as { filters: { typed_config: Json }[] }[])[0].filters[0].typed_config;
      const routeConfig = hcm.route_config as Json;
      delete hcm.route_config;
      hcm.rds = { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'prism' };
      const wrong: string[] = [];
      const listener = decode(snapshot.listener);
      wrong.push(...differences(listener.type, fileListener, listener.message, 'listener'));
      const route = decode(snapshot.route);
      wrong.push(...differences(route.type, routeConfig, route.message, 'route_config'));
      expect(file.static_resources.clusters.map((c) => c.name).sort()).toEqual([...snapshot.clusters.keys()]);
      for (const c of file.static_resources.clusters) {
        const served = snapshot.clusters.get(String(c.name));
        if (!served) continue;
        const cluster = decode(served);
        wrong.push(...differences(cluster.type, c, cluster.message, `cluster ${c.name}`));
      }
      expect(wrong).toEqual([]);
    }
  });

  it('half the TLS options is refused before anything listens (PRISM-LB-024), naming what is missing', () => {
    const env = { ...process.env, PRISM_CA: '', PRISM_CERT: '', PRISM_KEY: '' };
    const run = (args: string[]) =>
      spawnSync(process.execPath, [PRISMCTL, 'lb', 'xds', '--listen', '127.0.0.1:0', ...args], {
        encoding: 'utf8',
        env,
        timeout: 20_000,
      });
    const server = run(['--tls-cert', 'xds.crt', '--admin', 'http://127.0.0.1:9']);
    expect(server.status).not.toBe(0);
    expect(server.stderr).toContain('PRISM-LB-024: --tls-cert given without --tls-key, --ca');
    const bootstrap = run(['--print-bootstrap', '--envoy-cert', 'envoy.crt', '--ca', 'ca.crt']);
    expect(bootstrap.status).not.toBe(0);
    expect(bootstrap.stderr).toContain('PRISM-LB-024: --envoy-cert, --ca given without --envoy-key');
    expect(bootstrap.stdout).toBe('');
  });

  it('refuses an Envoy whose node id is not the one the server serves (PRISM-LB-023)', async () => {
    const root = await envoyProtos();
    const log: string[] = [];
    const server = new XdsServer({
      root,
      listen: '127.0.0.1:0',
      nodeId: 'edge-a',
      warmMs: 0,
      lingerMs: 0,
      log: (l) => log.push(l),
    });
    const xdsPort = await server.listen();
    server.publish(buildSnapshot(root, modelOf(['a1'], 1)));
    const Request = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
    const client = new grpc.Client(`127.0.0.1:${xdsPort}`, grpc.credentials.createInsecure());
    const call = client.makeBidiStreamRequest(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      (m: Record<string, unknown>) => Buffer.from(Request.encode(Request.fromObject(m)).finish()),
      (b: Buffer) => b,
    );
    try {
      const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
      let answers = 0;
      call.on('data', () => answers++);
      call.write({ node: { id: 'edge-z' }, type_url: CLUSTER_TYPE });
      const err = await ended;
      expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(err.details).toMatch(/^PRISM-LB-023: /);
      expect(answers).toBe(0);
      expect(log.some((l) => l.startsWith('PRISM-LB-023: Envoy') && l.includes('"edge-z"'))).toBe(true);
    } finally {
      client.close();
      server.close();
    }
  });
});

let tlsEnvoys = 0;
/** A --base-id apart from startEnvoy's (shared memory names derive from it). */
const envoyBaseId = () => ((process.pid % 100_000) * 100 + 50 + tlsEnvoys++) % 4_000_000;

/** The xDS port with the fleet PKI, as the admin's gRPC port: only an Envoy with a fleet certificate gets a configuration. */
describe.skipIf(!envoyAvailable())('lb xds over mutual TLS', () => {
  it('an Envoy from the bootstrap printed with its fleet client certificate connects; one without a certificate or with one of another CA is refused', async () => {
    const pki = await fleetPki();
    const stranger = await makeTestPki();
    // The admin's certificate (serverAuth), as the admin's gRPC port presents it.
    const serverCert = await pki.files('admin', 'admin');
    const dir = mkdtempSync(join(tmpdir(), 'prism-lb-xds-tls-'));
    const root = await envoyProtos();
    const log: string[] = [];
    const server = new XdsServer({
      root,
      listen: '127.0.0.1:0',
      warmMs: 0,
      lingerMs: 0,
      log: (l) => log.push(l),
      tls: {
        cert: readFileSync(serverCert.certFile),
        key: readFileSync(serverCert.keyFile),
        ca: readFileSync(pki.caFile),
      },
    });
    const envoys: ChildProcess[] = [];
    const outputs = new Map<string, string>();
    try {
      const xdsPort = await server.listen();
      const lbPort = await freePort();
      const table = planTable({ proxies: [{ id: 'a1', address: '127.0.0.1', dataPort: 1, opsPort: 2 }] }).table;
      server.publish(
        buildSnapshot(
          root,
          buildModel(table, {
            listen: `127.0.0.1:${lbPort}`,
            missingNamespace: 'reject',
            hashBalanceFactor: 0,
            healthCheckIntervalMs: 2_000,
            nginxNjs: true,
          }),
        ),
      );
      const start = (nodeId: string, tlsArgs: string[]) => {
        const file = join(dir, `${nodeId}.yaml`);
        const args = ['lb', 'xds', '--print-bootstrap', '--listen', `127.0.0.1:${xdsPort}`, '--node-id', nodeId];
        writeFileSync(file, execFileSync(process.execPath, [PRISMCTL, ...args, ...tlsArgs], { encoding: 'utf8' }));
        // config:debug logs each ADS stream that closes: the refused ones are seen trying.
        const logLevels = ['--log-level', 'warn', '--component-log-level', 'config:debug'];
        const child = spawn('envoy', ['-c', file, '--base-id', String(envoyBaseId()), ...logLevels], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        outputs.set(nodeId, '');
        const keep = (d: Buffer) => outputs.set(nodeId, ((outputs.get(nodeId) ?? '') + d.toString()).slice(-20_000));
        child.stdout?.on('data', keep);
        child.stderr?.on('data', keep);
        envoys.push(child);
        return readFileSync(file, 'utf8');
      };
      const own = await pki.files('proxy', 'edge-envoy');
      const foreign = await stranger.files('proxy', 'edge-envoy');
      // Refused ones first: by the time the fleet's Envoy runs the table, they have tried as long.
      expect(start('tls-none', [])).not.toContain('transport_socket');
      start('tls-stranger', ['--envoy-cert', foreign.certFile, '--envoy-key', foreign.keyFile, '--ca', pki.caFile]);
      const printed = start('tls-fleet', [
        '--envoy-cert',
        own.certFile,
        '--envoy-key',
        own.keyFile,
        '--ca',
        pki.caFile,
      ]);
      expect(printed).toContain('envoy.transport_sockets.tls');
      expect(printed).toContain(`trusted_ca: { filename: '${pki.caFile}' }`);
      await until(
        () => log.some((l) => l.startsWith('envoy tls-fleet runs table v')),
        20_000,
        `the fleet's Envoy over mTLS: ${log.join('\n')}\n${outputs.get('tls-fleet')}`,
      );
      const closed = (nodeId: string) =>
        (outputs.get(nodeId)?.match(/gRPC config stream to prism-xds closed/g) ?? []).length;
      await until(
        () => closed('tls-none') >= 2 && closed('tls-stranger') >= 2,
        20_000,
        `the others tried twice and were refused: ${outputs.get('tls-none')}\n${outputs.get('tls-stranger')}`,
      );
      expect(server.envoys().map((e) => e.node)).toEqual(['tls-fleet']);
      expect(log.filter((l) => /tls-(none|stranger)/.test(l))).toEqual([]);
    } finally {
      for (const e of envoys) if (e.exitCode === null && e.signalCode === null && e.pid) process.kill(e.pid, 'SIGTERM');
      await Promise.all(
        envoys.map((e) => (e.exitCode === null && e.signalCode === null ? once(e, 'exit') : undefined)),
      );
      server.close();
      stranger.remove();
      removeDir(dir);
    }
  }, 60_000);
});
