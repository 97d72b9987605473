import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTable } from '../../core/src/assign/plan.js';
import { compileRouter } from '../../core/src/route.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { type HaproxyProcess, startHaproxy } from '../../test-support/haproxy-process.js';
import { freePort, requireBinary } from '../../test-support/lb-binaries.js';
import { startFleet } from '../../test-support/lb-fleet.js';
import { type Backend, removeDir, startBackend, until } from '../../test-support/proxy-harness.js';
import { ROOT, runBin } from '../../test-support/run.js';
import { HaproxyRuntime, type ServerSlot } from '../src/lb/haproxy-runtime.js';
import { runWatch } from '../src/lb/watch.js';
import { buildWatchMetrics } from '../src/lb/watch-metrics.js';

const HAVE = requireBinary('haproxy', ['-v'], 'apt-get install haproxy');

interface Instance {
  name: string;
  dir: string;
  tlsPort: number;
  statsPort: number;
  /** The runtime API the watcher drives: a unix socket for `a`, a TCP one for `b`. */
  runtime: string;
  haproxy?: HaproxyProcess;
}

/**
 * An operator's own haproxy.cfg, written as an operator would: TLS termination, a stats page, their
 * own backend for everything that is not Prism's, a runtime socket at level admin (and one at level
 * operator, which the watcher must refuse) — plus the one line that sends Prism's traffic to the
 * fragment's backend.
 */
function operatorConfig(i: Instance, appUrl: string, adminSocket: string): string {
  return `global
    stats socket ${adminSocket} level admin
    stats socket ${join(i.dir, 'readonly.sock')} mode 600 level operator

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend www
    bind 127.0.0.1:${i.tlsPort} ssl crt site.pem
    use_backend prism if { req.fhdr(x-prism-namespace) -m found }
    default_backend shop

frontend stats
    bind 127.0.0.1:${i.statsPort}
    stats enable
    stats uri /stats

backend shop
    server shop1 ${new URL(appUrl).host}
`;
}

interface Answer {
  status: number;
  servedBy?: string;
  forwardedBy?: string;
  body: string;
}

