import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, FakeProxy } from '../../test-support/admin-harness.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { fleetPki } from '../../test-support/pki.js';
import { until } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';
import { spawnAdmin } from '../../test-support/spawn-admin.js';

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
      '--etcd-prefix',
      '/edge/',
      '--etcd-cacert',
      'ca.pem',
      '--etcd-user',
      'prism',
      '--etcd-password-file',
      'pw.txt',
    ]);
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout);
    expect(config).toMatchObject({
      profile: 'development',
      dataDir: '/srv/prism',
      grpcListen: '127.0.0.1:0',
      etcd: {
        endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:2380'],
        prefix: '/edge/',
        cacert: 'ca.pem',
        user: 'prism',
        passwordFile: 'pw.txt',
      },
    });
    expect(config.leases.defaultTtlSeconds).toBe(86_400);
  });

  it('stops with a coded error naming the option on a bad value', async () => {
    const r = await runBin('prism-admin', ['--grpc-listen', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CONFIG-001: option grpcListen = "nowhere" is invalid');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops with PRISM-STORE-003 naming the endpoints when etcd cannot be reached, instead of using SQLite', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-etcd-'));
    try {
      const r = await runBin('prism-admin', [
        '--insecure',
        '--etcd',
        `http://127.0.0.1:${port}`,
        '--data-dir',
        dir,
        '--grpc-listen',
        '127.0.0.1:0',
        '--http-listen',
        '127.0.0.1:0',
        '--config',
        writeConfig(dir, { etcd: { dialTimeoutMs: 500, requestTimeoutMs: 500 } }),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error PRISM-STORE-003: cannot reach etcd at http://127.0.0.1:${port}`);
      expect(existsSync(join(dir, 'prism-admin.sqlite'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an etcd user without a password file', async () => {
    const r = await runBin('prism-admin', [
      '--print-config',
      '--etcd',
      'http://127.0.0.1:2379',
      '--etcd-user',
      'prism',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CONFIG-002: etcd.user is set without etcd.passwordFile');
  });

  it('--help lists the contract flags', async () => {
    const r = await runBin('prism-admin', ['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--data-dir', '--grpc-listen', '--http-listen', '--etcd', '--profile', '--config']) {
      expect(r.stdout).toContain(flag);
    }
  });
});

function writeConfig(dir: string, values: object): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

describe('prism-admin on SIGHUP (a real process)', () => {
  it('takes a new log level from its config file, and refuses a change that needs a restart, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-hup-'));
    const pki = await fleetPki();
    const file = join(dir, 'admin.json');
    writeFileSync(file, JSON.stringify({ ...pki.admin(), log: { level: 'info' } }));
    const admin = await spawnAdmin(dir, ['--config', file], { caFile: pki.caFile });
    const answer = async (config: unknown) => {
      writeFileSync(file, JSON.stringify(config));
      const seen = admin.logs.length;
      process.kill(admin.pid, 'SIGHUP');
      return until(
        () =>
          admin.logs.slice(seen).find((l) => typeof l.msg === 'string' && /^configuration (not )?reloaded/.test(l.msg)),
        10_000,
        'the reload answered in the log',
      );
    };
    try {
      const reloaded = await answer({ ...pki.admin(), log: { level: 'warn' } });
      expect(reloaded).toMatchObject({ msg: 'configuration reloaded', changed: ['log.level'] });
      const refused = await answer({ ...pki.admin(), log: { level: 'warn' }, proxies: { heartbeatSeconds: 10 } });
      expect(refused).toMatchObject({ code: 'PRISM-CONFIG-009' });
      expect(String(refused.err)).toContain('proxies.heartbeatSeconds');
      expect(admin.child.exitCode).toBeNull();
    } finally {
      await admin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('prism-admin on SIGHUP: the rebalance settings (a real process)', () => {
  it('takes rebalance.maxMovePercent and approvalThreshold at once: the next plan and the next join use them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-hup-'));
    const pki = await fleetPki();
    const file = join(dir, 'admin.json');
    const base = { ...pki.admin(), rebalance: { settleMs: 0 } };
    writeFileSync(file, JSON.stringify(base));
    const admin = await spawnAdmin(dir, ['--config', file], { caFile: pki.caFile });
    const proxies: FakeProxy[] = [];
    const answer = async (config: unknown) => {
      writeFileSync(file, JSON.stringify(config));
      const seen = admin.logs.length;
      process.kill(admin.pid, 'SIGHUP');
      return until(
        () =>
          admin.logs.slice(seen).find((l) => typeof l.msg === 'string' && /^configuration (not )?reloaded/.test(l.msg)),
        10_000,
        'the reload answered in the log',
      );
    };
    const perRound = async () =>
      (await api(admin.http, 'POST', '/v1/partition-table:plan', {})).json.maxMovesPerRound as number;
    try {
      proxies.push(new FakeProxy(admin.grpc, 'proxy-a'));
      await proxies[0].until(() => proxies[0].tables.length > 0, 15_000);
      expect(await perRound()).toBe(26);
      const moved = await answer({ ...base, rebalance: { settleMs: 0, maxMovePercent: 50 } });
      expect(moved).toMatchObject({ msg: 'configuration reloaded', changed: ['rebalance.maxMovePercent'] });
      expect(await perRound()).toBe(128);

      // A join moves half the partitions: under the default threshold (50%) it goes ahead; at 10% it waits.
      const held = await answer({ ...base, rebalance: { settleMs: 0, maxMovePercent: 50, approvalThreshold: 10 } });
      expect(held).toMatchObject({ msg: 'configuration reloaded', changed: ['rebalance.approvalThreshold'] });
      proxies.push(new FakeProxy(admin.grpc, 'proxy-b'));
      const rollout = await until(
        async () => (await api(admin.http, 'GET', '/v1/partition-table/rollout')).json.awaitingApproval,
        15_000,
        'the join waits for approval',
      );
      expect(rollout.movedPartitions).toBe(128);
      expect(admin.child.exitCode).toBeNull();
    } finally {
      for (const p of proxies) p.kill();
      await admin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('prism-admin on SIGHUP: the operator API rate limits (a real process)', () => {
  it('takes new limits.operatorRequestsPerSecond and operatorBurst at once: a caller held at 429 gets through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-hup-'));
    const pki = await fleetPki();
    const file = join(dir, 'admin.json');
    const tight = { ...pki.admin(), limits: { operatorRequestsPerSecond: 1, operatorBurst: 5 } };
    writeFileSync(file, JSON.stringify(tight));
    const admin = await spawnAdmin(dir, ['--config', file], { caFile: pki.caFile });
    const statuses = async (n: number) => {
      const seen: number[] = [];
      for (let i = 0; i < n; i++) seen.push((await api(admin.http, 'GET', '/v1/proxies')).status);
      return seen;
    };
    try {
      expect(await statuses(8)).toContain(429);
      writeFileSync(
        file,
        JSON.stringify({ ...tight, limits: { operatorRequestsPerSecond: 1_000, operatorBurst: 1_000 } }),
      );
      const seen = admin.logs.length;
      process.kill(admin.pid, 'SIGHUP');
      const line = await until(
        () =>
          admin.logs.slice(seen).find((l) => typeof l.msg === 'string' && /^configuration (not )?reloaded/.test(l.msg)),
        10_000,
        'the reload answered in the log',
      );
      expect(line).toMatchObject({
        msg: 'configuration reloaded',
        changed: ['limits.operatorBurst', 'limits.operatorRequestsPerSecond'],
      });
      // The bucket refills at the new rate (one token a millisecond).
      await new Promise((r) => setTimeout(r, 100));
      expect(await statuses(20)).toEqual(Array(20).fill(200));
    } finally {
      await admin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
