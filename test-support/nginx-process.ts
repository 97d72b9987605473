import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { NGINX_INSTALL, NJS_MODULE } from '../generator/src/lb/targets/nginx.js';
import { freePort, requireBinary } from './lb-binaries.js';
import { until } from './proxy-harness.js';

/** Whether nginx and the njs module are here; under CI=true a missing one is a failure, locally a loud skip. */
export const requireNginx = () => requireBinary('nginx', ['-v'], NGINX_INSTALL, [NJS_MODULE]);

export { freePort };

export interface NginxProcess {
  child: ChildProcess;
  pid: number;
  /** What nginx wrote to stderr (its error log). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Runs `nginx -p DIR -c nginx.conf` in the foreground and waits until it accepts connections on `port`. */
export async function startNginx(dir: string, port: number): Promise<NginxProcess> {
  const child = spawn('nginx', ['-e', 'stderr', '-p', dir, '-c', 'nginx.conf', '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(child.pid ?? 0, 'SIGTERM');
    await exited;
  };
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
        return fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-prism-namespace': 'probe' } }).then(
          async (res) => {
            await res.arrayBuffer();
            return true;
          },
          () => false,
        );
      },
      10_000,
      'nginx listening',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, pid: child.pid ?? 0, stderr: () => stderr, stop };
}
