import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTable } from '../../core/src/assign/plan.js';
import { PrismError } from '../../core/src/errors.js';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type HaproxyProcess, startHaproxy } from '../../test-support/haproxy-process.js';
import { freePort, requireBinary } from '../../test-support/lb-binaries.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';
import { generate } from '../src/lb/generate.js';
import { haproxyCommand } from '../src/lb/haproxy-runtime.js';
import { buildModel } from '../src/lb/model.js';
import { renderTarget } from '../src/lb/render.js';
import { haproxyTarget } from '../src/lb/targets/haproxy.js';
import { runWatch } from '../src/lb/watch.js';

const HAVE = requireBinary('haproxy', ['-v'], 'apt-get install haproxy');
const GOLDEN = join(import.meta.dirname, 'golden', 'haproxy');
const options = {
  listen: '127.0.0.1:8080',
  missingNamespace: 'reject' as 'reject' | 'any-proxy',
  hashBalanceFactor: 0,
  healthCheckIntervalMs: 2000,
  nginxNjs: true,
};
const fleet = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `proxy-${String.fromCharCode(97 + i)}`,
    address: `10.0.0.${i + 1}`,
    dataPort: 8980,
    opsPort: 9980,
  }));

const cases: Record<string, { table: PartitionTable; options?: Partial<typeof options> }> = {
  'consistent-hash': { table: planTable({ proxies: fleet(3) }).table },
  'key-range': {
    table: planTable({
      proxies: fleet(3),
      strategy: 'key_range',
      rules: {
        prefixRules: [
          { prefix: 'acme-', proxies: ['proxy-a'] },
          { prefix: 'eu-', proxies: ['proxy-b', 'proxy-c'] },
        ],
        namespacePins: [],
        partitionPins: [],
      },
    }).table,
  },
  'explicit-any-proxy-bounded': {
    table: planTable({
      proxies: fleet(4),
      strategy: 'explicit',
      rules: {
        prefixRules: [],
        namespacePins: [{ namespace: 'orders-prod', proxy: 'proxy-d' }],
        partitionPins: [{ partition: 7, proxy: 'proxy-a' }],
      },
    }).table,
    options: { missingNamespace: 'any-proxy', hashBalanceFactor: 150 },
  },
};

describe('HAProxy configs (golden)', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name} renders the expected files`, () => {
      const files = renderTarget(haproxyTarget, buildModel(c.table, { ...options, ...c.options }), {
        outDir: '/etc/prism/lb',
      });
      const dir = join(GOLDEN, name);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(dir, { recursive: true });
        for (const [path, text] of files) writeFileSync(join(dir, path), text);
      }
      expect([...files.keys()].sort()).toEqual(readdirSync(dir).sort());
      for (const [path, text] of files) expect(text, path).toBe(readFileSync(join(dir, path), 'utf8'));
    });
  }

  it('is byte-identical for the same table, whatever the order of its proxies', () => {
    const t = cases['key-range'].table;
    const shuffled = { ...t, proxies: [...t.proxies].reverse() };
    const a = renderTarget(haproxyTarget, buildModel(t, options), { outDir: '/x' });
    const b = renderTarget(haproxyTarget, buildModel(shuffled, options), { outDir: '/x' });
    expect([...b]).toEqual([...a]);
  });
});

describe.skipIf(!HAVE)('HAProxy checks what the generator writes', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name} passes haproxy -c`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'prism-lb-'));
      const result = await generate({ ...options, ...c.options, table: c.table, target: 'haproxy', outDir: out });
      expect(result.check).toEqual({ ok: true, output: '' });
      expect(readdirSync(out).sort()).toEqual([
        'haproxy.cfg',
        'namespace-pins.map',
        'partitions.map',
        'prefix-owners.map',
        'prefix-rules.map',
      ]);
      removeDir(out);
    });
  }

  it.each([
    ['a proxy id with a space', { id: 'proxy a' }],
    ['an address with a newline', { address: '10.0.0.1\n    server evil 6.6.6.6:80' }],
    ['an address with a brace', { address: '10.0.0.1}' }],
    ['an address with a semicolon', { address: 'host;rm' }],
    ['an address with a quote', { address: "host'x" }],
    ['an address with a hash', { address: 'host#x' }],
  ])('refuses %s before writing anything', async (_what, patch) => {
    const table = planTable({ proxies: fleet(2) }).table;
    const evil = { ...table, proxies: table.proxies.map((p, i) => (i === 0 ? { ...p, ...patch } : p)) };
    if ('id' in patch)
      evil.assignments = evil.assignments.map((a) =>
        a.owner === table.proxies[0].id ? { ...a, owner: patch.id as string } : a,
      );
    const out = mkdtempSync(join(tmpdir(), 'prism-lb-'));
    const err = await generate({ ...options, table: evil, target: 'haproxy', outDir: out }).catch((e) => e);
    expect(err).toBeInstanceOf(PrismError);
    expect(['PRISM-LB-001']).toContain(err.code);
    expect(readdirSync(out)).toEqual([]);
    removeDir(out);
  });

  it('refuses an empty fleet and a table of the wrong size', async () => {
    const table = planTable({ proxies: fleet(2) }).table;
    for (const broken of [
      { ...table, proxies: [], assignments: [] },
      { ...table, assignments: table.assignments.slice(0, 255) },
    ]) {
      const err = await generate({
        ...options,
        table: broken,
        target: 'haproxy',
        outDir: join(tmpdir(), 'never-written'),
      }).catch((e) => e);
      expect(err.code).toBe('PRISM-LB-001');
    }
    expect(existsSync(join(tmpdir(), 'never-written'))).toBe(false);
  });
});

