import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from '../../test-support/admin-harness.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ask } from '../../test-support/lb-fleet.js';
import { fleetPki } from '../../test-support/pki.js';
import { type Backend, startBackend, until } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';
import { type AdminProcess, spawnAdmin } from '../../test-support/spawn-admin.js';
import { type ProxyProcess, spawnProxy } from '../../test-support/spawn-program.js';

// docs/runbooks.md, "Point a live fleet's proxies at new admins", step by step with real processes:
// export from admin A, import into admin B, then each proxy in turn restarted with --admin B while a
// bounded load runs through the proxies that are up (as a load balancer with /readyz checks sends it).

const IDS = ['proxy-a', 'proxy-b', 'proxy-c'];
const NAMES = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);

interface Member {
  id: string;
  stateDir: string;
  listen: string;
  opsListen: string;
  process: ProxyProcess;
}

const dirs: string[] = [];
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

const prismctl = (admin: AdminProcess, ...args: string[]) =>
  runBin('prismctl', [...args, '--admin', admin.http, '--ca', admin.caFile, '--token-file', admin.tokenFile]);

/** Sequential requests, each to the next proxy in `live` (the load balancer's view), until stopped. */
function loadThrough(live: Set<Member>) {
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const done = (async () => {
    for (let i = 0; running && i < 50_000; i++) {
      const members = [...live];
      const target = members[i % members.length];
      const name = NAMES[i % NAMES.length];
      sent++;
      try {
        const a = await ask(Number(target.listen.split(':')[1]), name);
        if (a.status !== 200) failures.push(`${name} via ${target.id}: ${a.status}`);
      } catch (err) {
        failures.push(`${name} via ${target.id}: ${(err as Error).message}`);
      }
    }
  })();
  return {
    failures,
    sent: () => sent,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** An admin with a config file of its own, so that SIGHUP can change it. */
async function startAdminWithFile(prefix: string) {
  const dir = tempDir(prefix);
  const pki = await fleetPki();
  const file = join(dir, 'admin.json');
  // Three proxies joining one after another move more than the default approval threshold would let
  // through without an operator; the runbook starts from a fleet that has made all its moves.
  const settings = { ...pki.admin(), rebalance: { approvalThreshold: 100 } };
  writeFileSync(file, JSON.stringify(settings));
  const admin = await spawnAdmin(dir, ['--config', file], { caFile: pki.caFile });
  stops.push(() => admin.stop());
  /** Writes `values` over the fleet TLS settings, sends SIGHUP, resolves with the log line that answers. */
  const hangup = async (values: object) => {
    writeFileSync(file, JSON.stringify({ ...settings, ...values }));
    const seen = admin.logs.length;
    process.kill(admin.pid, 'SIGHUP');
    return until(
      () =>
        admin.logs.slice(seen).find((l) => typeof l.msg === 'string' && /^configuration (not )?reloaded/.test(l.msg)),
      10_000,
      'the reload answered in the log',
    );
  };
  return { admin, hangup };
}

const ready = async (m: Member) => (await fetch(`${m.process.ops}/readyz`).catch(() => undefined))?.status === 200;

describe("runbook: point a live fleet's proxies at new admins", () => {
  it('export, import into the new admin, restart each proxy with --admin NEW: 0 failed requests, no partition moved', async () => {
    const { admin: adminA, hangup: hangupA } = await startAdminWithFile('prism-admin-a-');
    const { admin: adminB, hangup: hangupB } = await startAdminWithFile('prism-admin-b-');
    const backend: Backend = await startBackend('b');
    stops.push(() => backend.stop());

    const members: Member[] = [];
    for (const id of IDS) {
      const stateDir = tempDir(`prism-${id}-`);
      const listen = `127.0.0.1:${await freePort()}`;
      const opsListen = `127.0.0.1:${await freePort()}`;
      const process = await spawnProxy(id, adminA.grpc, stateDir, { listen, opsListen });
      const member: Member = { id, stateDir, listen, opsListen, process };
      members.push(member);
      stops.push(() => member.process.stop());
    }
    for (const name of NAMES) {
      expect((await api(adminA.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] })).status).toBe(201);
    }
    const tableOf = async (admin: AdminProcess) => (await api(admin.http, 'GET', '/v1/partition-table')).json;
    await until(
      async () => {
        const t = await tableOf(adminA);
        const settled = !(await api(adminA.http, 'GET', '/v1/partition-table/rollout')).json.inProgress;
        return settled && t.proxies?.length === 3 && (await Promise.all(members.map(ready))).every(Boolean);
      },
      30_000,
      'the fleet on admin A is ready',
    );
    // The runbook starts from a settled fleet: no moves held (approval, cooldown) for later either.
    await until(
      async () => {
        await new Promise((r) => setTimeout(r, 250)); // within the operator API's rate budget
        // proto3 JSON leaves out a zero
        return ((await api(adminA.http, 'POST', '/v1/partition-table:plan', {})).json.movedPartitions ?? 0) === 0;
      },
      30_000,
      'admin A has no moves left to make',
    );
    const live = new Set(members);
    const load = loadThrough(live);
    await until(() => load.sent() >= 30, 30_000, 'load runs');
    const before = await tableOf(adminA);

    // Step 1: a restart grace longer than the move, on both admins, without restarting them: neither
    // moves the partitions of a proxy that left it (A) or has not come yet (B).
    const longGrace = { proxies: { restartGraceSeconds: 900 } };
    for (const hangup of [hangupA, hangupB]) {
      expect(await hangup(longGrace)).toMatchObject({
        msg: 'configuration reloaded',
        changed: ['proxies.restartGraceSeconds'],
      });
    }

    // Steps 2-3: export from the old admin, import into the new one.
    const file = join(tempDir('prism-export-'), 'prism.json');
    const exported = await prismctl(adminA, 'export', '--out', file);
    expect(exported.code, exported.stderr).toBe(0);
    const imported = await prismctl(adminB, 'import', file);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`partition table v${before.version}`);

    // Step 4: each proxy in turn, with the same id, state dir and ports, at the new admin.
    for (const m of members) {
      live.delete(m);
      await m.process.stop();
      m.process = await spawnProxy(m.id, adminB.grpc, m.stateDir, { listen: m.listen, opsListen: m.opsListen });
      await until(() => ready(m), 30_000, `${m.id} ready on admin B`);
      live.add(m);
      await until(() => load.sent() >= 30 + members.indexOf(m) * 10, 30_000, 'load runs on');
    }
    // Step 5: the old admin goes; the new one's grace back to normal.
    // Step 5: every proxy healthy on the new admin before the old one stops and the grace goes back.
    // (/readyz says a proxy serves, also from its last table; only the admin knows its stream is up.)
    const healthyOnB = async () => {
      const listed = await prismctl(adminB, 'proxies', '-o', 'json');
      const proxies = JSON.parse(listed.stdout).proxies as { id: string; status: string }[];
      return proxies.filter((p) => p.status === 'PROXY_STATUS_HEALTHY').length === IDS.length;
    };
    await until(healthyOnB, 30_000, 'every proxy healthy on admin B');
    await adminA.stop();
    expect(await hangupB({})).toMatchObject({ changed: ['proxies.restartGraceSeconds'] });
    const sentDuring = load.sent();
    await until(() => load.sent() >= sentDuring + 30, 30_000, 'load runs after admin A is gone');
    await load.stop();

    expect(load.failures, `${load.failures.length} of ${load.sent()} failed`).toEqual([]);
    expect(load.sent()).toBeGreaterThanOrEqual(90);
    const after = await tableOf(adminB);
    const owners = (t: { assignments: { partition: number; owner: string }[] }) =>
      Object.fromEntries(t.assignments.map((a) => [a.partition, a.owner]));
    expect(owners(after)).toEqual(owners(before));
    const listed = await prismctl(adminB, 'proxies', '-o', 'json');
    const proxies = JSON.parse(listed.stdout).proxies as { id: string; status: string }[];
    expect(proxies.map((p) => [p.id, p.status])).toEqual(IDS.map((id) => [id, 'PROXY_STATUS_HEALTHY']));
  }, 240_000);
});
