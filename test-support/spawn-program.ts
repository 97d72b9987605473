import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './run.js';

export interface ProgramProcess {
  child: ChildProcess;
  pid: number;
  /** The JSON log line that announced it listens (ports and addresses). */
  ready: Record<string, unknown>;
  /** Stops it by PID (SIGKILL when `kill9`) and waits for the exit. */
  stop(kill9?: boolean): Promise<void>;
}

/** Starts one of bin/ (prism-admin.js, prism-proxy.js) as its own process and waits for its "listening" log line. */
export async function spawnProgram(
  bin: string,
  args: string[],
  readyMessage: string,
  timeoutMs = 15_000,
): Promise<ProgramProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', bin), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = `${stderr}${d}`.slice(-4000);
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${stderr}`)), timeoutMs);
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line);
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
    async stop(kill9 = false) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(child.pid ?? 0, kill9 ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
