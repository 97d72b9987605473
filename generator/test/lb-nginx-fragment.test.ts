import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTable } from '../../core/src/assign/plan.js';
import { PrismError } from '../../core/src/errors.js';
import type { Router } from '../../core/src/route.js';
import { settledTable } from '../../test-support/admin-harness.js';
import { ask, startFleet } from '../../test-support/lb-fleet.js';
import { freePort, type NginxProcess, requireNginx, startNginx } from '../../test-support/nginx-process.js';
import { type Backend, removeDir, startBackend, until } from '../../test-support/proxy-harness.js';
import { ROOT } from '../../test-support/run.js';
import { buildModel } from '../src/lb/model.js';
import { renderTarget } from '../src/lb/render.js';
import { NJS_MODULE, nginxTarget } from '../src/lb/targets/nginx.js';
import { generateNginxFragment, includePathOf, nginxFragmentTarget } from '../src/lb/targets/nginx-fragment.js';

const HAVE = requireNginx();
const NAMES = Array.from({ length: 40 }, (_, i) => `frag-${i}`);

/**
 * An operator's own nginx.conf: a server with its own `location /other` to a backend Prism knows nothing
 * about, a second server with a status page, and the two include lines for Prism's fragment in `prism/`.
 */
function operatorConf(port: number, statusPort: number, legacy: Backend): string {
  return `load_module ${NJS_MODULE};
worker_processes 1;
pid nginx.pid;
error_log stderr warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;

    upstream legacy {
        server ${legacy.url.replace('http://', '')};
    }

    include prism/prism-http.conf;

    server {
        listen 127.0.0.1:${port};
        location /other {
            proxy_pass http://legacy;
        }
        location / {
            include prism/prism-location.conf;
        }
    }
    server {
        listen 127.0.0.1:${statusPort};
        location = /nginx_status {
            stub_status;
        }
    }
}
`;
}

/** Namespaces that did not land straight on the owner `router` names (status, served by, forwarded by). */
async function misrouted(port: number, router: Router): Promise<string[]> {
  const wrong: string[] = [];
  for (const ns of NAMES) {
    const a = await ask(port, ns).catch((err: Error) => ({ status: 0, servedBy: err.message, forwardedBy: '' }));
    if (a.status !== 200 || a.servedBy !== router.route(ns).owner || a.forwardedBy)
      wrong.push(`${ns}: ${a.status} ${a.servedBy} ${a.forwardedBy ?? ''}`);
  }
  return wrong;
}

/** Traffic that is not Prism's: the operator's own location and status server answer as before. */
async function otherTraffic(port: number, statusPort: number) {
  const res = await fetch(`http://127.0.0.1:${port}/other/page`, { headers: { 'x-prism-namespace': NAMES[0] } });
  const body = (await res.json()) as { backend: string; url: string };
  const bare = await fetch(`http://127.0.0.1:${port}/other/bare`);
  await bare.arrayBuffer();
  const status = await fetch(`http://127.0.0.1:${statusPort}/nginx_status`);
  return {
    other: [res.status, body.backend, body.url, res.headers.get('x-prism-served-by')],
    bare: bare.status,
    status: [status.status, (await status.text()).split('\n')[0].replace(/\d+/, 'N').trim()],
  };
}

const UNTOUCHED = {
  other: [200, 'legacy', '/other/page', null],
  bare: 200,
  status: [200, 'Active connections: N'],
};

/** Pids of the workers of an NGINX master (from /proc): a reload replaces them. */
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

const GOLDEN = join(import.meta.dirname, 'golden', 'nginx-fragment');
const goldenTable = planTable({
  proxies: ['proxy-a', 'proxy-b', 'proxy-c'].map((id, i) => ({
    id,
    address: `10.0.0.${i + 1}`,
    dataPort: 8980,
    opsPort: 9980,
  })),
  strategy: 'key_range',
  rules: {
    prefixRules: [{ prefix: 'acme-', proxies: ['proxy-a'] }],
    namespacePins: [],
    partitionPins: [],
  },
}).table;
const goldenOptions = {
  listen: '127.0.0.1:8080',
  missingNamespace: 'reject' as const,
  hashBalanceFactor: 0,
  healthCheckIntervalMs: 2000,
  namespaces: ['acme-billing', 'default', 'orders-prod'],
};

