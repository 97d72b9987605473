import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { type GenerateInput, generate } from '../../generator/src/lb/generate.js';
import { caFiles, initPki, leafFiles } from '../../generator/src/pki/pki.js';
import { api, settledTable } from '../../test-support/admin-harness.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { type AdminProcess, spawnAdmin } from '../../test-support/spawn-admin.js';
import { type ProgramProcess, spawnProxy } from '../../test-support/spawn-program.js';
import { haproxyHopConfig } from './hops.js';
import { TLS_SCENARIO_NAMES } from './report.js';
import { type Scenario, spawnBinary, until } from './stack.js';

export interface TlsStackInput {
  /** The bench stack's temporary directory (removed by its stop()). */
  dir: string;
  log: (s: string) => void;
  backendUrl: string;
  backendPort: number;
  /** Candidate namespaces; each TLS fleet reserves the first one that lands where it needs it. */
  namespaces: string[];
  /** The plaintext fleet's generated HAProxy input (its table and model), for haproxy-tls. */
  plainLb: Omit<GenerateInput, 'target' | 'outDir' | 'listen'>;
  /** Processes and metrics of the plaintext fleet, which haproxy-tls sends its requests to. */
  plainPids: () => number[];
  plainOps: string[];
  /** Which scenarios to start (a fleet only starts when one of its scenarios is wanted). */
  want: (name: string) => boolean;
  /** The bench stack's lists: whatever starts here is stopped with it. */
  children: ChildProcess[];
  programs: ProgramProcess[];
}

interface Proxy {
  id: string;
  port: number;
  ops: string;
  pid: number;
}

/** prism-proxy with a configuration file (the TLS options have no flags). */
async function spawnConfiguredProxy(
  id: string,
  adminGrpc: string,
  dir: string,
  values: Record<string, unknown>,
  programs: ProgramProcess[],
): Promise<Proxy> {
  const config = join(dir, `${id}.json`);
  writeFileSync(config, JSON.stringify(values));
  const p = await spawnProxy(id, adminGrpc, join(dir, id), { config });
  programs.push(p);
  return { id, port: p.port, ops: p.ops, pid: p.pid };
}

/**
 * An admin and its proxies, started in order, and one namespace reserved whose owner is `ownerId`
 * (chosen from the candidates with the table, so the roles of the proxies are fixed by their
 * configuration). Its own admin, so that the plaintext fleet's table, which the affinity and
 * round-robin scenarios measure, stays four proxies.
 */
async function startFleet(
  name: string,
  input: TlsStackInput,
  admin: AdminProcess,
  proxies: { id: string; values: Record<string, unknown> }[],
  ownerId: string,
): Promise<{ proxies: Map<string, Proxy>; namespace: string }> {
  const dir = join(input.dir, name);
  const started = new Map<string, Proxy>();
  for (const p of proxies)
    started.set(p.id, await spawnConfiguredProxy(p.id, admin.grpc, dir, p.values, input.programs));
  const json = await settledTable(admin.http, (t) => t.proxies?.length === proxies.length);
  const router = compileRouter(parseTable(json));
  const namespace = input.namespaces.find((n) => router.route(n).owner === ownerId);
  if (!namespace) throw new Error(`bench stack: no candidate namespace lands on ${ownerId} in ${name}`);
  const res = await api(admin.http, 'POST', '/v1/namespaces', { name: namespace, backends: [input.backendUrl] });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`bench stack: reserving ${namespace} on ${name} answered ${res.status}: ${res.text}`);
  return { proxies: started, namespace };
}

/** The same HAProxy configuration with TLS on its listener (an ECDSA P-256 certificate, like the proxies'). */
function terminateTls(cfgFile: string, pem: string): string {
  const cfg = readFileSync(cfgFile, 'utf8');
  const bind = /^(\s*bind 127\.0\.0\.1:\d+)$/m;
  if (!bind.test(cfg)) throw new Error(`bench stack: no bind line to put TLS on in ${cfgFile}`);
  const out = cfgFile.replace(/\.cfg$/, '-tls.cfg');
  writeFileSync(out, cfg.replace(bind, `$1 ssl crt ${pem}`));
  return out;
}

