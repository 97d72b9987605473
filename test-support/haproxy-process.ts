import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { until } from './proxy-harness.js';

export interface HaproxyProcess {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs `haproxy -f DIR/haproxy.cfg` in the foreground and waits until it accepts connections on `port`.
 * `configs` (relative to DIR, which HAProxy then runs in) loads several files instead, as an operator
 * loads a fragment beside their own: `haproxy -f haproxy.cfg -f prism/prism.cfg`.
 */
export async function startHaproxy(dir: string, port: number, configs?: string[]): Promise<HaproxyProcess> {
  const args = configs ? configs.flatMap((f) => ['-f', f]) : ['-f', join(dir, 'haproxy.cfg')];
  const child = spawn('haproxy', ['-db', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(configs ? { cwd: dir } : {}),
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
      return fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-prism-namespace': 'probe' } }).then(
        () => true,
        () => false,
      );
    },
    10_000,
    'haproxy listening',
  );
  return {
    child,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(child.pid ?? 0, 'SIGTERM');
      await exited;
    },
  };
}
