import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyAvailable } from '../../test-support/envoy-process.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ask, startLbFleet, steadyLoad } from '../../test-support/lb-fleet.js';
import { type NginxProcess, requireNginx, startNginx } from '../../test-support/nginx-process.js';
import { removeDir, until } from '../../test-support/proxy-harness.js';
import { runWatch } from '../src/lb/watch.js';

const targets = [
  { target: 'nginx' as const, available: requireNginx() },
  { target: 'envoy' as const, available: envoyAvailable() },
];

for (const { target, available } of targets) {
  describe.skipIf(!available)(`prismctl lb watch --target ${target}`, () => {
    let fleet: Awaited<ReturnType<typeof startLbFleet>>;
    let out: string;
    let port: number;
    let nginx: NginxProcess | undefined;
    const abort = new AbortController();
    let watching: Promise<void>;
    const lines: string[] = [];

    beforeAll(async () => {
      fleet = await startLbFleet(['w1', 'w2', 'w3'], 120);
      out = mkdtempSync(join(tmpdir(), `prism-watch-${target}-`));
      port = await freePort();
      watching = runWatch({
        target,
        outDir: out,
        model: {
          listen: `127.0.0.1:${port}`,
          missingNamespace: 'reject',
          hashBalanceFactor: 0,
          healthCheckIntervalMs: 500,
          nginxNjs: true,
        },
        source: async () => ({ table: await fleet.table(), namespaces: fleet.names }),
        intervalMs: 100,
        log: (l) => lines.push(l),
        signal: abort.signal,
      });
      await until(() => lines.some((l) => l.startsWith('applied table')), 10_000, 'first version applied');
      if (target === 'nginx') nginx = await startNginx(out, port);
      await until(
        async () => (await ask(port, fleet.names[0]).catch(() => ({ status: 0 }))).status === 200,
        20_000,
        `${target} serving`,
      );
    }, 60_000);

    afterAll(async () => {
      abort.abort();
      await watching;
      await nginx?.stop();
      await fleet.stop();
      removeDir(out);
    });

    it('moves partitions to a joining proxy under load, with no failed request', async () => {
      const load = steadyLoad(port, fleet.names);
      const before = (await fleet.table()).version;
      const joined = await fleet.join('w4');
      await until(async () => (await fleet.table()).version > before, 10_000, 'admin v+1');
      const changedAt = Date.now();
      const router = await fleet.router();
      const moved = fleet.names.filter((n) => router.route(n).owner === 'w4');
      expect(moved.length).toBeGreaterThan(10);
      await until(() => joined.proxy.state.advertisements.size === fleet.names.length, 10_000);
      const reachedAt = await until(
        async () => {
          const a = await ask(port, moved[0]).catch(() => undefined);
          return a?.servedBy === 'w4' && !a.forwardedBy ? Date.now() : false;
        },
        15_000,
        'routing to the new owner',
      );
      await new Promise((r) => setTimeout(r, 500));
      await load.stop();
      console.log(
        `${target} watch: routing reached the new owner ${reachedAt - changedAt} ms after table v${before + 1}; ${load.sent()} requests under load, ${load.failures.length} failed`,
      );
      expect(load.failures).toEqual([]);
      let direct = 0;
      for (const ns of fleet.names) {
        const a = await ask(port, ns);
        if (a.status === 200 && a.servedBy === router.route(ns).owner && !a.forwardedBy) direct++;
      }
      expect(direct).toBe(fleet.names.length);
      expect(lines.filter((l) => l.startsWith('applied table')).length).toBeGreaterThanOrEqual(2);
    });
  });
}