describe.skipIf(!HAVE)('HAProxy in front of three real proxies', () => {
  let admin: StartedAdmin;
  let backend: Backend;
  const proxies: StartedProxy[] = [];
  let haproxy: HaproxyProcess | undefined;
  let out: string;
  let port: number;
  const names = Array.from({ length: 220 }, (_, i) => `tenant-${i}`);

  beforeAll(async () => {
    admin = await startAdmin();
    backend = await startBackend('b');
    for (const id of ['p1', 'p2', 'p3']) proxies.push(await startProxy(id, [admin.grpc]));
    for (const name of names) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
    await until(
      () =>
        proxies.every(
          (p) => p.proxy.state.table?.proxies.length === 3 && p.proxy.state.advertisements.size === names.length,
        ),
      15_000,
    );
    out = mkdtempSync(join(tmpdir(), 'prism-haproxy-'));
    port = await freePort();
    const table = parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json);
    await generate({
      ...options,
      healthCheckIntervalMs: 200,
      listen: `127.0.0.1:${port}`,
      table,
      target: 'haproxy',
      outDir: out,
    });
    haproxy = await startHaproxy(out, port);
  });

  afterAll(async () => {
    await haproxy?.stop();
    for (const p of proxies) {
      await p.stop();
      removeDir(p.stateDir);
    }
    await backend?.stop();
    await admin?.stop();
    removeDir(out);
  });

  const through = (ns: string) => fetch(`http://127.0.0.1:${port}/x`, { headers: { 'x-prism-namespace': ns } });

  async function sweep() {
    const router = compileRouter(parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json));
    let onOwner = 0;
    let forwarded = 0;
    for (const ns of names) {
      const res = await through(ns);
      await res.text();
      expect(res.status).toBe(200);
      if (res.headers.get('x-prism-served-by') === router.route(ns).owner) onOwner++;
      if (res.headers.get('x-prism-forwarded-by')) forwarded++;
    }
    return { onOwner, forwarded };
  }

  it('sends every one of 220 namespaces straight to its owner', async () => {
    expect(await sweep()).toEqual({ onOwner: names.length, forwarded: 0 });
  });

  it('answers a request without the header with the coded 400', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/x`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('PRISM-NS-002');
  });

  it('falls back to consistent hashing when the maps cannot place a request (forwarded share reported)', async () => {
    const socket = join(out, 'haproxy.sock');
    const maps = await haproxyCommand(socket, 'show map');
    const partitions = /\((.*partitions\.map)\)/.exec(maps)?.[1] as string;
    const version = /(\d+)/.exec(await haproxyCommand(socket, `prepare map ${partitions}`))?.[1];
    await haproxyCommand(socket, `commit map @${version} ${partitions}`);
    const { onOwner, forwarded } = await sweep();
    expect(onOwner).toBe(names.length);
    console.log(
      `HAProxy consistent-hash fallback alone: ${forwarded} of ${names.length} requests forwarded (${((100 * forwarded) / names.length).toFixed(1)}%)`,
    );
    expect(forwarded).toBeGreaterThan(0);
  });

  it('watch mode moves partitions under load within 1 s of the new version, with no failed request and no reload', async () => {
    const abort = new AbortController();
    const lines: string[] = [];
    const watching = runWatch({
      target: 'haproxy',
      outDir: out,
      model: { ...options, healthCheckIntervalMs: 200, listen: `127.0.0.1:${port}` },
      source: async () => {
        const table = parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json);
        return { table, namespaces: names };
      },
      intervalMs: 100,
      log: (l) => lines.push(l),
      signal: abort.signal,
    });
    await until(() => lines.some((l) => l.startsWith('applied table')), 5000, 'watch started');
    expect(await sweep()).toEqual({ onOwner: names.length, forwarded: 0 });

    const pidBefore = haproxy?.pid;
    let failed = 0;
    let sent = 0;
    const failures: string[] = [];
    let loading = true;
    const load = (async () => {
      for (let i = 0; loading && i < 20_000; i++) {
        const res = await through(names[i % names.length]).catch((e: Error) => e);
        sent++;
        if (res instanceof Error || res.status !== 200) {
          failed++;
          failures.push(
            res instanceof Error
              ? `${res.message} ${String((res as { cause?: unknown }).cause)}`
              : `${res.status} ${await res.text()}`,
          );
        } else await res.text();
      }
    })();

    const versionBefore = (await api(admin.http, 'GET', '/v1/partition-table')).json.version;
    const joined = await startProxy('p4', [admin.grpc]);
    proxies.push(joined);
    await until(
      async () => (await api(admin.http, 'GET', '/v1/partition-table')).json.version > versionBefore,
      5000,
      'admin table v+1',
    );
    const changedAt = Date.now();
    await until(() => joined.proxy.state.advertisements.size === names.length, 5000);
    const router = compileRouter(parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json));
    const moved = names.filter((ns) => router.route(ns).owner === 'p4');
    expect(moved.length).toBeGreaterThan(20);
    const direct = await until(
      async () => {
        const res = await through(moved[0]);
        await res.text();
        return res.headers.get('x-prism-served-by') === 'p4' && !res.headers.get('x-prism-forwarded-by')
          ? Date.now()
          : false;
      },
      5000,
      'routing to the new owner',
    );
    const tookMs = direct - changedAt;
    await new Promise((r) => setTimeout(r, 300));
    loading = false;
    await load;
    abort.abort();
    await watching;

    console.log(
      `HAProxy watch: routing reached the new owner ${tookMs} ms after table v${versionBefore + 1}; ${sent} requests under load, ${failed} failed`,
    );
    expect(tookMs).toBeLessThan(1000);
    expect(failures).toEqual([]);
    expect(failed).toBe(0);
    expect(haproxy?.pid).toBe(pidBefore);
    expect(haproxy?.child.exitCode).toBeNull();
    const after = await sweep();
    expect(after).toEqual({ onOwner: names.length, forwarded: 0 });
    expect(readFileSync(join(out, 'haproxy.cfg'), 'utf8')).toContain('server p4 ');
  });
});

describe('watch mode when the load balancer is down', () => {
  it('writes the files, reports the version it could not apply with a code and retries with growing delays', async () => {
    const out = mkdtempSync(join(tmpdir(), 'prism-watch-down-'));
    const v1 = planTable({ proxies: fleet(3) }).table;
    const v2 = planTable({ previous: v1, proxies: fleet(4) }).table;
    let calls = 0;
    const lines: string[] = [];
    const abort = new AbortController();
    const watching = runWatch({
      target: 'haproxy',
      outDir: out,
      model: options,
      source: async () => ({ table: calls++ === 0 ? v1 : v2, namespaces: [] }),
      intervalMs: 20,
      heartbeatMs: 20,
      log: (l) => lines.push(l),
      signal: abort.signal,
    });
    await until(() => lines.filter((l) => l.startsWith('not applied')).length >= 3, 5000, 'three failed attempts');
    abort.abort();
    await watching;
    expect(lines[0]).toBe(`wrote table v1 files to ${out}`);
    const failed = lines.filter((l) => l.startsWith('not applied'));
    expect(failed[0]).toMatch(/^not applied table v[12] \(PRISM-LB-004: HAProxy runtime API at .*haproxy\.sock/);
    const delays = failed.map((l) => Number(/retrying in (\d+) ms/.exec(l)?.[1]));
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays[2]).toBeGreaterThan(delays[1]);
    expect(existsSync(join(out, 'haproxy.cfg'))).toBe(true);
    removeDir(out);
  });
});
