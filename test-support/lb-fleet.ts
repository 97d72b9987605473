import { request } from 'node:http';
import { compileRouter, type Router } from '../core/src/route.js';
import { parseTable } from '../core/src/table.js';
import type { PartitionTable } from '../proto/gen/prism/admin/v1/partition.js';
import { api, type StartedAdmin, startAdmin } from './admin-harness.js';
import { type Backend, removeDir, type StartedProxy, startBackend, startProxy, until } from './proxy-harness.js';

/** A real admin, real proxies, one backend and `count` reserved namespaces, ready for a load balancer. */
export const startLbFleet = (ids: string[], count: number) =>
  startFleet(
    ids,
    Array.from({ length: count }, (_, i) => `tenant-${i}`),
  );

/**
 * A real admin, real proxies (with `values` as their extra configuration) and one backend, with
 * `names` reserved; resolves once every proxy has the whole fleet's table and every advertisement.
 */
export async function startFleet(ids: string[], names: string[], values: Record<string, unknown> = {}) {
  const admin: StartedAdmin = await startAdmin();
  const backend: Backend = await startBackend('b');
  const proxies: StartedProxy[] = [];
  for (const id of ids) proxies.push(await startProxy(id, [admin.grpc], values));
  for (const name of names) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
  await until(
    () =>
      proxies.every(
        (p) => p.proxy.state.table?.proxies.length === ids.length && p.proxy.state.advertisements.size === names.length,
      ),
    15_000,
    'fleet ready',
  );
  const table = async (): Promise<PartitionTable> =>
    parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json);
  return {
    admin,
    backend,
    proxies,
    names,
    table,
    router: async (): Promise<Router> => compileRouter(await table()),
    async join(id: string) {
      const p = await startProxy(id, [admin.grpc]);
      proxies.push(p);
      return p;
    },
    async stop() {
      for (const p of proxies) {
        await p.stop();
        removeDir(p.stateDir);
      }
      await backend.stop();
      await admin.stop();
    },
  };
}

export interface Answer {
  status: number;
  servedBy?: string;
  forwardedBy?: string;
}

/** One request on a fresh connection (no keep-alive), so a load balancer restart never hits a stale socket. */
export function ask(port: number, namespace: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/x', agent: false, headers: { 'x-prism-namespace': namespace } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            servedBy: res.headers['x-prism-served-by'] as string | undefined,
            forwardedBy: res.headers['x-prism-forwarded-by'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Sends steady sequential load until stopped; counts requests and failures (with what failed). */
export function steadyLoad(port: number, names: string[]) {
  let running = true;
  const failures: string[] = [];
  let sent = 0;
  const done = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      sent++;
      try {
        const a = await ask(port, names[i % names.length]);
        if (a.status !== 200) failures.push(`${names[i % names.length]}: ${a.status}`);
      } catch (err) {
        failures.push(`${names[i % names.length]}: ${(err as Error).message}`);
      }
    }
  })();
  return {
    failures,
    sent: () => sent,
    async stop() {
      running = false;
      await done;
    },
  };
}
