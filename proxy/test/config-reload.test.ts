import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
});
