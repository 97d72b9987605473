import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fleetPki } from './pki.js';
import { ROOT } from './run.js';

export interface ProgramProcess {
  child: ChildProcess;
  pid: number;
  /** The JSON log line that announced it listens (ports and addresses). */
  ready: Record<string, unknown>;
  /** Its JSON log lines since then (the newest 1,000). */
  logs: Record<string, unknown>[];
  /** Stops it by PID (SIGKILL when `kill9`) and waits for the exit. */
  stop(kill9?: boolean): Promise<void>;
}

/**
 * Starts one of bin/ (prism-admin.js, prism-proxy.js) as its own process and waits for its "listening"
 * log line. `root` runs another checkout's build (bench/ab compares two).
 */
export async function spawnProgram(
  bin: string,
  args: string[],
  readyMessage: string,
  { root = ROOT, timeoutMs = 15_000, nodeArgs = [] as string[] } = {},
): Promise<ProgramProcess> {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', bin), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = `${stderr}${d}`.slice(-4000);
  });
  const logs: Record<string, unknown>[] = [];
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${stderr}`)), timeoutMs);
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        logs.push(entry);
        if (logs.length > 1_000) logs.shift();
        if (entry.msg === readyMessage) {
          clearTimeout(timer);
          resolve(entry);
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    pid: child.pid ?? 0,
    ready,
    logs,
    async stop(kill9 = false) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(child.pid ?? 0, kill9 ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}

export interface ProxyProcess extends ProgramProcess {
  /** Data port on 127.0.0.1. */
  port: number;
  /** http://127.0.0.1:<ops port> */
  ops: string;
}

/**
 * Starts bin/prism-proxy.js on loopback ports joined to one admin, and waits until it listens: with
 * mTLS to the admin by the run's fleet PKI (a config file in its state directory), or `insecure`.
 */
export async function spawnProxy(
  id: string,
  adminGrpc: string,
  stateDir: string,
  options: {
    root?: string;
    nodeArgs?: string[];
    insecure?: boolean;
    config?: string;
    /** drain.periodMs: stop() sends SIGTERM, and the default 5 s drain would slow every test down. */
    drainPeriodMs?: number;
    /** Data and ops addresses (default 127.0.0.1:0): a restart on the same ports gives them again. */
    listen?: string;
    opsListen?: string;
  } = {},
): Promise<ProxyProcess> {
  // A config file of the caller's, --insecure, or the run's fleet certificates.
  const security = options.config
    ? ['--config', options.config]
    : options.insecure
      ? ['--insecure']
      : ['--config', await fleetConfigFile(id, stateDir)];
  const p = await spawnProgram(
    'prism-proxy.js',
    [
      ...security,
      '--id',
      id,
      '--listen',
      options.listen ?? '127.0.0.1:0',
      '--ops-listen',
      options.opsListen ?? '127.0.0.1:0',
      '--admin',
      adminGrpc,
      '--state-dir',
      stateDir,
      // Another checkout's build (bench/ab) may predate the flag.
      ...(options.root === undefined || options.root === ROOT
        ? ['--drain-period-ms', String(options.drainPeriodMs ?? 100)]
        : []),
    ],
    'prism-proxy listening',
    options,
  );
  return Object.assign(p, { port: Number(String(p.ready.data).split(':')[1]), ops: `http://${p.ready.ops}` });
}

/** A config file in `stateDir` that gives proxy `id` the run's fleet certificates for the control plane. */
export async function fleetConfigFile(
  id: string,
  stateDir: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const file = join(stateDir, 'fleet-tls.json');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ ...(await (await fleetPki()).proxy(id)), ...extra }));
  return file;
}
