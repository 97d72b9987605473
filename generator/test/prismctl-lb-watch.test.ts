import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyAvailable } from '../../test-support/envoy-process.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ask, startLbFleet } from '../../test-support/lb-fleet.js';
import { removeDir, until } from '../../test-support/proxy-harness.js';
import { ROOT } from '../../test-support/run.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `prismctl lb watch --target envoy` as operators run it: its own process, the Envoy it starts, its metrics. */
describe.skipIf(!envoyAvailable())('prismctl lb watch --target envoy (the process)', () => {
  let fleet: Awaited<ReturnType<typeof startLbFleet>>;
  let out: string;
  let port: number;
  let watcher: ChildProcess;
  const lines: string[] = [];
  const envoyPids = new Set<number>();

  beforeAll(async () => {
    fleet = await startLbFleet(['c1', 'c2'], 20);
    out = mkdtempSync(join(tmpdir(), 'prismctl-watch-envoy-'));
    port = await freePort();
    watcher = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'prismctl.js'),
        'lb',
        'watch',
        '--target',
        'envoy',
        '--admin',
        fleet.admin.http,
        '--ca',
        fleet.admin.caFile,
        '--token-file',
        fleet.admin.tokenFile,
        '--out',
        out,
        '--listen',
        `127.0.0.1:${port}`,
        '--metrics-listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    createInterface({ input: watcher.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      lines.push(l);
      const pid = /envoy pid (\d+)/.exec(l)?.[1];
      if (pid) envoyPids.add(Number(pid));
    });
    watcher.stderr?.on('data', (d) => lines.push(`stderr: ${d}`));
    await until(() => envoyPids.size > 0, 30_000, `envoy started by the watcher: ${lines.join('\n')}`);
  }, 60_000);

  afterAll(async () => {
    if (watcher.exitCode === null && watcher.signalCode === null) {
      const exited = once(watcher, 'exit');
      watcher.kill('SIGKILL');
      await exited;
    }
    for (const pid of envoyPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await fleet?.stop();
    removeDir(out);
  });

  it('serves through the Envoy it runs, follows a table change by long-poll, and exports its metrics', async () => {
    expect((await ask(port, fleet.names[0])).status).toBe(200);
    const before = (await fleet.table()).version;
    await fleet.join('c3');
    const t0 = Date.now();
    await until(
      async () => {
        const v = (await fleet.table()).version;
        return v > before && lines.some((l) => l.startsWith(`applied table v${v} `));
      },
      20_000,
      'new version applied',
    );
    // Far below the 25 s the admin holds a request: the long-poll answered when the table changed.
    expect(Date.now() - t0).toBeLessThan(10_000);
    const version = (await fleet.table()).version;
    expect(version).toBeGreaterThan(before);

    const url = lines.map((l) => /^metrics on (\S+)$/.exec(l)?.[1]).find(Boolean) as string;
    const text = await (await fetch(url)).text();
    expect(text).toContain(`prism_lb_watch_applied_table_version{target="envoy"} ${version}`);
    expect(text).toContain(`prism_lb_watch_admin_table_version{target="envoy"} ${version}`);
    expect(text).toContain('prism_lb_watch_in_sync{target="envoy"} 1');
    expect(text).toMatch(/prism_lb_watch_apply_duration_seconds_count\{target="envoy"\} [1-9]/);
    expect(text).toMatch(/prism_lb_watch_last_success_timestamp_seconds\{target="envoy"\} \d/);
    expect(text).toContain('# TYPE prism_lb_watch_apply_failures_total counter');
    expect(text).toContain('# TYPE prism_lb_watch_lb_restarts_total counter');
  });

  it('SIGTERM stops the Envoy it runs, waits for it, then exits (no orphaned Envoy)', async () => {
    const running = [...envoyPids].filter(alive);
    expect(running.length).toBeGreaterThan(0);
    const exited = once(watcher, 'exit');
    watcher.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(lines).toContain('SIGTERM: stopping');
    expect([...envoyPids].filter(alive)).toEqual([]);
    await expect(ask(port, fleet.names[0])).rejects.toThrow(/ECONNREFUSED/);
  });
});