/**
 * Starts what the wanted TLS scenarios need, on loopback, besides the plaintext stack:
 *
 * - a PKI made once with prismctl's library (a CA, proxy certificates, one for HAProxy);
 * - fleet `tls` (own admin, proxies t1 and t2 with `tls.certFile`, peers in plaintext): owner-tls,
 *   owner-tls-h2 on the owner, forward-tls on the other;
 * - fleet `mtls` (own admin over mTLS, proxies m1, m2 with `forwarding.h2`, m3 with the fleet CA,
 *   so peers forward over mutual TLS; clients in cleartext): forward-mtls from m1 and
 *   forward-mtls-h2 from m2, both to m3;
 * - HAProxy terminating TLS: the plain hop's configuration (haproxy-tls-hop) and the generated one
 *   in front of the plaintext fleet (haproxy-tls), each with `ssl crt` on its bind line only.
 *
 * Separate proxies, not the plaintext fleet with certificates: serving TLS moves Node's shared
 * stream and HTTP internals onto other object shapes (as h2c does, bench/README.md), so plaintext
 * proxies that also served TLS would no longer measure a plaintext deployment; and peer mTLS changes
 * every forward of the proxies that have it.
 */
export async function startTlsStack(input: TlsStackInput): Promise<Scenario[]> {
  const { dir, log, want } = input;
  const wanted = TLS_SCENARIO_NAMES.filter((n) => want(n));
  if (!wanted.length) return [];
  const needs = (...names: string[]) => names.some((n) => wanted.includes(n as (typeof wanted)[number]));

  log('making a PKI for the TLS scenarios');
  const pkiDir = join(dir, 'pki');
  const ids = { tls: ['t1', 't2'], mtls: ['m1', 'm2', 'm3'] };
  await initPki({ out: pkiDir, proxies: [...ids.tls, ...ids.mtls, 'lb'].map((id) => ({ id })), days: 2 });
  const caFile = caFiles(pkiDir).certFile;
  const cert = (id: string) => leafFiles(pkiDir, 'proxy', id);
  const trusting = new Agent({ connect: { ca: readFileSync(caFile) } });
  const answers = async (url: string, ns: string) => {
    const r = await request(url, { headers: { 'x-prism-namespace': ns }, dispatcher: trusting });
    await r.body.dump();
    return r.statusCode === 200;
  };
  const scenarios: Scenario[] = [];
  try {
    if (needs('owner-tls', 'owner-tls-h2', 'forward-tls')) {
      log('starting the TLS fleet: admin, 2 proxies with tls.certFile');
      mkdirSync(join(dir, 'tls'), { recursive: true });
      // TLS to clients only: the control plane and the peers stay plaintext, as in the plaintext fleet.
      const admin = await spawnAdmin(join(dir, 'tls', 'admin'), ['--insecure']);
      input.programs.push(admin as unknown as ProgramProcess);
      const fleet = await startFleet(
        'tls',
        input,
        admin,
        ids.tls.map((id) => ({
          id,
          values: { insecure: true, tls: { certFile: cert(id).certFile, keyFile: cert(id).keyFile } },
        })),
        't1',
      );
      const owner = fleet.proxies.get('t1') as Proxy;
      const entry = fleet.proxies.get('t2') as Proxy;
      for (const p of [owner, entry])
        await until(`TLS on ${p.id}`, () => answers(`https://127.0.0.1:${p.port}/`, fleet.namespace));
      const ops = [owner.ops, entry.ops];
      const base = { namespaces: [fleet.namespace], proxyOps: ops, tls: true };
      scenarios.push(
        { ...base, name: 'owner-tls', port: owner.port, pids: () => [owner.pid] },
        { ...base, name: 'owner-tls-h2', port: owner.port, pids: () => [owner.pid], h2c: true },
        { ...base, name: 'forward-tls', port: entry.port, pids: () => [entry.pid, owner.pid] },
      );
    }

    if (needs('forward-mtls', 'forward-mtls-h2')) {
      // Only the entries whose scenario is wanted (--ci measures forward-mtls alone).
      const entries = [
        { id: 'm1', scenario: 'forward-mtls', forwarding: {} },
        { id: 'm2', scenario: 'forward-mtls-h2', forwarding: { h2: true } },
      ].filter((e) => want(e.scenario));
      log(`starting the mTLS fleet: admin over mTLS, ${entries.length + 1} proxies forwarding over mTLS`);
      mkdirSync(join(dir, 'mtls'), { recursive: true });
      const adminFiles = leafFiles(pkiDir, 'admin', 'admin');
      const adminConfig = join(dir, 'mtls', 'admin.json');
      writeFileSync(adminConfig, JSON.stringify({ tls: { caFile, ...adminFiles } }));
      const admin = await spawnAdmin(join(dir, 'mtls', 'admin'), ['--config', adminConfig], { caFile });
      input.programs.push(admin as unknown as ProgramProcess);
      const fleetTls = (id: string) => ({ controlPlane: { tls: { caFile, ...cert(id) } } });
      const fleet = await startFleet(
        'mtls',
        input,
        admin,
        [
          ...entries.map((e) => ({ id: e.id, values: { ...fleetTls(e.id), forwarding: e.forwarding } })),
          { id: 'm3', values: fleetTls('m3') },
        ],
        'm3',
      );
      const owner = fleet.proxies.get('m3') as Proxy;
      const ops = [...fleet.proxies.values()].map((p) => p.ops);
      for (const p of fleet.proxies.values())
        await until(`${p.id} over mTLS`, () => answers(`http://127.0.0.1:${p.port}/`, fleet.namespace));
      // The owner has taken each entry's kind of peer connection, so the forwards run over TLS as meant.
      const peerProtocols = await (await fetch(`${owner.ops}/metrics`)).text();
      for (const e of entries) {
        const protocol = e.forwarding.h2 ? 'h2' : 'http/1.1';
        if (!peerProtocols.includes(`prism_proxy_tls_connections_total{protocol="${protocol}"}`))
          throw new Error(`bench stack: m3 took no ${protocol} peer connection over TLS`);
        const entry = fleet.proxies.get(e.id) as Proxy;
        scenarios.push({
          name: e.scenario,
          port: entry.port,
          namespaces: [fleet.namespace],
          pids: () => [entry.pid, owner.pid],
          proxyOps: ops,
        });
      }
    }

    if (needs('haproxy-tls-hop', 'haproxy-tls')) {
      log('starting HAProxy terminating TLS');
      const haproxyDir = join(dir, 'haproxy-tls');
      mkdirSync(haproxyDir, { recursive: true });
      const pem = join(haproxyDir, 'lb.pem');
      writeFileSync(pem, `${readFileSync(cert('lb').certFile, 'utf8')}${readFileSync(cert('lb').keyFile, 'utf8')}`, {
        mode: 0o600,
      });
      const ns = input.namespaces[0];
      if (needs('haproxy-tls-hop')) {
        const port = await freePort();
        const hop = spawnBinary('haproxy', [
          '-db',
          '-f',
          terminateTls(haproxyHopConfig(haproxyDir, port, input.backendPort), pem),
        ]);
        input.children.push(hop);
        await until(`haproxy-tls-hop on ${port}`, () => answers(`https://127.0.0.1:${port}/`, ns));
        scenarios.push({
          name: 'haproxy-tls-hop',
          port,
          namespaces: [ns],
          pids: () => [hop.pid ?? 0],
          proxyOps: [],
          tls: true,
        });
      }
      if (needs('haproxy-tls')) {
        const port = await freePort();
        const outDir = join(haproxyDir, 'generated');
        await generate({ ...input.plainLb, listen: `127.0.0.1:${port}`, target: 'haproxy', outDir });
        const lb = spawnBinary('haproxy', ['-db', '-f', terminateTls(join(outDir, 'haproxy.cfg'), pem)]);
        input.children.push(lb);
        await until(`haproxy-tls on ${port}`, () => answers(`https://127.0.0.1:${port}/`, ns));
        scenarios.push({
          name: 'haproxy-tls',
          port,
          namespaces: [...(input.plainLb.namespaces ?? [ns])],
          pids: () => [lb.pid ?? 0, ...input.plainPids()],
          proxyOps: input.plainOps,
          tls: true,
        });
      }
    }
  } finally {
    await trusting.close();
  }
  // A fleet serves all its scenarios; only the wanted ones are measured.
  const measured = scenarios.filter((s) => want(s.name));
  const names = measured.map((s) => s.name);
  if (names.join() !== wanted.join())
    throw new Error(`bench stack: started ${names.join(', ')} for ${wanted.join(', ')}`);
  return measured;
}
