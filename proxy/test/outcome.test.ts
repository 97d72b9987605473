import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { compileRouter } from '../../core/src/route.js';
import { api, settledTable, startAdmin } from '../../test-support/admin-harness.js';
import {
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
  withProxyTls,
} from '../../test-support/proxy-harness.js';
import { fleetConfigFile, spawnProxy } from '../../test-support/spawn-program.js';

const EXAMPLE_PLUGIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/examples/maintenance-plugin.mjs');
const NAMES = ['o-0', 'o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6', 'o-7'];

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

type Line = Record<string, unknown>;

/** A pino logger that keeps its access-log lines, and its other lines. */
function capture(): { logger: Logger; access: Line[]; other: Line[] } {
  const access: Line[] = [];
  const other: Line[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(s: string) {
        const line = JSON.parse(s) as Line;
        (line.kind === 'access' ? access : other).push(line);
      },
    },
  );
  return { logger, access, other };
}

/** An admin, a backend, and proxies `ids` with `values`, each logging into its own capture, ready. */
async function fleet(ids: string[], values: Record<string, unknown>) {
  const admin = await startAdmin();
  cleanup.push(() => admin.stop());
  const backend = await startBackend('b');
  cleanup.push(() => backend.stop());
  const logs = new Map<string, Line[]>();
  const otherLogs = new Map<string, Line[]>();
  const proxies: StartedProxy[] = [];
  for (const id of ids) {
    const { logger, access, other } = capture();
    logs.set(id, access);
    otherLogs.set(id, other);
    const dir = mkdtempSync(join(tmpdir(), `prism-proxy-${id}-`));
    const p = await startProxy(id, [admin.grpc], values, dir, logger);
    cleanup.push(async () => {
      await p.stop();
      removeDir(dir);
    });
    proxies.push(p);
  }
  for (const name of NAMES) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
  const { version } = (await settledTable(admin.http, (t) => t.proxies?.length === ids.length)) as { version: number };
  await until(
    () => proxies.every((p) => p.proxy.state.version >= version && p.proxy.state.advertisements.size === NAMES.length),
    15_000,
    'fleet ready',
  );
  const router = compileRouter(proxies[0].proxy.state.table as never);
  const ownedBy = (id: string) => NAMES.filter((n) => router.route(n).owner === id);
  return { admin, backend, proxies, logs, otherLogs, ownedBy };
}

