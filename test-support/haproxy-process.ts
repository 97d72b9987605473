import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { until } from './proxy-harness.js';

export interface HaproxyProcess {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Runs `haproxy -f DIR/haproxy.cfg` in the foreground and waits until it accepts connections on `port`. */
export async function startHaproxy(dir: string, port: number): Promise<HaproxyProcess> {
  const child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
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
