import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { type ClientHttp2Session, connect, constants } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRouter } from '../../core/src/route.js';
import { api, startAdmin } from '../../test-support/admin-harness.js';
import { removeDir, type StartedProxy, startBackend, startProxy, until } from '../../test-support/proxy-harness.js';
import { type ProxyProcess, spawnProxy } from '../../test-support/spawn-program.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** An admin, a backend, the proxy to stop (its own process) and a second proxy the clients go to next. */
async function fleet(drainPeriodMs: number) {
  const admin = await startAdmin();
  cleanup.push(() => admin.stop());
  const backend = await startBackend('b');
  cleanup.push(() => backend.stop());
  const dir = mkdtempSync(join(tmpdir(), 'prism-proxy-drain-'));
  const leaving: ProxyProcess = await spawnProxy('drain-1', admin.grpc, dir, { drainPeriodMs });
  cleanup.push(async () => {
    await leaving.stop(true);
    removeDir(dir);
  });
  const log: string[] = [];
  leaving.child.stdout?.on('data', (d) => log.push(String(d)));
  const staying: StartedProxy = await startProxy('drain-2', [admin.grpc]);
  cleanup.push(async () => {
    await staying.stop();
    removeDir(staying.stateDir);
  });
  const names = Array.from({ length: 8 }, (_, i) => `drain-${i}`);
  for (const name of names) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
  await until(
    () => staying.proxy.state.table?.proxies.length === 2 && staying.proxy.state.advertisements.size === names.length,
    15_000,
    'fleet ready',
  );
  const router = compileRouter(staying.proxy.state.table as never);
  const owned = names.find((n) => router.route(n).owner === 'drain-1') as string;
  expect(owned).toBeDefined();
  // The leaving proxy has the advertisements too once it serves its own namespace.
  await until(async () => (await h1(leaving.port, owned)).status === 200, 15_000, 'leaving proxy serves');
  return { leaving, staying, names, owned, log, stayingPort: Number(staying.url.split(':')[2]) };
}

interface Answer {
  status: number;
  connection?: string;
  servedBy?: string;
}

function h1(port: number, ns: string, path = '/x', agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { 'x-prism-namespace': ns } }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          servedBy: res.headers['x-prism-served-by'] as string | undefined,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Which proxy a load balancer sends new connections to: the first whose /readyz said 200 at the last
 * health check (every 250 ms here; the generated configs check every 2 s, which the default
 * drain.periodMs of 5 s covers twice).
 */
