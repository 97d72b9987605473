import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { PrismError } from '../../core/src/errors.js';
import { compileRouter } from '../../core/src/route.js';
import { startFleet } from '../../test-support/lb-fleet.js';
import { peerFetch, removeDir, withProxyTls } from '../../test-support/proxy-harness.js';
import { buildProxy } from '../src/proxy.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(
  ids: string[],
  values: Record<string, unknown> = {},
  names = ['f-0', 'f-1', 'f-2', 'f-3', 'f-4', 'f-5', 'f-6', 'f-7'],
) {
  const fleet = await startFleet(ids, names, values);
  cleanup.push(() => fleet.stop());
  return fleet;
}

describe('proxy features', () => {
  it('forwards to peers over h2c when forwarding.h2c is on', async () => {
    const { proxies, names } = await setup(['h1', 'h2'], { forwarding: { h2c: true } });
    const router = compileRouter(proxies[0].proxy.state.table as never);
    const ns = names.find((n) => router.route(n).owner === 'h2') as string;
    const res = await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': ns } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-forwarded-by')).toBe('h1');
    expect(res.headers.get('x-prism-served-by')).toBe('h2');
  });

  it('a proxy that sees a newer table version on a forwarded request refreshes before answering', async () => {
    const { proxies, names } = await setup(['v1', 'v2']);
    const [a] = proxies;
    const current = a.proxy.state.table;
    if (!current) throw new Error('no table');
    // Make proxy a believe an older table, as if it had missed a push.
    const stale = { ...current, version: current.version - 1 };
    a.proxy.state.table = stale;
    a.proxy.state.router = compileRouter(stale);
    // As peer v2 would send it: only a fleet certificate's table version is listened to.
    const res = await peerFetch(`${a.url}/`, 'v2', {
      'x-prism-namespace': names[0],
      'x-prism-hops': '0',
      'x-prism-table-version': String(current.version),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(a.proxy.state.version).toBe(current.version);
  });

  it('serves /metrics with the contract names on the ops port, and the table', async () => {
    const { proxies, names } = await setup(['m1', 'm2']);
    const router = compileRouter(proxies[0].proxy.state.table as never);
    const remote = names.find((n) => router.route(n).owner === 'm2') as string;
    await (await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': remote } })).text();
    await (await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': 'Bad' } })).text();
    const text = await (await fetch(`${proxies[0].ops}/metrics`)).text();
    expect(text).toContain('prism_forwarding_requests_total{from_proxy="m1",to_proxy="m2",status="200"} 1');
    expect(text).toContain('prism_forwarding_latency_seconds_count{from_proxy="m1",to_proxy="m2"} 1');
    expect(text).toContain('# TYPE prism_forwarding_failures_total counter');
    expect(text).toContain('prism_proxy_requests_total{outcome="forwarded"} 1');
    expect(text).toContain('prism_proxy_requests_total{outcome="rejected"} 1');
    expect(text).toContain(`prism_proxy_partition_table_version ${proxies[0].proxy.state.version}`);
    const table = await (await fetch(`${proxies[0].ops}/prism/v1/partition-table`)).json();
    expect(table.version).toBe(proxies[0].proxy.state.version);
  });

  it('loads a user plugin from configuration and runs its hook in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-plugin-'));
    cleanup.push(() => removeDir(dir));
    const file = join(dir, 'teapot.mjs');
    writeFileSync(
      file,
      `export default (options) => ({
        name: 'teapot',
        hooks: {
          onRequest(ctx) {
            return ctx.req.headers['x-teapot'] ? { type: 'respond', status: 418, headers: { 'x-by': options.by } } : { type: 'continue' };
          },
        },
      });\n`,
    );
    const { proxies, names } = await setup(['u1'], { plugins: [{ module: file, options: { by: 'plugin' } }] });
    const blocked = await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': names[0], 'x-teapot': '1' } });
    expect(blocked.status).toBe(418);
    expect(blocked.headers.get('x-by')).toBe('plugin');
    expect((await fetch(`${proxies[0].url}/`, { headers: { 'x-prism-namespace': names[0] } })).status).toBe(200);
  });

  it('refuses a plugin with an unknown hook at start-up, with a coded error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-plugin-'));
    cleanup.push(() => removeDir(dir));
    const file = join(dir, 'bad.mjs');
    writeFileSync(file, `export default () => ({ name: 'bad', hooks: { beforeEverything() {} } });\n`);
    const config = loadConfig('proxy', {
      values: await withProxyTls('proxy-1', {
        listen: '127.0.0.1:0',
        opsListen: '127.0.0.1:0',
        stateDir: dir,
        plugins: [{ module: file }],
      }),
    });
    const err = await buildProxy({ config, logger: pino({ level: 'silent' }) }).catch((e) => e);
    expect(err).toBeInstanceOf(PrismError);
    expect(err.code).toBe('PRISM-PLUGIN-001');
    expect(err.message).toContain('unknown hook "beforeEverything"');
  });

  it('serves h2 and HTTP/1.1 over TLS on the data port, chosen by ALPN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-tls-'));
    cleanup.push(() => removeDir(dir));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const { proxies, names } = await setup(['t1'], { tls: { certFile: cert, keyFile: key } });
    const port = Number(new URL(proxies[0].url).port);

    const h2 = await new Promise<{ status: number; alpn: string }>((resolve, reject) => {
      const session = connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
      const stream = session.request({ ':path': '/', 'x-prism-namespace': names[0] });
      stream.on('response', (h) => {
        resolve({ status: Number(h[':status']), alpn: session.alpnProtocol ?? '' });
        session.close();
      });
      stream.on('error', reject);
      stream.end();
    });
    expect(h2).toEqual({ status: 200, alpn: 'h2' });

    const h1 = await new Promise<{ status: number; version: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          rejectUnauthorized: false,
          headers: { 'x-prism-namespace': names[0] },
          ALPNProtocols: ['http/1.1'],
        } as RequestOptions,
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, version: res.httpVersion });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(h1).toEqual({ status: 200, version: '1.1' });
  });
});