/** One HTTPS request through the operator's TLS frontend (fresh connection). */
function get(i: Instance, namespace?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: i.tlsPort,
        path: '/x',
        agent: false,
        ca: readFileSync(join(i.dir, 'site.crt')),
        servername: 'localhost',
        headers: namespace ? { 'x-prism-namespace': namespace } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            servedBy: res.headers['x-prism-served-by'] as string | undefined,
            forwardedBy: res.headers['x-prism-forwarded-by'] as string | undefined,
            body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The operator's backend as HAProxy holds it, without what moves by itself (check timings). */
const shopState = async (api: HaproxyRuntime) =>
  [...(await api.servers('shop')).values()].map((s: ServerSlot) => ({ ...s }));

describe.skipIf(!HAVE)('HAProxy fragment inside an operator-style haproxy.cfg, driven by lb watch --fragment', () => {
  let fleet: Awaited<ReturnType<typeof startFleet>>;
  let shop: Backend;
  let current: PartitionTable;
  const specs: { id: string; address: string; dataPort: number; opsPort: number }[] = [];
  const instances: Instance[] = [];
  const names = Array.from({ length: 40 }, (_, i) => `tenant-${i}`);
  const abort = new AbortController();
  const metrics = buildWatchMetrics('haproxy');
  const lines: string[] = [];
  let watching: Promise<void> | undefined;

  const table = (version: number, ids: string[]): PartitionTable => ({
    ...planTable({ previous: current, proxies: specs.filter((p) => ids.includes(p.id)) }).table,
    version,
  });

  /**
   * Namespaces this instance did not send to the owner the watched table names: the proxy that
   * answered, or that forwarded (the proxies follow the admin's own table, the watcher a table made here).
   */
  async function misrouted(i: Instance): Promise<string[]> {
    const router = compileRouter(current);
    const wrong: string[] = [];
    for (const ns of names) {
      const a = await get(i, ns).catch((err: Error): Answer => ({ status: 0, servedBy: err.message, body: '' }));
      const picked = a.forwardedBy ?? a.servedBy;
      if (a.status !== 200 || picked !== router.route(ns).owner) wrong.push(`${ns}: ${a.status} ${picked}`);
    }
    return wrong;
  }

  const start = async (i: Instance) => {
    i.haproxy = await startHaproxy(i.dir, i.statsPort, ['haproxy.cfg', 'prism/prism.cfg']);
  };

  async function publish(next: PartitionTable) {
    current = next;
    await until(
      () => lines.some((l) => l.startsWith(`applied table v${next.version} `)),
      10_000,
      `table v${next.version} applied`,
    );
  }

  beforeAll(async () => {
    fleet = await startFleet(['p1', 'p2', 'p3', 'p4'], names);
    shop = await startBackend('shop');
    for (const p of (await fleet.table()).proxies)
      specs.push({ id: p.id, address: p.address, dataPort: p.dataPort, opsPort: p.opsPort });
    current = { ...planTable({ proxies: specs.filter((p) => p.id !== 'p4') }).table, version: 1 };
    const first = mkdtempSync(join(tmpdir(), 'prism-fragment-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(first, 'site.key'),
        '-out',
        join(first, 'site.crt'),
      ]),
      { stdio: 'ignore' },
    );
    const pem = readFileSync(join(first, 'site.crt'), 'utf8') + readFileSync(join(first, 'site.key'), 'utf8');
    for (const name of ['a', 'b']) {
      const dir = name === 'a' ? first : mkdtempSync(join(tmpdir(), 'prism-fragment-'));
      const i: Instance = { name, dir, tlsPort: await freePort(), statsPort: await freePort(), runtime: '' };
      const tcp = `127.0.0.1:${await freePort()}`;
      i.runtime = name === 'a' ? join(dir, 'admin.sock') : `tcp:${tcp}`;
      writeFileSync(join(dir, 'site.pem'), pem);
      writeFileSync(join(dir, 'site.crt'), readFileSync(join(first, 'site.crt')));
      writeFileSync(
        join(dir, 'haproxy.cfg'),
        operatorConfig(i, shop.url, name === 'a' ? `${i.runtime} mode 600` : `ipv4@${tcp}`),
      );
      writeFileSync(join(dir, 'table.json'), JSON.stringify(PartitionTable.toJSON(current)));
      instances.push(i);
    }
  }, 60_000);

  afterAll(async () => {
    abort.abort();
    await watching;
    for (const i of instances) await i.haproxy?.stop();
    await fleet?.stop();
    await shop?.stop();
    for (const i of instances) removeDir(i.dir);
  });

  it('prismctl lb generate --fragment writes only the backend and its maps, checked with the operator file', async () => {
    // As an operator runs it, from the folder HAProxy runs in: the maps are named relative to it.
    const [a, b] = instances;
    const r = await runBin(
      'prismctl',
      ['lb', 'generate', '--target', 'haproxy', '--fragment', '--from-file', 'table.json', '--out', 'prism'].concat([
        '--check-with',
        'haproxy.cfg',
      ]),
      a.dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('haproxy -c -f haproxy.cfg -f prism/prism.cfg: valid');
    expect(r.stdout).toContain(
      'and add to your frontend: use_backend prism if { req.fhdr(x-prism-namespace) -m found }',
    );
    // The same folder is shipped to every HAProxy host of the fleet.
    cpSync(join(a.dir, 'prism'), join(b.dir, 'prism'), { recursive: true });
    const cfg = readFileSync(join(instances[0].dir, 'prism', 'prism.cfg'), 'utf8');
    expect(cfg).not.toMatch(/^(global|defaults|frontend|listen)\b/m);
    expect(cfg.match(/^backend .*/gm)).toEqual(['backend prism']);
    expect(cfg).toContain('map(prism/prism-partitions.map)');
    expect(cfg).not.toContain(tmpdir());
    expect(cfg.match(/^ {4}server .*/gm)?.map((l) => l.split(' ')[5])).toEqual(['prism-p1', 'prism-p2', 'prism-p3']);
    expect(cfg.match(/txn\.\w+/g)?.every((v) => v.startsWith('txn.prism_'))).toBe(true);
  });

  it('--check-with names what HAProxy refuses: a frontend line to a backend name the fragment does not declare', async () => {
    const dir = instances[0].dir;
    const wrong = readFileSync(join(dir, 'haproxy.cfg'), 'utf8').replace('use_backend prism', 'use_backend prism_b');
    writeFileSync(join(dir, 'wrong.cfg'), wrong);
    const r = await runBin(
      'prismctl',
      [
        'lb',
        'generate',
        '--target',
        'haproxy',
        '--fragment',
        '--from-file',
        'table.json',
        '--out',
        'check-only',
      ].concat(['--check-with', 'wrong.cfg']),
      dir,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('PRISM-LB-002');
    expect(r.stderr).toMatch(/prism_b/);
  });

  it('every namespace lands on its owner through the TLS frontend; other traffic reaches the operator backend', async () => {
    for (const i of instances) await start(i);
    for (const i of instances) expect(await misrouted(i)).toEqual([]);
    const other = await get(instances[0]);
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body).backend).toBe('shop');
    expect(other.servedBy).toBeUndefined();
    const stats = await fetch(`http://127.0.0.1:${instances[0].statsPort}/stats;csv`);
    expect(stats.status).toBe(200);
    expect(await stats.text()).toMatch(/^shop,shop1,/m);
  });

  it('the watcher refuses a runtime socket below level admin and names the line to fix', async () => {
    const dir = instances[0].dir;
    const r = await runBin(
      'prismctl',
      ['lb', 'watch', '--target', 'haproxy', '--fragment', '--out', 'prism', '--admin', 'http://127.0.0.1:9'].concat([
        '--runtime-socket',
        `${instances[0].runtime},${join(dir, 'readonly.sock')}`,
      ]),
      dir,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('PRISM-LB-010');
    expect(r.stderr).toContain(`stats socket ${join(dir, 'readonly.sock')} mode 660 level admin`);
  });

  it('lb watch --fragment applies a join and a leave to two HAProxy instances: no reload, the operator backend untouched', async () => {
    const pids = instances.map((i) => i.haproxy?.pid);
    const apis = instances.map((i) => new HaproxyRuntime(i.runtime));
    const shopBefore = await Promise.all(apis.map(shopState));
    watching = runWatch({
      target: 'haproxy',
      outDir: join(instances[0].dir, 'prism'),
      fragment: { mapDir: 'prism' },
      runtimeApis: instances.map((i) => i.runtime),
      model: {
        listen: '127.0.0.1:8080',
        missingNamespace: 'reject',
        hashBalanceFactor: 0,
        healthCheckIntervalMs: 2_000,
        nginxNjs: true,
      },
      source: async () => ({ table: current, namespaces: names }),
      intervalMs: 50,
      log: (l) => lines.push(l),
      signal: abort.signal,
      metrics,
    });
    await until(() => lines.some((l) => l.startsWith('applied table v1 ')), 10_000, 'v1 applied');
    expect(lines.find((l) => l.startsWith('applied table v1 '))).toContain('2 of 2 HAProxy instances');

    await publish(table(2, ['p1', 'p2', 'p3', 'p4']));
    for (const i of instances) expect(await misrouted(i)).toEqual([]);
    for (const i of instances)
      expect(lines).toContain(
        `HAProxy ${i.runtime.replace(/^tcp:/, '')}: applied table v2: prism-p4 added, prism-partitions.map swapped (256 entries)`,
      );
    await publish(table(3, ['p1', 'p2', 'p4']));
    for (const i of instances) expect(await misrouted(i)).toEqual([]);

    expect(instances.map((i) => i.haproxy?.pid)).toEqual(pids);
    for (const [n, api] of apis.entries()) {
      expect((await api.identity()).pid).toBe(pids[n]);
      expect(await shopState(api)).toEqual(shopBefore[n]);
      const prism = await api.servers('prism');
      expect([...prism.keys()].sort()).toEqual(['prism-p1', 'prism-p2', 'prism-p3', 'prism-p4']);
      expect((prism.get('prism-p3')?.adminState ?? 0) & 1).toBe(1);
    }
    // The fragment on disk follows, so an instance restarted from it starts current.
    expect(readFileSync(join(instances[0].dir, 'prism', 'prism.cfg'), 'utf8')).toContain('# prism-table-version 3');
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      `prism_lb_watch_instance_applied_table_version{instance="${instances[0].runtime}",target="haproxy"} 3`,
    );
    expect(text).toMatch(/prism_lb_watch_instance_up\{instance="127\.0\.0\.1:\d+",target="haproxy"\} 1/);
  });

  it('an instance killed and restarted is re-synced; while it is down the other one keeps following', async () => {
    const [a, b] = instances;
    await b.haproxy?.stop();
    await publish(table(4, ['p1', 'p2', 'p3', 'p4']));
    expect(await misrouted(a)).toEqual([]);
    const bLabel = b.runtime.replace(/^tcp:/, '');
    expect(lines.some((l) => l.startsWith(`HAProxy ${bLabel}: not applied table v4 (PRISM-LB-004`))).toBe(true);
    expect(await metrics.registry.getSingleMetricAsString('prism_lb_watch_instance_up')).toContain(
      `instance="${bLabel}",target="haproxy"} 0`,
    );
    // b runs on "another host": its fragment is still the v1 one it was first given (the watcher writes a's).
    expect(readFileSync(join(b.dir, 'prism', 'prism.cfg'), 'utf8')).toContain('# prism-table-version 1');
    const mark = lines.length;
    await start(b);
    await until(
      () =>
        lines
          .slice(mark)
          .some((l) =>
            l.startsWith(`HAProxy ${bLabel} is reachable again (pid ${b.haproxy?.pid}); re-synced to table v4: `),
          ),
      10_000,
      'b re-synced',
    );
    expect(await misrouted(b)).toEqual([]);
    expect(await misrouted(a)).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString('prism_lb_watch_instance_applied_table_version')).toContain(
      `instance="${bLabel}",target="haproxy"} 4`,
    );
  });

  it('prismctl lb watch --fragment, the process, follows the admin and brings both instances to its table', async () => {
    abort.abort();
    await watching;
    const [a, b] = instances;
    const out: string[] = [];
    const watcher = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'prismctl.js'), 'lb', 'watch', '--target', 'haproxy', '--fragment', '--out', 'prism'].concat([
        '--runtime-socket',
        a.runtime,
        '--runtime-api',
        b.runtime.replace(/^tcp:/, ''),
        '--admin',
        fleet.admin.http,
        '--ca',
        fleet.admin.caFile,
        '--token-file',
        fleet.admin.tokenFile,
        '--metrics-listen',
        '127.0.0.1:0',
      ]),
      { cwd: a.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    createInterface({ input: watcher.stdout as NodeJS.ReadableStream }).on('line', (l) => out.push(l));
    watcher.stderr?.on('data', (d) => out.push(`stderr: ${d}`));
    try {
      const adminTable = await fleet.table();
      const applied = `applied table v${adminTable.version} to haproxy: 2 of 2 HAProxy instances`;
      await until(() => out.includes(applied), 15_000, `admin's table applied: ${out.join('\n')}`);
      // The proxies follow the same table now: every request is served by its owner, none forwarded.
      const router = compileRouter(adminTable);
      for (const i of instances)
        for (const ns of names) {
          const answer = await get(i, ns);
          expect([answer.status, answer.servedBy, answer.forwardedBy]).toEqual([
            200,
            router.route(ns).owner,
            undefined,
          ]);
        }
      const url = out.find((l) => l.startsWith('metrics on '))?.slice('metrics on '.length) ?? '';
      const text = await (await fetch(url)).text();
      expect(text.match(/^prism_lb_watch_instance_up\{.*\} 1$/gm)).toHaveLength(2);
      expect(out.join('\n')).not.toContain('stderr:');
    } finally {
      const exited = once(watcher, 'exit');
      watcher.kill('SIGTERM');
      await exited;
    }
  });
});
