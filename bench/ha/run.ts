import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type EtcdCluster, type EtcdTimers, FAST_ETCD, startEtcdCluster } from '../../test-support/etcd-cluster.js';
import type { AdminProcess } from '../../test-support/spawn-admin.js';
import { spawnBenchAdmin } from '../admin/bench-admin.js';
import { REPO } from '../admin/paths.js';
import { benchReservations } from '../admin/reservations.js';
import { abortAll, onAbort } from '../admin/teardown.js';
import { benchFailover } from './failover.js';
import { type FailoverSeries, formatHaReport, haJson, type StoreRun } from './report.js';

/**
 * npm run bench:ha: reservations/s on SQLite and on a 3-member etcd (one admin, then three at once),
 * side by side in one run; then failover after kill -9 of the leading admin, repeated, with etcd's
 * default raft timers and the admin's default lease TTL, and with the shortened ones of docs/etcd.md.
 */
const DEADLINE_MS = 600_000;
const CONCURRENCY = 18;
const COUNT = 3_000;
const WARMUP = 1_000;
const CAP_MS = 10_000;
const args = process.argv.slice(2);
const REPEATS = args.includes('--repeats') ? Number(args[args.indexOf('--repeats') + 1]) : 5;
// --only reservations|failover: one half, for a quick look (results not written).
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';

const deadline = setTimeout(() => {
  console.error(`HA benchmark: not done after ${DEADLINE_MS / 1000} s, aborting`);
  abortAll();
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

async function withCluster<T>(timers: EtcdTimers, work: (cluster: EtcdCluster) => Promise<T>): Promise<T> {
  const cluster = await startEtcdCluster(3, timers);
  const forget = onAbort(() => {
    for (const pid of cluster.pids()) process.kill(pid, 'SIGKILL');
    rmSync(cluster.dir, { recursive: true, force: true });
  });
  try {
    return await work(cluster);
  } finally {
    await cluster.stop();
    forget();
  }
}

/** `admins` admin processes on one store, warmed up, then COUNT reservations spread over them at once. */
async function storeRun(store: string, values: (i: number) => Record<string, unknown>, admins: number) {
  const started: AdminProcess[] = [];
  const dirs: string[] = [];
  const undo: (() => void)[] = [];
  try {
    for (let i = 0; i < admins; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'prism-bench-ha-store-'));
      dirs.push(dir);
      undo.push(onAbort(() => rmSync(dir, { recursive: true, force: true })));
      const admin = await spawnBenchAdmin(dir, values(i));
      started.push(admin);
      undo.push(onAbort(() => process.kill(admin.pid, 'SIGKILL')));
    }
    const token = started[0].token;
    const run = (prefix: string, count: number) =>
      Promise.all(
        started.map((a, i) =>
          benchReservations({
            http: a.http,
            caFile: a.caFile,
            token,
            adminPid: a.pid,
            concurrency: CONCURRENCY / admins,
            count: Math.ceil(count / admins),
            capMs: CAP_MS,
            prefix: `${prefix}${i}-`,
            firstIndex: 0,
          }),
        ),
      );
    await run('warmup-', WARMUP);
    return { store, admins, runs: await run('bench-', COUNT) } satisfies StoreRun;
  } finally {
    for (const a of started) await a.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const u of undo) u();
  }
}

async function failoverSeries(setup: string, timers: EtcdTimers, leaderTtlSeconds: number): Promise<FailoverSeries> {
  return withCluster(timers, async (cluster) => {
    const runs = [];
    for (let run = 0; run < REPEATS; run++) {
      const r = await benchFailover(cluster, { label: `${timers.electionMs}`, run, leaderTtlSeconds });
      console.log(
        `  ${setup} #${run + 1}: leader ${r.leaderMs.toFixed(0)} ms, reservation ${r.reservationMs.toFixed(0)} ms, table on all proxies ${r.tablePushMs.toFixed(0)} ms`,
      );
      runs.push(r);
    }
    return { setup, runs };
  });
}

try {
  const startedAt = new Date();
  const started = performance.now();
  const reservations: StoreRun[] = [];
  if (only !== 'failover') reservations.push(await storeRun('sqlite', () => ({}), 1));
  if (only !== 'failover')
    await withCluster({}, async (cluster) => {
      const etcd = (prefix: string) => (i: number) => ({
        etcd: { endpoints: cluster.endpoints, prefix, adminId: `admin-${i}` },
      });
      reservations.push(await storeRun('etcd', etcd('/bench-one/'), 1));
      reservations.push(await storeRun('etcd', etcd('/bench-three/'), 3));
    });
  console.log('reservations done; failover runs:');
  const failover =
    only === 'reservations'
      ? []
      : [
          await failoverSeries(
            'etcd 100/1000 ms (its defaults), leaderTtlSeconds 2 (default)',
            { heartbeatMs: 100, electionMs: 1_000 },
            2,
          ),
          await failoverSeries('etcd 50/500 ms, leaderTtlSeconds 1 (docs/etcd.md)', FAST_ETCD, 1),
        ];
  const results = { reservations, failover, startedAt, elapsedS: (performance.now() - started) / 1000 };
  const report = formatHaReport(results);
  console.log(`\n${report}`);

  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of only
    ? []
    : [
        [join(dir, 'ha.json'), `${JSON.stringify(haJson(results), null, 2)}\n`],
        [join(dir, 'ha.md'), `\`\`\`\n${report}\n\`\`\`\n`],
      ]) {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    console.log(`wrote ${relative(REPO, file)}`);
  }
  if (reservations.some((s) => s.runs.some((r) => r.failures > 0))) process.exitCode = 1;
} catch (err) {
  console.error('HA benchmark failed:', err);
  abortAll();
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
}
