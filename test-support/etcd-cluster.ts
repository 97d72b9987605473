import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireBinary } from './lb-binaries.js';
import { until } from './proxy-harness.js';

/** Whether etcd runs here; under CI=true a missing etcd fails the run (see requireBinary). */
export const haveEtcd = () =>
  requireBinary('etcd', ['--version'], 'apt-get install etcd-server etcd-client') &&
  requireBinary('etcdctl', ['version'], 'apt-get install etcd-server etcd-client');

interface Member {
  name: string;
  clientUrl: string;
  peerUrl: string;
  child?: ChildProcess;
}

export interface EtcdCluster {
  /** Client URLs of every member, for --etcd. */
  endpoints: string[];
  dir: string;
  /** PIDs of the members that run now. */
  pids(): number[];
  /** SIGKILL one member (0-based). */
  kill(index: number): Promise<void>;
  /** Starts a member that was killed again, with its data directory: it rejoins. */
  restart(index: number): Promise<void>;
  /** Resolves when every running member answers /health with true. */
  healthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A failing test file must not leave etcd members behind: kill them by PID when the worker exits.
process.once('exit', () => {
  for (const child of running) if (child.pid) process.kill(child.pid, 'SIGKILL');
});

export interface EtcdTimers {
  /** --heartbeat-interval (ms); default 100, etcd's own default. */
  heartbeatMs?: number;
  /** --election-timeout (ms); default 1000, etcd's own default. */
  electionMs?: number;
}

/**
 * etcd raises a lease TTL below 1.5 election timeouts (in heartbeat ticks), rounded up to whole
 * seconds, to that: 2 s with its default timers, 1 s with FAST_ETCD. An admin's leaderTtlSeconds
 * below this buys nothing.
 */
export const FAST_ETCD: EtcdTimers = { heartbeatMs: 50, electionMs: 500 };

/**
 * A real etcd cluster on loopback (the recipe of deps.md): `size` members on free ports in a temporary
 * directory, short raft timers so that a test does not wait seconds for an election.
 */
export async function startEtcdCluster(
  size = 3,
  { heartbeatMs = 100, electionMs = 1_000 }: EtcdTimers = {},
): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-etcd-'));
  const members: Member[] = [];
  for (let i = 1; i <= size; i++) {
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `prism-test-${process.pid}-${Date.now()}`;

  const launch = (m: Member) => {
    const log = openSync(join(dir, `${m.name}.log`), 'a');
    const child = spawn(
      'etcd',
      [
        '--name',
        m.name,
        '--data-dir',
        join(dir, m.name),
        '--listen-client-urls',
        m.clientUrl,
        '--advertise-client-urls',
        m.clientUrl,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        token,
        '--initial-cluster-state',
        'new',
        '--heartbeat-interval',
        String(heartbeatMs),
        '--election-timeout',
        String(electionMs),
        '--logger',
        'zap',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    running.add(child);
    child.once('exit', () => running.delete(child));
    m.child = child;
  };

  const alive = (m: Member) => m.child && m.child.exitCode === null && m.child.signalCode === null;
  const healthy = async (timeoutMs = 15_000) => {
    await until(
      async () => {
        const answers = await Promise.all(
          members.filter(alive).map((m) =>
            fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) })
              .then((r) => r.json() as Promise<{ health?: string }>)
              .then((b) => b.health === 'true')
              .catch(() => false),
          ),
        );
        return answers.length > 0 && answers.every(Boolean);
      },
      timeoutMs,
      'etcd members healthy',
    );
  };
  const killMember = async (m: Member) => {
    const child = m.child;
    if (!child || !alive(m)) return;
    const exited = once(child, 'exit');
    process.kill(child.pid ?? 0, 'SIGKILL');
    await exited;
  };

  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    dir,
    pids: () => members.filter(alive).map((m) => m.child?.pid ?? 0),
    kill: (index) => killMember(members[index]),
    restart: async (index) => {
      if (!alive(members[index])) launch(members[index]);
    },
    healthy,
    async stop() {
      await Promise.all(members.map(killMember));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const m of members) launch(m);
    await healthy();
  } catch (err) {
    const logs = members.map((m) => {
      try {
        return `${m.name}: ${readFileSync(join(dir, `${m.name}.log`), 'utf8').slice(-2_000)}`;
      } catch {
        return '';
      }
    });
    await cluster.stop();
    throw new Error(`${(err as Error).message}\n${logs.join('\n')}`);
  }
  return cluster;
}
