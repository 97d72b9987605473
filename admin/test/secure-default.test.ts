import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type StartedProxy, startBackend, startProxy, until } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';

// Issue 11, item 3: no unauthenticated registration in any profile, development included.

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'prism-secure-default-'));
  dirs.push(d);
  return d;
};
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('prism-admin without certificates', () => {
  it('refuses to start without tls.* and without --insecure: PRISM-CONFIG-005 on stderr, exit 1', async () => {
    const r = await runBin('prism-admin', [
      '--data-dir',
      tempDir(),
      '--grpc-listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('prism-admin listening');
    expect(r.stderr).toContain('error PRISM-CONFIG-005: prism-admin has no fleet certificates');
    expect(r.stderr).toContain('fix: Make a fleet PKI with `prismctl certs init --out DIR');
    expect(r.stderr).toContain('tls.caFile = DIR/ca.crt, tls.certFile = DIR/admins/admin.crt');
    expect(r.stderr).toContain('or pass --insecure for a throwaway experiment');
  });

  it('refuses in every profile: staging too', async () => {
    const r = await runBin('prism-admin', [
      '--profile',
      'staging',
      '--data-dir',
      tempDir(),
      '--grpc-listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
    ]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('error PRISM-CONFIG-005')]);
  });

  it('--print-config still shows the configuration it would refuse', async () => {
    const r = await runBin('prism-admin', ['--print-config']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ insecure: false, tls: { caFile: '' } });
  });
});

describe('--insecure on both programs', () => {
  it('an insecure admin and an insecure proxy still work together: plaintext gRPC, requests served', async () => {
    const admin: StartedAdmin = await startAdmin({ values: { insecure: true } });
    stops.push(() => admin.stop());
    expect(admin.http).toMatch(/^http:\/\//);
    const backend = await startBackend('plain');
    stops.push(() => backend.stop());
    const proxy: StartedProxy = await startProxy('proxy-a', [admin.grpc], { insecure: true });
    stops.push(() => proxy.stop());
    expect(proxy.proxy.certificates().control).toBeUndefined();
    const reserved = await api(admin.http, 'POST', '/v1/namespaces', { name: 'plain-ns', backends: [backend.url] });
    expect(reserved.status).toBe(201);
    await until(() => proxy.proxy.state.advertisements.has('plain-ns'), 10_000, 'advertisement');
    const res = await fetch(`${proxy.url}/`, { headers: { 'x-prism-namespace': 'plain-ns' } });
    expect([res.status, res.headers.get('x-prism-served-by')]).toEqual([200, 'proxy-a']);
    expect((await api(admin.http, 'GET', '/v1/proxies')).json.proxies.map((p: { id: string }) => p.id)).toEqual([
      'proxy-a',
    ]);
  });
});
