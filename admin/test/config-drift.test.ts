import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFingerprint, driftingFingerprints } from '../../core/src/config/fingerprint.js';
import { adminFetch, api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { removeDir, type StartedProxy, startProxy, until } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';

describe('config fingerprints', () => {
  it('ignore what differs per proxy by design and the order of keys, not a setting', () => {
    const a = { id: 'a', listen: '0.0.0.0:1', stateDir: '/x', forwarding: { mode: 'transparent', timeoutMs: 5 } };
    const b = { forwarding: { timeoutMs: 5, mode: 'transparent' }, stateDir: '/y', listen: '0.0.0.0:2', id: 'b' };
    expect(configFingerprint(a)).toBe(configFingerprint(b));
    expect(configFingerprint({ ...a, forwarding: { mode: 'redirect', timeoutMs: 5 } })).not.toBe(configFingerprint(a));
  });

  it('take the admin list as a set: proxies spread over admins by listing them in another order do not drift', () => {
    const a = { admin: ['a1:8981', 'a2:8981', 'a3:8981'], forwarding: { mode: 'transparent' } };
    expect(configFingerprint({ ...a, admin: ['a3:8981', 'a1:8981', 'a2:8981'] })).toBe(configFingerprint(a));
    expect(configFingerprint({ ...a, admin: ['a1:8981', 'a2:8981'] })).not.toBe(configFingerprint(a));
    expect(configFingerprint({ ...a, forwarding: { mode: ['x', 'y'] } })).not.toBe(
      configFingerprint({ ...a, forwarding: { mode: ['y', 'x'] } }),
    );
  });

  it('single out only what differs from a strict majority', () => {
    expect([...driftingFingerprints(['x', 'x', 'y'])]).toEqual(['y']);
    expect([...driftingFingerprints(['x', 'y'])]).toEqual([]);
    expect([...driftingFingerprints(['x', 'x', '', 'y'])]).toEqual(['y']);
  });
});

describe('a proxy that runs with other settings than the rest (real admin and proxies)', () => {
  let admin: StartedAdmin;
  const proxies: StartedProxy[] = [];

  beforeAll(async () => {
    admin = await startAdmin();
    proxies.push(await startProxy('proxy-a', [admin.grpc]));
    proxies.push(await startProxy('proxy-b', [admin.grpc]));
    proxies.push(await startProxy('proxy-c', [admin.grpc], { forwarding: { timeoutMs: 1_234 } }));
    await until(
      async () => ((await api(admin.http, 'GET', '/v1/proxies')).json as { proxies?: unknown[] }).proxies?.length === 3,
      15_000,
      'three proxies registered',
    );
  }, 60_000);
  afterAll(async () => {
    for (const p of proxies) {
      await p.stop();
      removeDir(p.stateDir);
    }
    await admin?.stop();
  });

  it('is marked in the proxy list, counted in the metrics and named by prismctl proxies', async () => {
    const list = (await api(admin.http, 'GET', '/v1/proxies')).json as {
      proxies: { id: string; configHash: string; configDrift?: boolean }[];
    };
    const byId = Object.fromEntries(list.proxies.map((p) => [p.id, p]));
    expect(byId['proxy-a'].configHash).toMatch(/^[0-9a-f]{16}$/);
    expect(byId['proxy-a'].configHash).toBe(byId['proxy-b'].configHash);
    expect(byId['proxy-c'].configHash).not.toBe(byId['proxy-a'].configHash);
    expect(list.proxies.filter((p) => p.configDrift).map((p) => p.id)).toEqual(['proxy-c']);

    const metrics = await (await adminFetch(admin.http, '/metrics')).text();
    expect(metrics).toMatch(/^prism_admin_proxies_config_drift 1$/m);
    expect(metrics).toMatch(/^prism_admin_proxy_config_fingerprints 2$/m);

    const cli = await runBin(
      'prismctl',
      ['proxies', '--admin', admin.http, '--token-file', admin.tokenFile, '--ca', admin.caFile],
      admin.dir,
    );
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/proxy-c .*\(differs\)/);
    expect(cli.stdout).toContain("proxy-c runs with settings that differ from the other proxies'");
    expect(cli.stdout).not.toMatch(/proxy-a .*\(differs\)/);
  });
});