async function metric(ops: string, line: string): Promise<number> {
  const text = await (await fetch(`${ops}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.split(' ')[1]) : 0;
}

describe('the access log', () => {
  it('a forwarded request has one line at each proxy, with the same request id and every documented field', async () => {
    const { proxies, logs, ownedBy } = await fleet(['al-1', 'al-2'], { accessLog: true });
    const [entry] = proxies;
    const ns = ownedBy('al-2')[0];
    const res = await fetch(`${entry.url}/orders/42?token=secret`, { headers: { 'x-prism-namespace': ns } });
    expect(res.status).toBe(200);
    await res.text();
    const atEntry = await until(() => logs.get('al-1')?.find((l) => l.namespace === ns), 5_000, 'entry line');
    const atOwner = await until(() => logs.get('al-2')?.find((l) => l.namespace === ns), 5_000, 'owner line');
    const version = entry.proxy.state.version;
    expect(atEntry).toMatchObject({
      proxy: 'al-1',
      method: 'GET',
      path: '/orders/42',
      namespace: ns,
      partition: expect.any(Number),
      owner: 'al-2',
      outcome: 'forwarded',
      reason: '',
      status: 200,
      ms: expect.any(Number),
      peer: 'al-2',
      upstream: 'al-2',
      tableVersion: version,
      traceId: '',
    });
    expect(atEntry.time).toEqual(expect.any(Number));
    expect(atOwner).toMatchObject({
      proxy: 'al-2',
      path: '/orders/42',
      owner: 'al-2',
      outcome: 'local',
      status: 200,
      peer: 'al-1',
      upstream: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
      tableVersion: version,
    });
    // No X-Request-Id from the client: the entry proxy's id travels with the forward.
    expect(atEntry.requestId).toMatch(/^al-1-\d+$/);
    expect(atOwner.requestId).toBe(atEntry.requestId);
    expect(JSON.stringify([atEntry, atOwner])).not.toContain('secret');
  });

  it('sampleRate keeps the same share of requests at every proxy, chosen by request id, and every failure', async () => {
    const { proxies, logs, ownedBy, backend } = await fleet(['sa-1', 'sa-2'], {
      accessLog: { enabled: true, sampleRate: 0.25 },
    });
    const ns = ownedBy('sa-2')[0];
    const N = 80;
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${proxies[0].url}/`, {
        headers: { 'x-prism-namespace': ns, 'x-request-id': `req-${i}` },
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    const ids = (id: string) => (logs.get(id) ?? []).filter((l) => l.namespace === ns).map((l) => l.requestId);
    const kept = ids('sa-1');
    expect(kept.length).toBeGreaterThan(N * 0.1);
    expect(kept.length).toBeLessThan(N * 0.45);
    await until(() => ids('sa-2').length === kept.length, 5_000, 'owner lines');
    expect(ids('sa-2')).toEqual(kept);

    // A 5xx is logged whatever the sample: the backend is gone, the owner answers 502 (then 503) and the entry passes it on.
    await backend.stop();
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${proxies[0].url}/`, {
        headers: { 'x-prism-namespace': ns, 'x-request-id': `gone-${i}` },
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      await res.text();
    }
    const gone = (id: string) => (logs.get(id) ?? []).filter((l) => String(l.requestId).startsWith('gone-'));
    await until(() => gone('sa-1').length === 12 && gone('sa-2').length === 12, 5_000, 'every 5xx logged');
    expect(gone('sa-2')[0]).toMatchObject({ outcome: 'failed', reason: 'backend_down', error: 'PRISM-ROUTE-006' });
    expect(gone('sa-1')[0]).toMatchObject({ outcome: 'forwarded', status: 502 });
    // Then the backend is skipped (pools.backendRetryMs): 503 PRISM-ROUTE-005, failed as well.
    expect(gone('sa-2').every((l) => l.outcome === 'failed')).toBe(true);
  });

  it('is on by default in the production profile and off in development; accessLog: false still turns it off', async () => {
    const production = await withProxyTls('pr-1', { profile: 'production', id: 'pr-1', advertise: '10.0.0.1:8980' });
    expect(loadConfig('proxy', { values: production }).accessLog).toEqual({
      enabled: true,
      sampleRate: 1,
    });
    expect(loadConfig('proxy', { values: { ...production, profile: 'staging' } }).accessLog.enabled).toBe(true);
    expect(loadConfig('proxy').accessLog.enabled).toBe(false);
    expect(loadConfig('proxy', { values: { ...production, accessLog: false } }).accessLog.enabled).toBe(false);
    expect(loadConfig('proxy', { values: { accessLog: true } }).accessLog.enabled).toBe(true);
  });
});

describe('outcome metrics', () => {
  it('a client-mode 421 counts as misdirected, not as a hop_limit forwarding failure', async () => {
    const { proxies, ownedBy } = await fleet(['cm-1', 'cm-2'], { forwarding: { mode: 'client' } });
    const ns = ownedBy('cm-2')[0];
    const res = await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': ns } });
    expect(res.status).toBe(421);
    expect((await res.json()).error.code).toBe('PRISM-ROUTE-001');
    await until(async () => (await metric(proxies[0].ops, 'prism_proxy_requests_total{outcome="misdirected"}')) >= 1);
    expect(await metric(proxies[0].ops, 'prism_forwarding_failures_total{reason="hop_limit"}')).toBe(0);
  });
});

describe('user route hooks', () => {
  it('see the owner, run before the built-in decision, and a decision the proxy cannot act on is logged as PRISM-PLUGIN-002', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-plugin-'));
    cleanup.push(() => removeDir(dir));
    const file = join(dir, 'spy.mjs');
    writeFileSync(
      file,
      `export default (options, env) => ({
        name: 'spy',
        hooks: {
          route(ctx) {
            if (ctx.namespace === options.smuggle)
              return { type: 'forward', target: { kind: 'peer', origin: 'http://127.0.0.1:9', name: 'nobody' } };
            return { type: 'respond', status: 299, headers: { 'x-owner': ctx.owner, 'x-self': env.self } };
          },
        },
      });\n`,
    );
    const { proxies, ownedBy, otherLogs } = await fleet(['ur-1', 'ur-2'], {
      plugins: [{ module: file, options: { smuggle: 'o-0' } }],
    });
    const remote = ownedBy('ur-2').find((n) => n !== 'o-0') as string;
    const seen = await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': remote } });
    expect(seen.status).toBe(299);
    expect(seen.headers.get('x-owner')).toBe('ur-2');
    expect(seen.headers.get('x-self')).toBe('ur-1');
    const smuggled = await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': 'o-0' } });
    expect(smuggled.status).toBe(500);
    // The client learns the request id; the log names the plugin and what it did wrong.
    const { error } = await smuggled.json();
    expect(error.code).toBe('PRISM-INTERNAL-001');
    const id = /request id (\S+)\)/.exec(error.message)?.[1];
    const line = otherLogs.get('ur-1')?.find((l) => l.requestId === id && l.msg === 'request failed') as
      | { err: { code: string; message: string } }
      | undefined;
    expect(line?.err.code).toBe('PRISM-PLUGIN-002');
    expect(line?.err.message).toContain('plugin "spy" (route hook) returned a forward decision to peer "nobody"');
  });
});

describe('a user plugin loaded from a config file', () => {
  it("the example plugin's route hook decides for its namespaces at every proxy, and not for the others", async () => {
    const admin = await startAdmin();
    cleanup.push(() => admin.stop());
    const [backend, pinnedBackend] = await Promise.all([startBackend('b'), startBackend('pinned')]);
    cleanup.push(() => backend.stop());
    cleanup.push(() => pinnedBackend.stop());
    for (const name of NAMES) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
    const [down, pinned] = NAMES;
    const plugins = [
      {
        module: EXAMPLE_PLUGIN,
        options: { maintenance: [down], retryAfterSeconds: 60, pin: { [pinned]: pinnedBackend.url } },
      },
    ];
    const started = [];
    for (const id of ['pl-1', 'pl-2']) {
      const dir = mkdtempSync(join(tmpdir(), `prism-proxy-${id}-`));
      const config = await fleetConfigFile(id, dir, { plugins, accessLog: true });
      const p = await spawnProxy(id, admin.grpc, dir, { config });
      cleanup.push(async () => {
        await p.stop();
        removeDir(dir);
      });
      started.push(p);
    }
    const ask = async (port: number, ns: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/x`, { headers: { 'x-prism-namespace': ns } });
      return { res, body: await res.text() };
    };
    const { version } = (await settledTable(admin.http, (t) => t.proxies?.length === 2)) as { version: number };
    for (const p of started) {
      await until(
        async () => (await (await fetch(`${p.ops}/prism/v1/partition-table`)).json()).version >= version,
        15_000,
        'proxy has the settled table',
      );
    }

    // Ready when every proxy serves every namespace the plugin leaves alone (advertisements, peer pools).
    for (const p of started)
      for (const other of NAMES.slice(2))
        await until(
          async () => {
            return (await ask(p.port, other)).res.status === 200;
          },
          15_000,
          `${other} served`,
        );

    for (const [i, p] of started.entries()) {
      const refused = await ask(p.port, down);
      expect(refused.res.status).toBe(503);
      expect(refused.res.headers.get('retry-after')).toBe('60');
      expect(JSON.parse(refused.body).error.code).toBe('PRISM-PLUGIN-003');
      // Answered by the proxy asked, owner or not: the plugin decided before forwarding.
      expect(refused.res.headers.get('x-prism-forwarded-by')).toBeNull();

      const pin = await ask(p.port, pinned);
      expect(pin.res.status).toBe(200);
      expect(JSON.parse(pin.body).backend).toBe('pinned');
      expect(pin.res.headers.get('x-prism-served-by')).toBe(`pl-${i + 1}`);
      expect(pin.res.headers.get('x-prism-forwarded-by')).toBeNull();

      for (const other of NAMES.slice(2)) {
        const normal = await ask(p.port, other);
        expect(normal.res.status, normal.body).toBe(200);
        expect(JSON.parse(normal.body).backend).toBe('b');
      }
    }
    // The plugin's own outcome and reason: rejected (maintenance), not failed.
    const text = await (await fetch(`${started[0].ops}/metrics`)).text();
    expect(text).toMatch(/prism_proxy_requests_total\{outcome="rejected"\} 1\n/);
    expect(text).not.toMatch(/prism_proxy_requests_total\{outcome="failed"\}/);
  });
});
