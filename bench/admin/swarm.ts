import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SwarmCommand, SwarmReply } from './swarm-protocol.js';
import { onAbort } from './teardown.js';

/** The parent's handle on the proxy-swarm child process. */
export class Swarm {
  private readonly child: ChildProcess;
  private readonly replies: ((reply: SwarmReply) => void)[] = [];
  private readonly forget: () => void;

  constructor() {
    this.child = fork(fileURLToPath(new URL('./proxy-swarm.js', import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: SwarmReply) => this.replies.shift()?.(reply));
    const pid = this.child.pid;
    this.forget = onAbort(() => pid && process.kill(pid, 'SIGKILL'));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Sends one command and resolves with its reply (a `failed` reply rejects). */
  call<Op extends SwarmReply['op']>(cmd: SwarmCommand, expect: Op): Promise<Extract<SwarmReply, { op: Op }>> {
    return new Promise((resolve, reject) => {
      this.replies.push((reply) => {
        if (reply.op === expect) resolve(reply as Extract<SwarmReply, { op: Op }>);
        else reject(new Error(`proxy swarm: ${reply.op === 'failed' ? reply.error : `unexpected ${reply.op}`}`));
      });
      this.child.send(cmd);
    });
  }

  /** Closes every simulated proxy, then waits (at most 5 s) for the child to exit before killing it. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.forget();
    const exited = once(this.child, 'exit');
    await this.call({ op: 'close' }, 'closed').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.forget();
  }
}
