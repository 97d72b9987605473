import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { until as waitUntil } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'prismctl-fleet-'));
let a: StartedAdmin;
const proxies: FakeProxy[] = [];
beforeAll(async () => {
  // Rounds of 26 with a short settle (so that drain --wait sees them); automatic changes above 30 % wait for an operator.
  a = await startAdmin({
    values: { rebalance: { maxMovePercent: 10, settleMs: 200, approvalThreshold: 30 } },
  });
});
afterAll(async () => {
  for (const p of proxies) p.kill();
  await a.stop();
  rmSync(dir, { recursive: true, force: true });
});
const prismctl = (...args: string[]) =>
  runBin('prismctl', [...args, '--admin', a.http, '--ca', a.caFile, '--token-file', a.tokenFile], dir);
const count = (t: PartitionTable | undefined, id: string) => t?.assignments.filter((x) => x.owner === id).length ?? 0;
const table = () => a.admin.fleet.currentTable() as PartitionTable;
const until = <T>(f: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000) => waitUntil(f, ms);
const idle = () => until(async () => !(await api(a.http, 'GET', '/v1/partition-table/rollout')).json.inProgress);

describe('prismctl partitions plan / apply / rollback and proxies drain against a live admin', () => {
  it('a join that moves more than the approval threshold waits; plan --out shows it and apply --plan approves it', async () => {
    proxies.push(new FakeProxy(a.grpc, 'pa'));
    await proxies[0].tableAt(1);
    proxies.push(new FakeProxy(a.grpc, 'pb'));
    await until(async () => (await api(a.http, 'GET', '/v1/partition-table/rollout')).json.awaitingApproval);
    const rollout = await prismctl('partitions', 'rollout');
    expect(rollout.stdout).toMatch(/^awaiting approval \(join\): 128 partitions from v1;/m);

    const plan = await prismctl('partitions', 'plan', '--out', 'join.json');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(
      'Against v1: 128 of 256 partitions move (50.0%) in 5 rounds of at most 26, leading to v6',
    );
    expect(plan.stdout).toMatch(/^pb\s+1\s+128\s+\+128$/m);
    expect(plan.stdout).toContain('This change (join) is awaiting approval');
    const file = JSON.parse(readFileSync(join(dir, 'join.json'), 'utf8'));
    expect(file).toMatchObject({ request: {}, plan: { fromVersion: 1, rounds: 5, maxMovesPerRound: 26 } });

    const applied = await prismctl('partitions', 'apply', '--plan', 'join.json');
    expect(applied.stdout).toContain('Applied against v1: 128 partitions move in 5 rounds');
    await until(() => count(table(), 'pb') === 128);
    await idle();
    expect(table().version).toBe(6);
  });

  it('apply --plan of a stale plan is refused with PRISM-TABLE-006, and an unreadable plan with PRISM-TABLE-005', async () => {
    const plan = await prismctl('partitions', 'plan', '--weights', 'pa=3', '--out', 'weights.json');
    expect(plan.stdout).toContain(`Against v${table().version}: 64 of 256 partitions move`);
    expect(table().proxies.map((p) => p.weight)).toEqual([1, 1]);
    // The table changes after the plan was made.
    const changed = await api(a.http, 'POST', '/v1/partition-table:apply', { weights: { pb: 2 } });
    await until(() => table().version === changed.json.table.version);
    await idle();
    expect(count(table(), 'pb')).toBe(170);
    const stale = await prismctl('partitions', 'apply', '--plan', 'weights.json');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('error PRISM-TABLE-006: the plan was made against table v6, but the table is at v');
    expect(table().proxies.find((p) => p.id === 'pa')?.weight).toBe(1);

    writeFileSync(join(dir, 'junk.json'), '{"plan": 1}');
    const junk = await prismctl('partitions', 'apply', '--plan', 'junk.json');
    expect(junk.stderr).toContain('error PRISM-TABLE-005:');
  });

  it('rollback restores the owners before the last change', async () => {
    const entries = (await api(a.http, 'GET', '/v1/audit?target=partition-table&limit=1000')).json.entries;
    expect(entries.filter((e: { action: string }) => e.action === 'move-round')).toHaveLength(7);
    const r = await prismctl('partitions', 'rollback');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Rolling back from v\d+: 42 partitions move in 2 rounds/m);
    await until(() => count(table(), 'pb') === 128);
    await idle();
    expect(table().proxies.map((p) => p.weight)).toEqual([1, 1]);
  });

  it('proxies drain --wait prints the count as it falls until the proxy owns nothing; proxies shows it; undrain', async () => {
    const r = await prismctl('proxies', 'drain', 'pb', '--wait', '--timeout', '30');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const counts = [...r.stdout.matchAll(/^pb owns (\d+) partitions/gm)].map((m) => Number(m[1]));
    expect(counts.at(-1)).toBe(0);
    expect(counts[0]).toBeGreaterThan(0);
    expect(table().proxies.map((p) => p.id)).toEqual(['pa']);
    const list = await prismctl('proxies');
    expect(list.stdout).toMatch(/^pb\s+healthy \(draining\)\s+127\.0\.0\.1:8980/m);
    expect((await prismctl('proxies', 'undrain', 'pb')).stdout).toBe('pb undrained\n');
    const unknown = await prismctl('proxies', 'drain', 'nobody');
    expect(unknown.stderr).toContain('error PRISM-FLEET-005: no proxy "nobody" has registered with this admin');
  });
});
