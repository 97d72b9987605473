import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { runBin } from '../../test-support/run.js';

let a: StartedAdmin;
const proxies: FakeProxy[] = [];
beforeAll(async () => {
  a = await startAdmin();
  proxies.push(new FakeProxy(a.grpc, 'proxy-a'), new FakeProxy(a.grpc, 'proxy-b'));
  await proxies[0].until(() => proxies[0].tables.find((t) => t.proxies.length === 2));
});
afterAll(async () => {
  for (const p of proxies) p.kill();
  await a.stop();
});
const prismctl = (...args: string[]) =>
  runBin('prismctl', [...args, '--admin', a.http, '--ca', a.caFile, '--token-file', a.tokenFile]);

describe('prismctl against a running admin', () => {
  it('namespace reserve prints partition, owner, lease and token; get and list show it', async () => {
    const r = await prismctl(
      'namespace',
      'reserve',
      'orders-prod',
      '--backend',
      'http://127.0.0.1:9000',
      '--team',
      'orders',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^partition\s+147$/m);
    expect(r.stdout).toMatch(/^owner\s+proxy-[ab]$/m);
    expect(r.stdout).toMatch(/^token\s+eyJ[\w-]+\.[\w-]+\.[\w-]+$/m);
    const got = await prismctl('namespace', 'get', 'orders-prod', '--json');
    expect(JSON.parse(got.stdout)).toMatchObject({ name: 'orders-prod', team: 'orders', partitionId: 147 });
    const list = await prismctl('namespace', 'list');
    expect(list.stdout).toMatch(/^orders-prod\s+147\s+proxy-[ab]\s+active\s/m);
  });

  it('a duplicate reservation is a coded conflict (exit 1)', async () => {
    await prismctl('namespace', 'reserve', 'dup');
    const r = await prismctl('namespace', 'reserve', 'dup');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-NS-004: namespace "dup" is held by');
  });

  it('refresh, delete and restore', async () => {
    await prismctl('namespace', 'reserve', 'cycle', '--ttl', '7200');
    expect((await prismctl('namespace', 'refresh', 'cycle', '--ttl', '3600')).stdout).toMatch(/lease\s+active, 3600s/);
    expect((await prismctl('namespace', 'delete', 'cycle')).stdout).toMatch(/deleted 20/);
    expect((await prismctl('namespace', 'restore', 'cycle')).stdout).toMatch(/^token\s+eyJ/m);
  });

  it('proxies and partitions show', async () => {
    const p = await prismctl('proxies');
    expect(p.stdout).toMatch(/^proxy-a\s+healthy\s+127\.0\.0\.1:8980\s+1\s+\d+/m);
    const s = await prismctl('partitions', 'show');
    expect(s.stdout).toMatch(/Partition table v\d+, strategy consistent_hash, 2 proxies/);
    expect(s.stdout).toMatch(/^proxy-a\s+127\.0\.0\.1:8980\s+1\s+128$/m);
    const json = JSON.parse((await prismctl('partitions', 'show', '--json')).stdout);
    expect(json.assignments).toHaveLength(256);
  });

  it('admin status: one admin on SQLite is always the leader', async () => {
    const r = await prismctl('admin', 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^role\s+leader$/m);
    expect(r.stdout).toMatch(/^store\s+sqlite$/m);
    expect(r.stdout).toMatch(/^table version\s+[1-9]\d*$/m);
  });

  it('an unreachable admin is a coded error, not a stack trace', async () => {
    const r = await runBin('prismctl', ['proxies', '--admin', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CLI-001: cannot reach the admin at http://127.0.0.1:1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
