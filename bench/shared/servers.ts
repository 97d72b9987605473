import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../../test-support/run.js';

/**
 * Starts one of bench/forwarder/servers.ts's roles (the 16-byte backend, or a minimal forwarder to
 * `upstream`) as its own process, so its CPU time can be read from /proc, and waits for its port.
 * The caller stops the child.
 */
export async function startServer(role: string, upstream?: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'bench', 'forwarder', 'servers.js'), role, ...(upstream ? [String(upstream)] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line')) as [string];
  return { child, port: Number(line) };
}
