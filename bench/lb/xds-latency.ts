import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { AdminClient } from '../../generator/src/cli/admin-client.js';
import { followAdmin } from '../../generator/src/lb/sources.js';
import { runWatch } from '../../generator/src/lb/watch.js';
import { envoyBootstrap } from '../../generator/src/lb/xds/bootstrap.js';
import { followIntoXds } from '../../generator/src/lb/xds/command.js';
import { envoyProtos } from '../../generator/src/lb/xds/protos.js';
import { XdsServer } from '../../generator/src/lb/xds/server.js';
import { api, settledTable } from '../../test-support/admin-harness.js';
import { startEnvoy } from '../../test-support/envoy-process.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ask, startLbFleet } from '../../test-support/lb-fleet.js';
import { FLEET_PKI_ENV, makeRunPki } from '../../test-support/pki.js';
import { ROOT } from '../../test-support/run.js';
import { round, spread } from '../shared/stats.js';

/**
 * From a table version at the admin to Envoy routing by it: one Envoy fed over xDS by `lb xds`, one
 * run and hot-restarted by `lb watch --target envoy`, side by side on the same fleet and the same
 * changes (weight changes through POST /v1/partition-table:apply, which move partitions). A run
 * ends for each Envoy when a moved namespace is served by its new owner directly.
 */
const RUNS = Number(process.env.RUNS ?? 7);

const pki = await makeRunPki(['x1', 'x2', 'x3']);
process.env[FLEET_PKI_ENV] = pki.dir;
const fleet = await startLbFleet(['x1', 'x2', 'x3'], 48);
const dir = mkdtempSync(join(tmpdir(), 'prism-bench-xds-'));
const stop = new AbortController();
const client = () =>
  new AdminClient({
    base: fleet.admin.http,
    timeoutMs: 10_000,
    token: readFileSync(fleet.admin.tokenFile, 'utf8').trim(),
    tls: { ca: readFileSync(fleet.admin.caFile) },
  });
const model = (port: number) => ({
  listen: `127.0.0.1:${port}`,
  missingNamespace: 'reject' as const,
  hashBalanceFactor: 0,
  healthCheckIntervalMs: 2_000,
  nginxNjs: true,
});
const events: { at: number; line: string }[] = [];
const quiet = (line: string) => {
  events.push({ at: performance.now(), line });
};

const xdsLb = await freePort();
const server = new XdsServer({
  root: await envoyProtos(),
  listen: '127.0.0.1:0',
  warmMs: 1_250,
  lingerMs: 1_000,
  log: quiet,
});
const xdsPort = await server.listen();
const xdsFollow = followIntoXds({
  source: followAdmin(client(), { waitMs: 25_000, namespaces: false }),
  model: model(xdsLb),
  server,
  intervalMs: 200,
  log: quiet,
  signal: stop.signal,
});
writeFileSync(join(dir, 'bootstrap.yaml'), envoyBootstrap(`127.0.0.1:${xdsPort}`, 'bench'));
await new Promise((r) => setTimeout(r, 1_000));
const xdsEnvoy = await startEnvoy(join(dir, 'bootstrap.yaml'), `http://127.0.0.1:${xdsLb}/`);

const hotLb = await freePort();
const watching = runWatch({
  target: 'envoy',
  outDir: join(dir, 'watch'),
  model: model(hotLb),
  source: followAdmin(client(), { waitMs: 25_000, namespaces: false }),
  intervalMs: 200,
  log: quiet,
  signal: stop.signal,
  envoyBaseId: 3_000_000 + (process.pid % 100_000),
});
for (;;) {
  const a = await ask(hotLb, fleet.names[0]).catch(() => undefined);
  if (a?.status === 200) break;
  await new Promise((r) => setTimeout(r, 50));
}

/** Milliseconds from `t0` until `port` serves `ns` by `owner` directly (at most 20 s). */
async function reached(port: number, ns: string, owner: string, t0: number): Promise<number> {
  while (performance.now() - t0 < 20_000) {
    const a = await ask(port, ns).catch(() => undefined);
    if (a?.status === 200 && a.servedBy === owner && !a.forwardedBy) return performance.now() - t0;
  }
  return Number.NaN;
}

const xds: number[] = [];
const hot: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const before = compileRouter(await fleet.table());
    const weight = run % 2 === 0 ? 3 : 1;
    const applied = await api(fleet.admin.http, 'POST', '/v1/partition-table:apply', { weights: { x1: weight } });
    if (applied.status !== 200) throw new Error(`apply: ${applied.status} ${JSON.stringify(applied.json)}`);
    // The new version is at the admin now.
    const t0 = performance.now();
    const table = parseTable(await settledTable(fleet.admin.http, () => true, 20_000));
    const after = compileRouter(table);
    const moved = fleet.names.find((ns) => before.route(ns).owner !== after.route(ns).owner);
    if (!moved) continue;
    const owner = after.route(moved).owner;
    const [viaXds, viaHot] = await Promise.all([reached(xdsLb, moved, owner, t0), reached(hotLb, moved, owner, t0)]);
    if (process.env.TRACE)
      for (const e of events.filter((e) => e.at >= t0 - 50)) console.log(`  +${round(e.at - t0)} ms ${e.line}`);
    xds.push(viaXds);
    hot.push(viaHot);
    console.log(
      `table v${table.version}: xDS ${round(viaXds)} ms, hot restart ${round(viaHot)} ms (${moved} -> ${owner})`,
    );
    await new Promise((r) => setTimeout(r, 2_500));
  }
  const result = {
    runs: xds.length,
    xdsMs: spread(xds.map((v) => round(v))),
    hotRestartMs: spread(hot.map((v) => round(v))),
  };
  console.log(JSON.stringify(result));
  writeFileSync(join(ROOT, 'bench', 'results', 'lb-xds-latency.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  stop.abort();
  await Promise.allSettled([xdsFollow, watching]);
  server.close();
  await xdsEnvoy.stop();
  await fleet.stop();
  pki.remove();
  rmSync(dir, { recursive: true, force: true });
}