describe('NGINX fragment (golden)', () => {
  const cases = {
    njs: { nginxNjs: true, target: nginxFragmentTarget({ includeDir: 'prism' }) },
    'no-njs-prefixed': {
      nginxNjs: false,
      target: nginxFragmentTarget({ includeDir: '/etc/nginx/prism/', namePrefix: 'edge' }),
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name} renders the expected files`, () => {
      const model = buildModel(goldenTable, { ...goldenOptions, nginxNjs: c.nginxNjs });
      const files = renderTarget(c.target, model, { outDir: '/somewhere/else' });
      const dir = join(GOLDEN, name);
      if (process.env.UPDATE_GOLDEN === '1') {
        removeDir(dir);
        mkdirSync(dir, { recursive: true });
        for (const [path, text] of files) writeFileSync(join(dir, path), text);
      }
      expect([...files.keys()].sort()).toEqual(readdirSync(dir).sort());
      for (const [path, text] of files) expect(text, path).toBe(readFileSync(join(dir, path), 'utf8'));
      // The outDir of the generating machine never reaches the files.
      for (const text of files.values()) expect(text).not.toContain('/somewhere/else');
    });
  }

  it('routes with the same map lines as the whole nginx.conf (one set of partials), under its own prefix', () => {
    const model = buildModel(goldenTable, { ...goldenOptions, nginxNjs: true });
    const whole = renderTarget(nginxTarget, model, { outDir: '/x' });
    const fragment = renderTarget(nginxFragmentTarget({ includeDir: 'prism' }), model, { outDir: '/x' });
    for (const map of ['partitions.map', 'prefix-owners.map', 'prefix-rules.map', 'namespace-pins.map', 'prism.njs'])
      expect(fragment.get(map), map).toBe(whole.get(map));
    const edge = renderTarget(nginxFragmentTarget({ includeDir: 'prism', namePrefix: 'edge' }), model, {
      outDir: '/x',
    });
    // Every name the fragment declares carries the prefix: nothing left that could clash with the operator's.
    const declared = (text: string) => [...text.matchAll(/^(?:upstream|map \S+) \$?(\S+) \{/gm)].map((m) => m[1]);
    expect(declared(edge.get('prism-http.conf') ?? '').every((n) => n.startsWith('edge'))).toBe(true);
    expect(edge.get('prism-http.conf')).toContain('js_import edge from prism/prism.njs;');
    expect(edge.get('partitions.map')).toContain(' edge-proxy-');
  });

  it('refuses a prefix or include folder NGINX would need quoted (PRISM-LB-017)', () => {
    for (const namePrefix of ['Prism', 'a-b', 'a b', '', '1x', 'x;'])
      expect(() => nginxFragmentTarget({ includeDir: 'p', namePrefix }), namePrefix).toThrow(
        expect.objectContaining({ code: 'PRISM-LB-017' }),
      );
    for (const dir of ['a b', "a'b", 'a;b', 'a$b', 'a{b']) expect(() => includePathOf(dir), dir).toThrow(PrismError);
    expect([includePathOf('.'), includePathOf('prism/'), includePathOf('/etc/nginx/prism')]).toEqual([
      '',
      'prism/',
      '/etc/nginx/prism/',
    ]);
  });
});

describe.skipIf(!HAVE)('Prism as include files in an NGINX the operator runs', () => {
  let fleet: Awaited<ReturnType<typeof startFleet>>;
  let legacy: Backend;
  let root: string;
  let port: number;
  let statusPort: number;
  let nginx: NginxProcess | undefined;
  let watcher: ChildProcess | undefined;
  const lines: string[] = [];
  const model = {
    listen: '127.0.0.1:8080',
    missingNamespace: 'reject' as const,
    hashBalanceFactor: 0,
    healthCheckIntervalMs: 5_000,
  };
  let generated: { code: number | null; out: string };
  const prismctl = async (args: string[], cwd: string) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'prismctl.js'),
        ...args,
        '--admin',
        fleet.admin.http,
        '--ca',
        fleet.admin.caFile,
        '--token-file',
        fleet.admin.tokenFile,
      ],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    const [code] = await once(child, 'exit');
    return { code: code as number | null, out };
  };
  const lastApplied = () => lines.filter((l) => l.startsWith('applied table v')).at(-1);

  beforeAll(async () => {
    fleet = await startFleet(['f1', 'f2', 'f3'], NAMES);
    legacy = await startBackend('legacy');
    root = mkdtempSync(join(tmpdir(), 'prism-nginx-operator-'));
    port = await freePort();
    statusPort = await freePort();
    writeFileSync(join(root, 'nginx.conf'), operatorConf(port, statusPort, legacy));
    // As an operator runs it: from the main file's folder, a relative --out, checked with the main file.
    generated = await prismctl(
      ['lb', 'generate', '--target', 'nginx', '--fragment', '--out', 'prism', '--check-with', 'nginx.conf'],
      root,
    );
    nginx = await startNginx(root, port);
  }, 60_000);

  afterAll(async () => {
    if (watcher && watcher.exitCode === null && watcher.signalCode === null) {
      const exited = once(watcher, 'exit');
      watcher.kill('SIGTERM');
      await exited;
    }
    await nginx?.stop();
    await fleet?.stop();
    await legacy?.stop();
    if (root) removeDir(root);
  });

  it('with njs: every namespace lands on its owner; the operator’s other location and server are untouched', async () => {
    expect(generated.code, generated.out).toBe(0);
    expect(generated.out).toMatch(
      /wrote .*prism-http\.conf to prism \(checked by nginx, nginx\.conf checked by nginx -t\)/,
    );
    expect(generated.out).toContain('include prism/prism-http.conf;');
    const http = readFileSync(join(root, 'prism', 'prism-http.conf'), 'utf8');
    // Nothing of this machine's paths in files meant for git: the includes are relative to the main file.
    expect(http).toContain('include prism/partitions.map;');
    expect(http).toContain('js_import prism from prism/prism.njs;');
    expect(http).not.toContain(root);
    expect(await misrouted(port, await fleet.router())).toEqual([]);
    expect(await otherTraffic(port, statusPort)).toEqual(UNTOUCHED);
    const missing = await fetch(`http://127.0.0.1:${port}/x`);
    expect([missing.status, missing.headers.get('content-type'), (await missing.json()).error.code]).toEqual([
      400,
      'application/json',
      'PRISM-NS-002',
    ]);
  });

  it('without njs (exact namespace map): every registered namespace lands on its owner, other traffic untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-nginx-operator-plain-'));
    const plainPort = await freePort();
    const plainStatus = await freePort();
    let plain: NginxProcess | undefined;
    try {
      writeFileSync(
        join(dir, 'nginx.conf'),
        operatorConf(plainPort, plainStatus, legacy).replace(`load_module ${NJS_MODULE};\n`, ''),
      );
      await generateNginxFragment(
        {
          ...model,
          nginxNjs: false,
          table: await fleet.table(),
          namespaces: NAMES,
          target: 'nginx',
          outDir: join(dir, 'prism'),
          targetImpl: nginxFragmentTarget({ includeDir: 'prism', namePrefix: 'prism_edge' }),
        },
        join(dir, 'nginx.conf'),
      );
      expect(readFileSync(join(dir, 'prism', 'prism-location.conf'), 'utf8')).toContain(
        'proxy_pass http://$prism_edge_upstream;',
      );
      plain = await startNginx(dir, plainPort);
      expect(await misrouted(plainPort, await fleet.router())).toEqual([]);
      expect(await otherTraffic(plainPort, plainStatus)).toEqual(UNTOUCHED);
    } finally {
      await plain?.stop();
      removeDir(dir);
    }
  });

  it('lb watch --fragment without a master to reload, or a fragment option without --fragment, is refused with PRISM-LB-017', async () => {
    const watch = await prismctl(['lb', 'watch', '--target', 'nginx', '--fragment', '--out', 'prism'], root);
    expect([watch.code, watch.out]).toEqual([1, expect.stringContaining('PRISM-LB-017')]);
    expect(watch.out).toContain('--nginx-pid-file');
    const plain = await prismctl(
      ['lb', 'generate', '--target', 'nginx', '--out', 'x', '--check-with', 'nginx.conf'],
      root,
    );
    expect([plain.code, plain.out]).toEqual([
      1,
      expect.stringContaining('PRISM-LB-017: --check-with applies to --fragment'),
    ]);
  });

  it('lb watch --fragment --nginx-pid-file follows a join and a leave by reloading that master (same PID); a broken operator file is refused with PRISM-LB-015 while NGINX keeps serving', async () => {
    const master = nginx?.pid ?? 0;
    const mainConf = join(root, 'nginx.conf');
    watcher = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'prismctl.js'),
        'lb',
        'watch',
        '--target',
        'nginx',
        '--fragment',
        '--out',
        join(root, 'prism'),
        '--include-dir',
        'prism',
        '--nginx-pid-file',
        join(root, 'nginx.pid'),
        '--nginx-conf',
        mainConf,
        '--admin',
        fleet.admin.http,
        '--ca',
        fleet.admin.caFile,
        '--token-file',
        fleet.admin.tokenFile,
        '--interval-ms',
        '50',
        '--metrics-listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    createInterface({ input: watcher.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
    watcher.stderr?.on('data', (d) => lines.push(`stderr: ${d}`));
    const current = (await fleet.table()).version;
    await until(() => lastApplied()?.startsWith(`applied table v${current} `), 20_000, 'first apply');
    const routesExact = (what: string) =>
      until(async () => (await misrouted(port, await fleet.router())).length === 0, 20_000, what);

    // A proxy joins: the admin moves partitions to it; NGINX follows by reload, same master.
    const joined = await fleet.join('f4');
    await settledTable(fleet.admin.http, (t) => (t.proxies ?? []).some((p) => p.id === 'f4'), 20_000);
    await until(() => joined.proxy.state.advertisements.size === NAMES.length, 15_000, 'f4 has every namespace');
    await routesExact('namespaces on their owners after the join');
    const router = await fleet.router();
    expect(NAMES.filter((ns) => router.route(ns).owner === 'f4').length).toBeGreaterThan(3);
    expect(lastApplied()).toMatch(/reloaded \(.*changed; new worker \d+\)$/);

    // A proxy leaves: its partitions go to the others.
    const gone = fleet.proxies.find((p) => p.id === 'f2');
    if (!gone) throw new Error('no f2');
    await gone.stop();
    removeDir(gone.stateDir);
    fleet.proxies.splice(fleet.proxies.indexOf(gone), 1);
    await settledTable(fleet.admin.http, (t) => !(t.proxies ?? []).some((p) => p.id === 'f2'), 20_000);
    await routesExact('namespaces on their owners after the leave');
    expect(readFileSync(join(root, 'prism', 'prism-http.conf'), 'utf8')).not.toContain('prism-f2 ');
    expect(readFileSync(join(root, 'nginx.pid'), 'utf8').trim()).toBe(String(master));

    // The operator breaks their own file; the next table must not reload it.
    const good = readFileSync(mainConf, 'utf8');
    const keptFragment = readFileSync(join(root, 'prism', 'prism-http.conf'), 'utf8');
    writeFileSync(mainConf, good.replace('location /other {', 'location /other {\n            not_a_directive on;'));
    const workers = workersOf(master);
    const before = (await fleet.table()).version;
    await fleet.join('f5');
    await settledTable(fleet.admin.http, (t) => (t.proxies ?? []).some((p) => p.id === 'f5'), 20_000);
    const refused = await until(
      () => lines.find((l) => /^not applied table v\d+ \(PRISM-LB-015: nginx -t refused/.test(l)),
      20_000,
      'the watcher refuses the broken operator file',
    );
    expect(refused).toContain('unknown directive "not_a_directive"');
    // The old fragment files are back, NGINX was not reloaded and serves every namespace (the old owners forward).
    expect(readFileSync(join(root, 'prism', 'prism-http.conf'), 'utf8')).toBe(keptFragment);
    expect(workersOf(master)).toEqual(workers);
    const served = await Promise.all(NAMES.map((ns) => ask(port, ns)));
    expect(served.map((a) => a.status)).toEqual(NAMES.map(() => 200));
    expect(await otherTraffic(port, statusPort)).toEqual(UNTOUCHED);
    const url = lines.map((l) => /^metrics on (\S+)$/.exec(l)?.[1]).find(Boolean) as string;
    const metrics = await (await fetch(url)).text();
    expect(metrics).toMatch(/prism_lb_watch_apply_failures_total\{reason="PRISM-LB-015",target="nginx"\} [1-9]/);
    expect(metrics).toContain('prism_lb_watch_in_sync{target="nginx"} 0');

    // Fixed: the watcher's retry applies the newest table.
    writeFileSync(mainConf, good);
    const newest = (await fleet.table()).version;
    expect(newest).toBeGreaterThan(before);
    await until(() => lastApplied()?.startsWith(`applied table v${newest} `), 20_000, 'applied once fixed');
    await routesExact('namespaces on their owners after the fix');
    expect(readFileSync(join(root, 'nginx.pid'), 'utf8').trim()).toBe(String(master));
    expect(nginx?.child.exitCode).toBeNull();
    const final = await (await fetch(url)).text();
    const sum = Number(/prism_lb_watch_apply_duration_seconds_sum\{target="nginx"\} (\S+)/.exec(final)?.[1]);
    const count = Number(/prism_lb_watch_apply_duration_seconds_count\{target="nginx"\} (\S+)/.exec(final)?.[1]);
    console.log(
      `nginx fragment watch: ${count} applies (write, nginx -t on the operator's file, SIGHUP, new worker seen), ${Math.round((1000 * sum) / count)} ms each on average`,
    );
  }, 90_000);
});
