import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Logger, pino } from 'pino';
import type { Finding } from './findings.js';

interface LogLine {
  level: number;
  kind?: string;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
  stack?: string;
}

/** One access-log line of prism-proxy (`accessLog: true`). */
export interface AccessLine {
  method: string;
  path: string;
  namespace: string;
  status: number;
  outcome: string;
  error?: string;
}

const firstLine = (s: string) => s.split('\n', 1)[0].slice(0, 160);

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Watches the test process the targets run in: uncaught exceptions and unhandled rejections (which
 * would end a real prism-admin or prism-proxy) and the targets' warn- and error-level log lines.
 * While the watch is on, its listeners keep the process alive and vitest leaves the errors to it.
 */
export class ProcessWatch {
  private readonly crashes: string[] = [];
  private readonly lines: { n: number; line: LogLine }[] = [];
  private readonly access: { n: number; line: AccessLine }[] = [];
  private logged = 0;
  /** Requests that reached the proxy's handler (access-log lines): how deep the cases get. */
  handled = 0;
  private readonly wakers = new Set<() => void>();

  private readonly onCrash = (err: unknown) => {
    this.crashes.push(describeError(err));
    for (const wake of this.wakers) wake();
  };

  start(): this {
    process.on('uncaughtException', this.onCrash);
    process.on('unhandledRejection', this.onCrash);
    return this;
  }

  stop(): void {
    process.off('uncaughtException', this.onCrash);
    process.off('unhandledRejection', this.onCrash);
  }

  /** A pino logger whose warn- and error-level lines, and access-log lines, the watch keeps. */
  logger(name: string): Logger {
    return pino({ name, level: 'info' }, { write: (s: string) => this.record(s) });
  }

  private record(s: string): void {
    const n = this.logged++;
    let line: LogLine;
    try {
      line = JSON.parse(s) as LogLine;
    } catch {
      line = { level: 60, msg: s };
    }
    if (line.kind === 'access') {
      this.handled++;
      this.access.push({ n, line: line as unknown as AccessLine });
    } else if (line.level >= 40) this.lines.push({ n, line });
    for (const kept of [this.lines, this.access]) if (kept.length > 2_000) kept.splice(0, 1_000);
  }

  accessSince(mark: { lines: number }): AccessLine[] {
    return this.access.filter((a) => a.n >= mark.lines).map((a) => a.line);
  }

  /** Calls `wake` on the next crash; returns the unsubscribe function. */
  onNextCrash(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }

  mark(): { crashes: number; lines: number } {
    return { crashes: this.crashes.length, lines: this.logged };
  }

  crashedSince(mark: { crashes: number }): boolean {
    return this.crashes.length > mark.crashes;
  }

  /** Crashes, and error-level log lines carrying a stack trace, since `mark`. */
  findingsSince(mark: { crashes: number; lines: number }): Finding[] {
    const out: Finding[] = this.crashes.slice(mark.crashes).map((c) => ({
      property: 'the process stays up',
      signature: `crash ${firstLine(c).replace(/\d+/g, 'N')}`,
      detail: `uncaught in the target process: ${c}`,
    }));
    for (const { n, line } of this.lines) {
      if (n < mark.lines || line.level < 50) continue;
      const stack = line.err?.stack ?? line.stack;
      if (!stack) continue;
      out.push({
        property: 'no stack trace in the log for client input',
        signature: `log "${line.msg}" ${line.err?.type ?? ''}: ${firstLine(line.err?.message ?? '').replace(/\d+/g, 'N')}`,
        detail: `${line.msg}: ${firstLine(stack)}`,
      });
    }
    return out;
  }
}

let gc: (() => void) | undefined;

/** Runs a full garbage collection (exposing gc() first when node was started without --expose-gc). */
export function collectGarbage(): void {
  if (!gc) {
    const global = globalThis as { gc?: () => void };
    if (!global.gc) setFlagsFromString('--expose-gc');
    gc = global.gc ?? (runInNewContext('gc') as () => void);
  }
  gc();
  gc();
}

export function memory(): { rss: number; heap: number } {
  collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}
