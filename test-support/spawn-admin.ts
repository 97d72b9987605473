import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './run.js';

export interface AdminProcess {
  child: ChildProcess;
  pid: number;
  http: string;
  grpc: string;
  /** Stops it by PID (SIGKILL when `kill9`) and waits for the exit. */
  stop(kill9?: boolean): Promise<void>;
}

/** Starts bin/prism-admin.js as its own process and waits for the line that names its ports. */
export async function spawnAdmin(dataDir: string, extra: string[] = []): Promise<AdminProcess> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'prism-admin.js'),
      '--data-dir',
      dataDir,
      '--grpc-listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const ready = new Promise<{ http: string; grpc: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prism-admin did not start: ${stderr}`)), 15_000);
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'prism-admin listening') {
          clearTimeout(timer);
          resolve({ http: `http://${entry.http}`, grpc: entry.grpc });
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`prism-admin exited with ${code}: ${stderr}`)));
  });
  const { http, grpc } = await ready;
  return {
    child,
    pid: child.pid ?? 0,
    http,
    grpc,
    async stop(kill9 = false) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(child.pid ?? 0, kill9 ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
