import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type Backend, removeDir, startBackend, until } from '../../test-support/proxy-harness.js';
import { fleetConfigFile, type ProxyProcess, spawnProxy } from '../../test-support/spawn-program.js';

/** A POST of `bytes` through the proxy; its status. */
async function post(proxy: ProxyProcess, bytes: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${proxy.port}/items`, {
    method: 'POST',
    headers: { 'x-prism-namespace': 'orders-prod', 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(bytes, 1),
  });
  await res.arrayBuffer();
  return res.status;
}

/** A GET of orders-prod whose backend answers after `delayMs`; its status. */
async function slowGet(proxy: ProxyProcess, delayMs: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${proxy.port}/slow?delay=${delayMs}`, {
    headers: { 'x-prism-namespace': 'orders-prod' },
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends a request's first header line and no more; resolves with what the proxy answers, and when. */
function slowHeaders(proxy: ProxyProcess): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    const socket = connect(proxy.port, '127.0.0.1', () => socket.write('GET /items HTTP/1.1\r\nHost: x\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(20_000, () => socket.destroy());
  });
}

/** prism_proxy_backend_up series on the proxy's /metrics, by backend URL. */
async function backendUp(proxy: ProxyProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${proxy.ops}/metrics`)).text();
  const up: Record<string, number> = {};
  for (const m of text.matchAll(/^prism_proxy_backend_up\{[^}]*backend="([^"]+)"[^}]*\} (\d+)$/gm))
    up[m[1]] = Number(m[2]);
  return up;
}

describe('SIGHUP reloads the config file of a running prism-proxy (real processes)', () => {
  let admin: StartedAdmin;
  let backend: Backend;
  let proxy: ProxyProcess;
  let stateDir: string;
  let file: string;
  let base: Record<string, unknown>;

  /** Writes the file, sends SIGHUP, and resolves with the log line that answers it. */
  const hangup = async (config: unknown) => {
    writeFileSync(file, JSON.stringify(config));
    const seen = proxy.logs.length;
    process.kill(proxy.pid, 'SIGHUP');
    return until(
      () =>
        proxy.logs.slice(seen).find((l) => typeof l.msg === 'string' && /^configuration (not )?reloaded/.test(l.msg)),
      10_000,
      'the reload answered in the log',
    );
  };

  beforeAll(async () => {
    admin = await startAdmin();
    backend = await startBackend('b1');
    stateDir = mkdtempSync(join(tmpdir(), 'prism-reload-'));
    file = await fleetConfigFile('proxy-a', stateDir, { limits: { maxBodyBytes: 1_000 } });
    base = JSON.parse(readFileSync(file, 'utf8'));
    proxy = await spawnProxy('proxy-a', admin.grpc, stateDir, { config: file });
    expect(
      (await api(admin.http, 'POST', '/v1/namespaces', { name: 'orders-prod', backends: [backend.url] })).status,
    ).toBe(201);
    await until(async () => (await post(proxy, 10)) === 200, 15_000, 'the proxy serves orders-prod');
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await backend?.stop();
    await admin?.stop();
    removeDir(stateDir);
  });

  it('takes a reloadable option at once and logs the new config version', async () => {
    expect(await post(proxy, 2_000)).toBe(413);
    const line = await hangup({ ...base, limits: { maxBodyBytes: 100_000 } });
    expect(line).toMatchObject({ msg: 'configuration reloaded', changed: ['limits.maxBodyBytes'] });
    expect(line.configVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(await post(proxy, 2_000)).toBe(200);
  });

  it('refuses an invalid file with a coded error and keeps running on the previous configuration', async () => {
    const line = await hangup({ ...base, limits: { maxBodyBytes: 'lots' } });
    expect(line).toMatchObject({
      msg: 'configuration not reloaded; running on with the previous one',
      code: 'PRISM-CONFIG-001',
    });
    expect(String(line.err)).toContain('limits.maxBodyBytes');
    expect(await post(proxy, 2_000)).toBe(200);
  });

  it('refuses a change to an option that needs a restart, naming it, and applies nothing of that file', async () => {
    const line = await hangup({ ...base, limits: { maxBodyBytes: 10 }, forwarding: { mode: 'redirect' } });
    expect(line).toMatchObject({ code: 'PRISM-CONFIG-009' });
    expect(String(line.err)).toContain('forwarding.mode');
    // The reloadable change in the same file was not applied either.
    expect(await post(proxy, 2_000)).toBe(200);
    expect(proxy.child.exitCode).toBeNull();
  });

  // Each of the following writes the first file with one group changed (the earlier changes go back).

  it('forwarding.timeoutMs: a forward timeout reloads for the pools already open', async () => {
    expect(await slowGet(proxy, 1_500)).toBe(200);
    const line = await hangup({ ...base, forwarding: { timeoutMs: 400 } });
    expect(line).toMatchObject({
      msg: 'configuration reloaded',
      changed: ['forwarding.timeoutMs', 'limits.maxBodyBytes'],
    });
    expect(await slowGet(proxy, 1_500)).toBe(504);
    expect(await slowGet(proxy, 0)).toBe(200);
  });

  it('limits.headersTimeoutMs (and the other connection timeouts): a slow client is cut at the new value', async () => {
    const line = await hangup({ ...base, limits: { ...(base.limits as object), headersTimeoutMs: 1_000 } });
    expect(line).toMatchObject({
      msg: 'configuration reloaded',
      changed: expect.arrayContaining(['limits.headersTimeoutMs']),
    });
    const slow = await slowHeaders(proxy);
    expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.text).toContain('the request headers did not arrive within 1000 ms (limits.headersTimeoutMs)');
    // The default is 10 s: well under it, with room for a busy machine.
    expect(slow.ms).toBeLessThan(8_000);
  });

  it('pools.backendRetryMs and metrics.backendSeries: a failed backend is back after the new pause; the series cap follows', async () => {
    const dead = await startBackend('dead');
    await dead.stop();
    expect(
      (await api(admin.http, 'POST', '/v1/namespaces', { name: 'retry-ns', backends: [dead.url, backend.url] })).status,
    ).toBe(201);
    await until(async () => (await backendUp(proxy))[dead.url] === 1, 15_000, 'the proxy serves retry-ns');
    const line = await hangup({ ...base, pools: { backendRetryMs: 300 }, metrics: { backendSeries: 1 } });
    expect(line).toMatchObject({
      msg: 'configuration reloaded',
      changed: expect.arrayContaining(['metrics.backendSeries', 'pools.backendRetryMs']),
    });
    // One series, the first backend by URL.
    expect(Object.keys(await backendUp(proxy))).toHaveLength(1);
    await hangup({ ...base, pools: { backendRetryMs: 300 } });
    // Round robin: within two requests one goes to the dead backend, fails, and marks it down.
    const get = () =>
      fetch(`http://127.0.0.1:${proxy.port}/`, { headers: { 'x-prism-namespace': 'retry-ns' } }).then((r) => r.status);
    const statuses = [await get(), await get()];
    expect(statuses).toContain(502);
    expect((await backendUp(proxy))[dead.url]).toBe(0);
    // Back in use after 300 ms, not the default 5 s.
    const failedAt = Date.now();
    await until(async () => (await backendUp(proxy))[dead.url] === 1, 4_000, 'the dead backend is tried again');
    expect(Date.now() - failedAt).toBeLessThan(4_000);
  });

  it('accessLog: switched on, each request gets its line; switched off, none', async () => {
    const accessLines = () => proxy.logs.filter((l) => l.kind === 'access').length;
    expect(await post(proxy, 10)).toBe(200);
    expect(accessLines()).toBe(0);
    // The boolean form of former versions still works: it means accessLog.enabled.
    expect(await hangup({ ...base, accessLog: true })).toMatchObject({
      msg: 'configuration reloaded',
      changed: expect.arrayContaining(['accessLog.enabled']),
    });
    expect(await post(proxy, 10)).toBe(200);
    const line = await until(() => proxy.logs.find((l) => l.kind === 'access'), 5_000, 'an access log line');
    expect(line).toMatchObject({ method: 'POST', path: '/items', namespace: 'orders-prod', status: 200 });
    await hangup(base);
    const seen = accessLines();
    expect(await post(proxy, 10)).toBe(200);
    // The next log line anything writes would come after; give the child a moment to flush.
    await new Promise((r) => setTimeout(r, 300));
    expect(accessLines()).toBe(seen);
  });
});
