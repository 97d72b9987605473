import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismError } from '../../../../core/src/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * The Envoy that watch mode runs, restarted hot: epoch n+1 starts with the same --base-id, takes over
 * the listening sockets once it is initialised, and the old epoch drains and exits. A restart counts
 * only when the new epoch's admin says /ready; an epoch that exits first is PRISM-LB-007.
 */
export class EnvoySupervisor {
  private epoch = -1;
  private readonly running = new Set<ChildProcess>();
  private readonly scratch = mkdtempSync(join(tmpdir(), 'prism-envoy-admin-'));
  private output = '';

  constructor(
    private readonly config: string,
    private readonly baseId: number,
    private readonly readyTimeoutMs = 30_000,
  ) {}

  /** Pids of the epochs still running, newest last. */
  pids(): number[] {
    return [...this.running].map((c) => c.pid ?? 0);
  }

  /** Whether an epoch runs (a hot restart needs a parent; otherwise the next start is epoch 0). */
  alive(): boolean {
    return this.running.size > 0;
  }

  /** Starts the next epoch and resolves with its pid once its admin answers /ready. */
  async restart(): Promise<number> {
    this.epoch = this.alive() ? this.epoch + 1 : 0;
    const addressFile = join(this.scratch, `admin-${this.epoch}`);
    rmSync(addressFile, { force: true });
    const child = spawn(
      'envoy',
      [
        '-c',
        this.config,
        '--restart-epoch',
        String(this.epoch),
        '--base-id',
        String(this.baseId),
        '--drain-time-s',
        '2',
        '--parent-shutdown-time-s',
        '4',
        '--admin-address-path',
        addressFile,
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d) => {
      this.output = `${this.output}${d}`.slice(-2000);
    });
    child.on('error', (err) => {
      this.output = `${this.output}${err.message}`.slice(-2000);
    });
    this.running.add(child);
    child.once('exit', () => this.running.delete(child));
    const epoch = this.epoch;
    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (exited(child) || child.pid === undefined) {
        throw new PrismError(
          'PRISM-LB-007',
          `envoy epoch ${epoch} exited with ${child.exitCode ?? child.signalCode ?? 'spawn error'}: ${this.output.trim()}`,
        );
      }
      if (await this.ready(addressFile)) return child.pid;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new PrismError(
          'PRISM-LB-007',
          `envoy epoch ${epoch} was not ready within ${this.readyTimeoutMs} ms: ${this.output.trim()}`,
        );
      }
      await sleep(50);
    }
  }

  private async ready(addressFile: string): Promise<boolean> {
    let address: string;
    try {
      address = readFileSync(addressFile, 'utf8').trim();
    } catch {
      return false;
    }
    if (!address) return false;
    try {
      const res = await fetch(`http://${address}/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** SIGTERM to every epoch, SIGKILL after `graceMs`; resolves once all have exited. */
  async stop(graceMs = 10_000): Promise<void> {
    const all = [...this.running];
    const gone = Promise.all(
      all.map((c) => (exited(c) ? undefined : new Promise<void>((r) => c.once('exit', () => r())))),
    );
    for (const c of all) c.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const c of all) if (!exited(c)) c.kill('SIGKILL');
    }, graceMs);
    await gone;
    clearTimeout(timer);
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
