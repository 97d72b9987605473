import { describe, expect, it } from 'vitest';
import { runBin } from '../../test-support/run.js';

describe('prism-proxy command line', () => {
  it('maps the contract flags onto the configuration', async () => {
    const r = await runBin('prism-proxy', [
      '--print-config',
      '--id',
      'edge-1',
      '--listen',
      '127.0.0.1:0',
      '--ops-listen',
      '127.0.0.1:0',
      '--admin',
      '10.0.0.1:8981,10.0.0.2:8981',
      '--advertise',
      '10.0.1.1:8980',
      '--state-dir',
      'state',
      '--forwarding',
      'redirect',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      id: 'edge-1',
      listen: '127.0.0.1:0',
      admin: ['10.0.0.1:8981', '10.0.0.2:8981'],
      advertise: '10.0.1.1:8980',
      stateDir: 'state',
      forwarding: { mode: 'redirect', maxHops: 1, timeoutMs: 30_000 },
      auth: { required: false },
    });
  });

  it('refuses production without an id, naming the fix', async () => {
    const r = await runBin('prism-proxy', ['--profile', 'production', '--advertise', '10.0.1.1:8980']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CONFIG-002: profile production needs an explicit proxy id');
    expect(r.stderr).toContain('fix: Pass --id');
  });

  it('refuses an unknown forwarding mode', async () => {
    const r = await runBin('prism-proxy', ['--forwarding', 'bounce']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PRISM-CONFIG-001: option forwarding.mode = "bounce"');
    expect(r.stderr).toContain('one of transparent, redirect, client');
  });
});
