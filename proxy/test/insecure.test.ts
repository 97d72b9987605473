import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { startProxy } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';
import { spawnProgram } from '../../test-support/spawn-program.js';
import { buildProxy } from '../src/proxy.js';

// Issue 11, item 3: prism-proxy joins its admin with mTLS, or says loudly that it does not (--insecure).

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'prism-proxy-insecure-'));
  dirs.push(d);
  return d;
};
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const loopback = ['--listen', '127.0.0.1:0', '--ops-listen', '127.0.0.1:0', '--admin', '127.0.0.1:1'];

describe('prism-proxy without TLS to the admin', () => {
  it('refuses to start without controlPlane.tls and without --insecure: PRISM-CONFIG-006 on stderr, exit 1', async () => {
    const r = await runBin('prism-proxy', [...loopback, '--id', 'proxy-x', '--state-dir', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('prism-proxy listening');
    expect(r.stderr).toContain('error PRISM-CONFIG-006: prism-proxy proxy-x has no TLS to the admin');
    expect(r.stderr).toContain('fix: Give the proxy controlPlane.tls.caFile = DIR/ca.crt');
    expect(r.stderr).toContain('`prismctl certs issue --ca DIR --proxy <id>`');
    expect(r.stderr).toContain('or pass --insecure');
  });

  it('--print-config still shows the configuration it would refuse', async () => {
    const r = await runBin('prism-proxy', [...loopback, '--state-dir', tempDir(), '--print-config']);
    expect(JSON.parse(r.stdout)).toMatchObject({ insecure: false, controlPlane: { tls: { caFile: '' } } });
  });
});

describe('prism-proxy --insecure', () => {
  it('warns at start and then every interval, and says so in /healthz', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const config = loadConfig('proxy', {
      values: {
        id: 'proxy-x',
        listen: '127.0.0.1:0',
        opsListen: '127.0.0.1:0',
        admin: ['127.0.0.1:1'],
        stateDir: tempDir(),
        insecure: true,
      },
    });
    const proxy = await buildProxy({ config, logger, insecureWarningMs: 50 });
    stops.push(() => proxy.close());
    const { ops } = await proxy.listen();
    const warnings = () => lines.filter((l) => l.level === 40 && l.msg.includes('--insecure'));
    expect(warnings().length).toBeGreaterThanOrEqual(1);
    expect(warnings()[0].msg).toContain('the control stream to the admin is plaintext');
    const deadline = Date.now() + 10_000;
    while (warnings().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(warnings().length).toBeGreaterThanOrEqual(3);
    expect(await (await fetch(`http://${ops}/healthz`)).json()).toEqual({ status: 'ok', insecure: true });
  });

  it('as a process: starts and shows insecure in /healthz; a proxy with its certificate shows insecure: false', async () => {
    const p = await spawnProgram(
      'prism-proxy.js',
      [...loopback, '--id', 'proxy-x', '--state-dir', tempDir(), '--insecure'],
      'prism-proxy listening',
    );
    stops.push(() => p.stop());
    expect(p.ready.mtls).toBe(false);
    expect(await (await fetch(`http://${p.ready.ops}/healthz`)).json()).toEqual({ status: 'ok', insecure: true });
    const secure = await startProxy('proxy-a', ['127.0.0.1:1']);
    stops.push(() => secure.stop());
    expect(await (await fetch(`${secure.ops}/healthz`)).json()).toEqual({ status: 'ok', insecure: false });
  });

  it('is refused with --profile production: PRISM-CONFIG-002, exit 1', async () => {
    const r = await runBin('prism-proxy', [
      ...loopback,
      '--id',
      'proxy-x',
      '--advertise',
      '10.0.1.1:8980',
      '--state-dir',
      tempDir(),
      '--profile',
      'production',
      '--insecure',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CONFIG-002: insecure = true (--insecure) contradicts profile production');
  });
});
