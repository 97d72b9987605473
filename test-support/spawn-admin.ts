import type { ChildProcess } from 'node:child_process';
import { spawnProgram } from './spawn-program.js';

export interface AdminProcess {
  child: ChildProcess;
  pid: number;
  http: string;
  grpc: string;
  /** The "prism-admin listening" log line. */
  ready: Record<string, unknown>;
  /** Stops it by PID (SIGKILL when `kill9`) and waits for the exit. */
  stop(kill9?: boolean): Promise<void>;
}

/** Starts bin/prism-admin.js as its own process and waits for the line that names its ports. */
export async function spawnAdmin(dataDir: string, extra: string[] = []): Promise<AdminProcess> {
  const p = await spawnProgram(
    'prism-admin.js',
    ['--data-dir', dataDir, '--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', ...extra],
    'prism-admin listening',
  );
  return {
    child: p.child,
    pid: p.pid,
    http: `http://${p.ready.http}`,
    grpc: String(p.ready.grpc),
    ready: p.ready,
    stop: p.stop,
  };
}
