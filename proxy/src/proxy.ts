import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  createServer as createH2Server,
  createSecureServer,
  type Http2SecureServer,
  type Http2Server,
} from 'node:http2';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { type Logger, pino } from 'pino';
import { splitHostPort } from '../../core/src/config/checks.js';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import { Backends } from './backends.js';
import { buildChain } from './chain.js';
import { guardHttp1, guardHttp2, guardRequests, limitConnections } from './connection-guard.js';
import { ControlClient } from './control-client.js';
import { Forwarder } from './forwarder.js';
import { type SniffingServer, sniffingServer } from './listeners.js';
import { buildProxyMetrics } from './metrics.js';
import { buildOpsServer } from './ops.js';
import type { PluginEnv } from './plugins/types.js';
import { RoutingState } from './state.js';

export interface BuildProxyOptions {
  config: Readonly<ProxyConfig>;
  logger?: Logger;
}

export interface ProxyAddresses {
  data: string;
  ops: string;
  dataPort: number;
  opsPort: number;
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** Builds a ready proxy that is not listening yet; `listen()` binds the ports and joins the admin. */
export async function buildProxy(options: BuildProxyOptions) {
  const { config } = options;
  const log = options.logger ?? pino({ name: 'prism-proxy', level: config.log.level });
  const state = new RoutingState(config.stateDir);
  if (state.load())
    log.info(
      { version: state.version, advertisements: state.advertisements.size },
      'serving from the last-known-good state',
    );
  const metrics = buildProxyMetrics(config.id);
  const backends = new Backends(config.pools.backendRetryMs);
  const forwarder = new Forwarder({ self: config.id, config, state, backends, metrics });
  const env: PluginEnv = { config, state, metrics, log, self: config.id };
  const handle = await buildChain(env, backends, forwarder);

  const { limits } = config;
  const guard = { limits, metrics, log };
  const http1 = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
  const h1 = createHttpServer(http1, guardRequests(handle, guard));
  // One more than allowed, so that guardRequests sees the excess instead of Node dropping it.
  h1.maxHeadersCount = limits.maxHeadersCount + 1;
  guardHttp1(h1, guard);
  // The sniffing listener hands sockets to h1, which never listens itself; Node starts enforcing
  // headersTimeout (slow clients) only on 'listening', so start it here.
  h1.emit('listening');
  const h2Options = {
    settings: { maxHeaderListSize: limits.maxHeaderBytes, maxConcurrentStreams: limits.h2MaxConcurrentStreams },
    // Pseudo-header fields (:method, :scheme, :authority, :path) count as pairs too.
    maxHeaderListPairs: limits.maxHeadersCount + 4,
  };
  let h2: Http2Server | Http2SecureServer;
  let data: SniffingServer | Http2SecureServer;
  if (config.tls.certFile) {
    const secure = createSecureServer(
      {
        ...h2Options,
        allowHTTP1: true,
        handshakeTimeout: limits.firstBytesTimeoutMs,
        unknownProtocolTimeout: limits.firstBytesTimeoutMs,
        cert: readFileSync(config.tls.certFile),
        key: readFileSync(config.tls.keyFile),
      },
      guardRequests(handle, guard),
    );
    // HTTP/1.1 over TLS is served by the http2 server itself, reading the http server's fields.
    Object.assign(secure, http1, { maxHeadersCount: h1.maxHeadersCount });
    guardHttp1(secure, guard);
    h2 = secure;
    data = secure;
  } else {
    h2 = createH2Server(h2Options, handle);
    data = sniffingServer(h1, h2, {
      firstBytesTimeoutMs: limits.firstBytesTimeoutMs,
      onTimeout: () => metrics.timeout('sniff'),
    });
  }
  const sessions = guardHttp2(h2, guard);
  limitConnections(data, guard);

  let control: ControlClient | undefined;
  const ops = buildOpsServer(state, metrics, () => control);
  let addresses: ProxyAddresses | undefined;

  const bind = (server: NetServer | HttpServer | Http2SecureServer, address: string) =>
    new Promise<number>((resolve, reject) => {
      const { host, port } = splitHostPort(address);
      server.once('error', reject);
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });

  return {
    config,
    state,
    metrics,
    log,
    addresses: () => addresses,
    control: () => control,

    async listen(): Promise<ProxyAddresses> {
      const dataPort = await bind(data, config.listen);
      const opsPort = await bind(ops, config.opsListen);
      const listenHost = splitHostPort(config.listen).host;
      const advertised = config.advertise ? splitHostPort(config.advertise) : { host: listenHost, port: dataPort };
      control = new ControlClient({
        endpoints: config.admin,
        self: { id: config.id, address: advertised.host, dataPort: advertised.port || dataPort, opsPort },
        state,
        config: config.controlPlane,
        log,
        takeTraffic: () => state.takeTraffic(),
      });
      env.control = control;
      control.start();
      const opsHost = splitHostPort(config.opsListen).host;
      addresses = { data: hostPort(listenHost, dataPort), ops: hostPort(opsHost, opsPort), dataPort, opsPort };
      log.info(
        { id: config.id, data: addresses.data, ops: addresses.ops, admin: config.admin },
        'prism-proxy listening',
      );
      return addresses;
    },

    async close(): Promise<void> {
      control?.stop();
      const closing = [data, ops].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      if ('closeUndecided' in data) data.closeUndecided();
      h1.closeAllConnections();
      h1.close(() => undefined);
      ops.closeAllConnections();
      sessions.drainAll();
      await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1000))]);
      sessions.destroyAll();
      await forwarder.close();
      try {
        state.save();
      } catch (err) {
        log.warn({ err }, 'saving the last-known-good state failed');
      }
    },
  };
}

export type PrismProxy = Awaited<ReturnType<typeof buildProxy>>;
