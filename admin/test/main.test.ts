import { describe, expect, it } from 'vitest';
import { runBin } from '../../test-support/run.js';

describe('prism-admin command line', () => {
  it('maps the contract flags onto the configuration', async () => {
    const r = await runBin('prism-admin', [
      '--print-config',
      '--data-dir',
      '/srv/prism',
      '--grpc-listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
      '--etcd',
      'http://127.0.0.1:2379,http://127.0.0.1:2380',
    ]);
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout);
    expect(config).toMatchObject({
      profile: 'development',
      dataDir: '/srv/prism',
      grpcListen: '127.0.0.1:0',
      etcd: ['http://127.0.0.1:2379', 'http://127.0.0.1:2380'],
    });
    expect(config.leases.defaultTtlSeconds).toBe(86_400);
  });

  it('stops with a coded error naming the option on a bad value', async () => {
    const r = await runBin('prism-admin', ['--grpc-listen', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CONFIG-001: option grpcListen = "nowhere" is invalid');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses --etcd until the etcd store exists, instead of silently using SQLite', async () => {
    const r = await runBin('prism-admin', ['--etcd', 'http://127.0.0.1:2379', '--data-dir', '/nonexistent-prism-test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CONFIG-004: etcd storage');
  });

  it('--help lists the contract flags', async () => {
    const r = await runBin('prism-admin', ['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--data-dir', '--grpc-listen', '--http-listen', '--etcd', '--profile', '--config']) {
      expect(r.stdout).toContain(flag);
    }
  });
});