function healthChecks(proxies: { port: number; ops: string }[]) {
  const up = proxies.map(() => true);
  let running = true;
  const done = (async () => {
    while (running) {
      await Promise.all(
        proxies.map(async (p, i) => {
          up[i] = await fetch(`${p.ops}/readyz`).then(
            (r) => r.status === 200,
            () => false,
          );
        }),
      );
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    /** The index of the proxy to connect to, from `from` on. */
    pick: (from: number) => {
      const i = up.findIndex((ok, j) => ok && j >= from);
      return i === -1 ? from : i;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

type Balancer = ReturnType<typeof healthChecks>;

/**
 * What a client behind a load balancer sees, over HTTP/1.1 keep-alive: it reuses its connection
 * until a response says Connection: close, opens the next one where the health checks say, and
 * when a new connection is refused (nothing was sent) it goes to the next proxy. Anything else is a
 * failure.
 */
function h1Client(ports: number[], names: string[], lb: Balancer) {
  let at = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const seen = { sent: 0, failures: [] as string[], closes: 0, moved: false };
  let running = true;
  const done = (async () => {
    for (let i = 0; running && i < 20_000; i++) {
      const ns = names[i % names.length];
      seen.sent++;
      for (;;) {
        try {
          const a = await h1(ports[at], ns, '/x', agent);
          if (a.connection === 'close') {
            seen.closes++;
            at = lb.pick(at);
            if (at > 0) seen.moved = true;
          }
          if (a.status !== 200) seen.failures.push(`${ns}: ${a.status}`);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED' && at + 1 < ports.length) {
            at++;
            seen.moved = true;
            continue;
          }
          seen.failures.push(`${ns}: ${(err as Error).message}`);
          break;
        }
      }
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await done;
      agent.destroy();
    },
  };
}

function openSession(port: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

function h2get(session: ClientHttp2Session, ns: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': '/x', 'x-prism-namespace': ns });
    let status = 0;
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.on('error', (err) => reject(Object.assign(err, { rstCode: stream.rstCode })));
    stream.resume();
    stream.on('close', () =>
      status
        ? resolve(status)
        : reject(Object.assign(new Error(`stream closed (${stream.rstCode})`), { rstCode: stream.rstCode })),
    );
  });
}

/**
 * The same over HTTP/2: after GOAWAY the client opens a new connection for its next streams, and a
 * stream the server refused (above the GOAWAY's last stream id: not processed) is sent again there
 * (RFC 9113 §6.8).
 */
function h2Client(ports: number[], names: string[], lb: Balancer) {
  let at = 0;
  const seen = { sent: 0, failures: [] as string[], goaways: 0, moved: false };
  let running = true;
  let session: ClientHttp2Session | undefined;
  let away = false;
  const fresh = async () => {
    at = lb.pick(at);
    if (at > 0) seen.moved = true;
    for (;;) {
      try {
        session = await openSession(ports[at]);
        session.on('error', () => undefined);
        away = false;
        session.once('goaway', () => {
          seen.goaways++;
          away = true;
        });
        return session;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED' && at + 1 < ports.length) {
          at++;
          seen.moved = true;
          continue;
        }
        throw err;
      }
    }
  };
  const done = (async () => {
    for (let i = 0; running && i < 20_000; i++) {
      const ns = names[i % names.length];
      seen.sent++;
      for (let attempt = 0; ; attempt++) {
        try {
          if (!session || away || session.closed || session.destroyed) {
            session?.close();
            session = await fresh();
          }
          const status = await h2get(session, ns);
          if (status !== 200) seen.failures.push(`${ns}: ${status}`);
          break;
        } catch (err) {
          const e = err as NodeJS.ErrnoException & { rstCode?: number };
          const refused =
            e.rstCode === constants.NGHTTP2_REFUSED_STREAM ||
            e.code === 'ERR_HTTP2_GOAWAY_SESSION' ||
            e.code === 'ERR_HTTP2_INVALID_SESSION';
          if (refused && attempt < 3) {
            away = true;
            continue;
          }
          seen.failures.push(`${ns}: ${e.code ?? ''} ${e.message}`);
          break;
        }
      }
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await done;
      session?.close();
    },
  };
}

describe('SIGTERM drains the proxy', () => {
  it('under keep-alive load (HTTP/1.1 and h2): /readyz 503 at once, Connection: close and GOAWAY, no failed request, a slow request in flight completes, exit 0', async () => {
    const { leaving, staying, stayingPort, names, owned, log } = await fleet(1_500);
    const ports = [leaving.port, stayingPort];
    const lb = healthChecks([leaving, { port: stayingPort, ops: staying.ops }]);
    const clients = [h1Client(ports, names, lb), h1Client(ports, names, lb)];
    const h2clients = [h2Client(ports, names, lb), h2Client(ports, names, lb)];
    cleanup.push(async () => {
      for (const c of [...clients, ...h2clients]) await c.stop();
      await lb.stop();
    });
    await until(() => clients.every((c) => c.seen.sent > 20) && h2clients.every((c) => c.seen.sent > 20), 10_000);

    // Longer than the drain period: still in flight when the proxy stops accepting.
    const slow = h1(leaving.port, owned, '/slow?delay=2500');
    await new Promise((r) => setTimeout(r, 100));
    const exited = once(leaving.child, 'exit');
    const signalledAt = Date.now();
    process.kill(leaving.pid, 'SIGTERM');
    const ready = await until(
      async () => {
        const r = await fetch(`${leaving.ops}/readyz`);
        return r.status === 503 ? r : undefined;
      },
      1_000,
      'readyz 503',
    );
    expect(Date.now() - signalledAt).toBeLessThan(1_000);
    const body = await ready.json();
    expect(body.error.code).toBe('PRISM-CONN-004');
    expect(Date.parse(body.drainingSince)).toBeGreaterThan(0);

    const [code] = await exited;
    const exitedAfter = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect((await slow).status).toBe(200);
    // The period, then the wait for the slow request: not the 30 s drain timeout.
    expect(exitedAfter).toBeGreaterThanOrEqual(1_500);
    expect(exitedAfter).toBeLessThan(10_000);

    // A little more load on the proxy that stays, then the count.
    const sent = clients.map((c) => c.seen.sent);
    await until(() => clients.every((c, i) => c.seen.sent > sent[i] + 10), 10_000, 'load after the exit');
    for (const c of [...clients, ...h2clients]) await c.stop();
    for (const c of [...clients, ...h2clients]) expect(c.seen.failures).toEqual([]);
    for (const c of [...clients, ...h2clients]) expect(c.seen.moved).toBe(true);
    expect(clients.some((c) => c.seen.closes > 0)).toBe(true);
    expect(h2clients.every((c) => c.seen.goaways > 0)).toBe(true);
    const text = log.join('');
    for (const phase of [
      'draining: /readyz answers 503',
      'drain period over',
      'requests in flight finished',
      'state saved',
    ])
      expect(text).toContain(phase);
  });

  it('a second SIGTERM stops at once', async () => {
    const { leaving } = await fleet(60_000);
    const exited = once(leaving.child, 'exit');
    process.kill(leaving.pid, 'SIGTERM');
    await until(async () => (await fetch(`${leaving.ops}/readyz`)).status === 503, 2_000, 'draining');
    const at = Date.now();
    process.kill(leaving.pid, 'SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(Date.now() - at).toBeLessThan(5_000);
  });
});
