import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { Agent, fetch } from 'undici';
import { loadConfig } from '../core/src/config/load.js';
import { buildProxy, type PrismProxy } from '../proxy/src/proxy.js';
import { fleetPki } from './pki.js';

export interface Backend {
  name: string;
  url: string;
  server: Server;
  requests: number;
  stop(): Promise<void>;
}

/**
 * A real HTTP backend that answers with what it received: method, path, headers, body length and
 * sha256. A query parameter delay=<ms> makes it answer that much later (a request in flight).
 */
export async function startBackend(name: string): Promise<Backend> {
  const backend: Partial<Backend> & { requests: number } = { name, requests: 0 };
  const server = createServer((req, res) => {
    backend.requests++;
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    const delay = Number(/[?&]delay=(\d{1,6})/.exec(req.url ?? '')?.[1] ?? 0);
    req.on('end', () => setTimeout(answer, delay));
    const answer = () => {
      if (res.destroyed) return;
      const body = JSON.stringify({
        backend: name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        bytes,
        sha256: hash.digest('hex'),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name, connection: 'keep-alive' });
      res.end(body);
    };
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(backend, {
    url: `http://127.0.0.1:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as Backend;
}

export interface StartedProxy {
  id: string;
  proxy: PrismProxy;
  url: string;
  ops: string;
  stateDir: string;
  stop(): Promise<void>;
}

/**
 * The values that give proxy `id` mTLS to the admin with the run's fleet PKI, unless the test gives
 * controlPlane.tls of its own or insecure: tests start with real credentials, as `npm start` does.
 */
export async function withProxyTls(id: string, values: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const controlPlane = values.controlPlane as Record<string, unknown> | undefined;
  if (values.insecure === true || controlPlane?.tls !== undefined) return values;
  const tls = ((await (await fleetPki()).proxy(id)).controlPlane as Record<string, unknown>).tls;
  return { ...values, controlPlane: { ...controlPlane, tls } };
}

/** A real prism-proxy on 127.0.0.1 with free ports, attached to the given admins (mTLS by default). */
export async function startProxy(
  id: string,
  admins: string[],
  values: Record<string, unknown> = {},
  stateDir = mkdtempSync(join(tmpdir(), `prism-proxy-${id}-`)),
  logger: Logger = pino({ level: process.env.PRISM_TEST_LOG ?? 'silent' }),
): Promise<StartedProxy> {
  values = await withProxyTls(id, values);
  const config = loadConfig('proxy', {
    values: {
      id,
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      admin: admins,
      stateDir,
      pools: { keepAliveTimeoutMs: 1_000 },
      ...values,
      controlPlane: {
        reconnectInitialMs: 50,
        reconnectMaxMs: 500,
        breakerHalfOpenMs: 500,
        ...(values.controlPlane as Record<string, unknown> | undefined),
      },
    },
  });
  const proxy = await buildProxy({ config, logger });
  const addr = await proxy.listen();
  return {
    id,
    proxy,
    url: `http://${addr.data}`,
    ops: `http://${addr.ops}`,
    stateDir,
    stop: () => proxy.close(),
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls until `predicate` holds, at most `ms`. */
export async function until<T>(
  predicate: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A request to a proxy's data port as fleet peer `asProxy` would send it: over TLS, presenting that
 * proxy's certificate of the run's fleet PKI, so the proxy trusts its X-Prism-* fields. (A client
 * in cleartext or without a fleet certificate gets 403 PRISM-PEER-001 for X-Prism-Hops.)
 */
export async function peerFetch(url: string, asProxy: string, headers: Record<string, string>): Promise<Response> {
  const pki = await fleetPki();
  const files = await pki.files('proxy', asProxy);
  const dispatcher = new Agent({
    connect: { ca: readFileSync(pki.caFile), cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
  });
  try {
    const res = await fetch(url.replace(/^http:/, 'https:'), { headers, dispatcher });
    const body = await res.arrayBuffer();
    return new Response(body, { status: res.status, headers: res.headers });
  } finally {
    await dispatcher.close();
  }
}
