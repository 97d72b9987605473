import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { StartedAdmin } from '../../test-support/admin-harness.js';
import { type HaproxyProcess, startHaproxy } from '../../test-support/haproxy-process.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { removeDir, until } from '../../test-support/proxy-harness.js';
import { ROOT } from '../../test-support/run.js';

export interface WatcherScrape {
  /** /metrics of `prismctl lb watch --target haproxy` after it failed to reach HAProxy and then applied. */
  text: string;
  stop(): Promise<void>;
}

/**
 * `prismctl lb watch --target haproxy` as an operator runs it, against `admin`, with its metrics
 * port: started before HAProxy, so it writes the configuration and fails to apply it (the runtime
 * socket is not there yet: apply_failures_total gets a series), then HAProxy starts from the files it
 * wrote and the watcher re-syncs (applied version, last success). The scrape is taken in sync.
 */
export async function scrapeWatcher(admin: StartedAdmin): Promise<WatcherScrape> {
  const out = mkdtempSync(join(tmpdir(), 'prism-watch-scrape-'));
  const port = await freePort();
  const lines: string[] = [];
  let haproxy: HaproxyProcess | undefined;
  const watcher: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'prismctl.js'),
      'lb',
      'watch',
      '--target',
      'haproxy',
      '--admin',
      admin.http,
      '--ca',
      admin.caFile,
      '--token-file',
      admin.tokenFile,
      '--out',
      out,
      '--listen',
      `127.0.0.1:${port}`,
      '--metrics-listen',
      '127.0.0.1:0',
      '--interval-ms',
      '200',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  createInterface({ input: watcher.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
  createInterface({ input: watcher.stderr as NodeJS.ReadableStream }).on('line', (l) => lines.push(`stderr: ${l}`));
  const stop = async () => {
    if (watcher.exitCode === null && watcher.signalCode === null) {
      const exited = once(watcher, 'exit');
      process.kill(watcher.pid ?? 0, 'SIGTERM');
      const timer = setTimeout(() => watcher.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await haproxy?.stop();
    removeDir(out);
  };
  try {
    const url = await until(
      () => lines.map((l) => /^metrics on (\S+)$/.exec(l)?.[1]).find(Boolean),
      20_000,
      `the watcher's metrics URL: ${lines.join('\n')}`,
    );
    const scrape = async () => {
      const res = await fetch(url);
      if (res.status !== 200) throw new Error(`the watcher's /metrics answered ${res.status}`);
      return res.text();
    };
    await until(
      async () =>
        existsSync(join(out, 'haproxy.cfg')) && /^prism_lb_watch_apply_failures_total\{/m.test(await scrape()),
      20_000,
      `a failed apply while HAProxy is not running: ${lines.join('\n')}`,
    );
    haproxy = await startHaproxy(out, port);
    const text = await until(
      async () => {
        const t = await scrape();
        return /^prism_lb_watch_in_sync\{target="haproxy"\} 1$/m.test(t) && t;
      },
      20_000,
      `the watcher in sync with HAProxy: ${lines.join('\n')}`,
    );
    return { text, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
