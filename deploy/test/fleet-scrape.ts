import { compileRouter, type Router } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { adminFetch, api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { freePort } from '../../test-support/lb-binaries.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';
import { scrapeWatcher, type WatcherScrape } from './watcher-scrape.js';

const NAMESPACES = [
  'orders-prod',
  'acme-billing',
  'eu-payments',
  'test-namespace',
  'a',
  'users',
  'carts',
  'logs-7',
  'search-eu',
  'search-us',
  'audit-log',
  'billing-2',
];
/** Candidates for a namespace whose only backend is a closed port (one owned by a running proxy is used). */
const DEAD = ['dead-1', 'dead-2', 'dead-3', 'dead-4', 'dead-5', 'dead-6'];

export interface FleetScrapes {
  admin: string;
  /** The two running proxies' scrapes, by proxy id. */
  proxies: Map<string, string>;
  /** `prismctl lb watch --target haproxy` against the same admin (watcher-scrape.ts), when asked for. */
  watcher?: string;
  stop(): Promise<void>;
}

/**
 * A real admin, two real proxies (mTLS) and a third fleet member, proxy-3, that holds its control
 * stream but whose data port is closed; traffic on every path the dashboards and alerts watch:
 * requests served locally and forwarded both ways, forwards to proxy-3 that fail, a namespace whose
 * backend is down. Returns the /metrics texts of the admin and the two proxies.
 */
export async function scrapeFleet({ watcher = false } = {}): Promise<FleetScrapes> {
  const admin: StartedAdmin = await startAdmin();
  const backends: Backend[] = [];
  const proxies: StartedProxy[] = [];
  let ghost: FakeProxy | undefined;
  let watch: WatcherScrape | undefined;
  const stop = async () => {
    await watch?.stop();
    for (const p of proxies) {
      await p.stop();
      removeDir(p.stateDir);
    }
    ghost?.close();
    for (const b of backends) await b.stop();
    await admin.stop();
  };
  try {
    backends.push(await startBackend('b1'), await startBackend('b2'));
    // A failed backend stays marked down for a minute: the scrape sees it however loaded the machine is.
    for (const id of ['proxy-1', 'proxy-2'])
      proxies.push(
        await startProxy(id, [admin.grpc], { pools: { keepAliveTimeoutMs: 1_000, backendRetryMs: 60_000 } }),
      );
    ghost = new FakeProxy(admin.grpc, 'proxy-3', { dataPort: await freePort() });
    const reserve = async (name: string, urls: string[]) => {
      const r = await api(admin.http, 'POST', '/v1/namespaces', { name, backends: urls });
      if (r.status !== 201) throw new Error(`reserving ${name}: ${r.status} ${r.text}`);
    };
    const urls = backends.map((b) => b.url);
    for (const ns of NAMESPACES) await reserve(ns, urls);
    const refreshed = await api(admin.http, 'POST', `/v1/namespaces/${NAMESPACES[0]}:refresh`, {});
    if (refreshed.status !== 200) throw new Error(`refreshing a lease: ${refreshed.status} ${refreshed.text}`);
    let router: Router | undefined;
    const table = async () => parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json);
    await until(async () => (await table()).proxies.length === 3, 10_000, 'a 3-proxy table');
    router = compileRouter(await table());
    const dead = DEAD.find((ns) => router?.route(ns).owner !== 'proxy-3') as string;
    await reserve(dead, [`http://127.0.0.1:${await freePort()}`]);
    // Settled: no move in progress (a join's rounds), and both proxies route by the final table.
    await until(
      async () => {
        const rollout = (await api(admin.http, 'GET', '/v1/partition-table/rollout')).json as { inProgress?: boolean };
        if (rollout.inProgress) return false;
        const t = await table();
        router = compileRouter(t);
        return (
          t.proxies.length === 3 &&
          proxies.every(
            (p) => p.proxy.state.version === t.version && p.proxy.state.advertisements.size === NAMESPACES.length + 1,
          )
        );
      },
      10_000,
      'both proxies on the 3-proxy table',
    );
    const route = router as Router;
    for (const id of ['proxy-1', 'proxy-2', 'proxy-3'])
      if (!NAMESPACES.some((ns) => route.route(ns).owner === id)) throw new Error(`${id} owns no test namespace`);
    const send = async (entry: StartedProxy, ns: string) => {
      const res = await fetch(`${entry.url}/items`, { headers: { 'x-prism-namespace': ns } });
      await res.arrayBuffer();
      return res.status;
    };
    // Every namespace through both proxies: served locally, forwarded to the other, failed to proxy-3.
    for (const ns of NAMESPACES) for (const entry of proxies) await send(entry, ns);
    const deadOwner = proxies.find((p) => p.id === route.route(dead).owner) as StartedProxy;
    if ((await send(deadOwner, dead)) !== 502) throw new Error('a request to a closed backend did not fail');

    // Garbage to collect, so nodejs_gc_duration_seconds has a series by the scrape however little
    // the run allocated since the GC observer started.
    const garbage: number[][] = [];
    for (let i = 0; i < 64; i++) garbage.push(new Array(100_000).fill(i));
    garbage.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 50));

    const scrapes: FleetScrapes = {
      admin: await metrics(adminFetch(admin.http, '/metrics')),
      proxies: new Map(),
      stop,
    };
    for (const p of proxies) scrapes.proxies.set(p.id, await metrics(fetch(`${p.ops}/metrics`)));
    if (watcher) {
      watch = await scrapeWatcher(admin);
      scrapes.watcher = watch.text;
    }
    return scrapes;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function metrics(response: Promise<{ status: number; text(): Promise<string> }>): Promise<string> {
  const res = await response;
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The names of the samples in a Prometheus text exposition (`foo_bucket`, `foo_sum`, … for a histogram). */
export function sampleNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[ {]/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}
