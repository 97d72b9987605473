import { createServer as createHttpServer } from 'node:http';
import { createServer as createH2Server, createSecureServer, type Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import type { CertificateFiles } from '../../core/src/tls/cert-files.js';
import { type GuardDeps, guardHttp1, guardHttp2, guardRequests, limitConnections } from './connection-guard.js';
import type { ProxyHealth } from './health.js';
import { sniffingServer } from './listeners.js';
import type { ProxyMetrics } from './metrics.js';
import { isPeerServername } from './peer-tls.js';
import type { Req, Res } from './plugins/types.js';
import { connectListener } from './respond.js';

export interface DataPortOptions {
  config: Readonly<ProxyConfig>;
  handle: (req: Req, res: Res) => void;
  metrics: ProxyMetrics;
  log: Logger;
  /** tls.certFile/keyFile: what TLS clients are shown. */
  clientCertificates?: CertificateFiles;
  /** This proxy's fleet certificate and the fleet CA: what peers are shown and checked against. */
  fleetCertificates?: CertificateFiles;
  /** Draining: read per request and per new HTTP/2 stream. */
  health?: ProxyHealth;
}

const OPEN_BEFORE_DRAIN = Symbol('prism.openBeforeDrain');
type Marked = Socket & { [OPEN_BEFORE_DRAIN]?: boolean; _httpMessage?: unknown };

/**
 * Server-side TLS sessions resume only within one session id context; the peer context (chosen by
 * SNI) and the default one share it, so a peer that reconnects resumes instead of a full handshake.
 */
const SESSION_ID_CONTEXT = 'prism-proxy-data-port';

/**
 * The data port: one listener for the load balancer's cleartext HTTP/1.1 and h2c and for TLS
 * (peers, and clients when tls.certFile is set), told apart by the first bytes (listeners.ts), with
 * the connection defences of connection-guard.ts on every server.
 */
export function buildDataPort(options: DataPortOptions) {
  const { config, handle, metrics, log } = options;
  const { limits } = config;
  const guard: GuardDeps = { limits, metrics, log, health: options.health };
  const http1 = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
  const h1 = createHttpServer(http1, guardRequests(handle, guard));
  // The http server keeps its connections to itself: a drain needs to tell old ones from new ones.
  const h1Sockets = new Set<Socket>();
  h1.on('connection', (socket: Socket) => {
    h1Sockets.add(socket);
    socket.once('close', () => h1Sockets.delete(socket));
  });
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
  const h2c = createH2Server(h2Options, handle);
  const sessions = [guardHttp2(h2c, guard)];
  const onConnect = connectListener(handle);
  h1.on('connect', onConnect);
  h2c.on('connect', onConnect);

  const tls = tlsServer(options, h2Options, { ...http1, maxHeadersCount: h1.maxHeadersCount }, guard);
  if (tls) {
    sessions.push(guardHttp2(tls.server, guard));
    tls.server.on('connect', onConnect);
  }
  const server = sniffingServer(
    { h1, h2: h2c, tls: tls?.server },
    {
      firstBytesTimeoutMs: limits.firstBytesTimeoutMs,
      onTimeout: () => metrics.timeout('sniff'),
      cleartext: config.tls.cleartext || tls === undefined,
      onCleartextRefused: () => metrics.rejected('cleartext'),
    },
  );
  limitConnections(server, guard);
  const http1Sockets = () => (tls ? [...h1Sockets, ...tls.http1Sockets] : h1Sockets);

  return {
    server,
    /**
     * A reload (SIGHUP) changed limits: the values Node keeps on its servers follow. Node reads
     * headersTimeout and requestTimeout at each connection check, keepAliveTimeout after each
     * response; the HTTP/2 idle timeout and the connection cap hold for connections opened from now on.
     */
    applyLimits(): void {
      const http1Now = {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.idleTimeoutMs,
      };
      Object.assign(h1, http1Now);
      if (tls) Object.assign(tls.server, http1Now);
      h2c.setTimeout(limits.h2IdleTimeoutMs);
      tls?.server.setTimeout(limits.h2IdleTimeoutMs);
      server.maxConnections = limits.maxConnections;
    },
    /**
     * The start of a drain (health.drainingSince is set): GOAWAY to every HTTP/2 session, so clients
     * open their next streams on a new connection; HTTP/1.1 responses from now on close theirs
     * (guardRequests), and sessions opened from now on get GOAWAY after their first stream. The
     * HTTP/1.1 connections open now are marked: once idle, only they are closed (closeIdle).
     */
    beginDrain(): void {
      for (const s of sessions) s.drainAll();
      for (const socket of http1Sockets()) (socket as Marked)[OPEN_BEFORE_DRAIN] = true;
    },
    /**
     * The end of the drain period: no new connections. HTTP/2 sessions opened meanwhile that have
     * no stream yet get GOAWAY with last stream 0, so a stream on its way is refused, unprocessed,
     * and the client sends it elsewhere.
     */
    stopAccepting(): void {
      server.close(() => undefined);
      for (const s of sessions) s.drainAll();
      this.closeIdle();
    },
    /**
     * Closes the HTTP/1.1 connections that were open when the drain began and sit between requests.
     * Connections opened since answer with Connection: close and end themselves; one that has not
     * sent its request yet is left to send it, rather than cut while its request is on the way.
     */
    closeIdle(): void {
      for (const socket of http1Sockets()) {
        if ((socket as Marked)[OPEN_BEFORE_DRAIN] && !(socket as Marked)._httpMessage) socket.destroy();
      }
    },
    /** Connections that may still bring a request: not yet sniffed, or HTTP/1.1 opened during the drain. */
    pending(): number {
      let n = server.undecided();
      for (const socket of http1Sockets()) if (!(socket as Marked)[OPEN_BEFORE_DRAIN]) n++;
      return n;
    },
    /** At shutdown, once the listener is closed: ends HTTP/1.1 connections, sends GOAWAY on HTTP/2 ones. */
    drain(): void {
      server.closeUndecided();
      h1.closeAllConnections();
      h1.close(() => undefined);
      tls?.closeHttp1();
      for (const s of sessions) s.drainAll();
    },
    /** What is still open after drain(). */
    destroy(): void {
      for (const s of sessions) s.destroyAll();
    },
  };
}

/**
 * The TLS side of the data port, when there is a certificate to show. Clients get tls.certFile (or
 * the fleet certificate when that is all there is); a peer, which names `<id>.proxy.prism` in SNI,
 * gets the fleet certificate. With a fleet CA every TLS client is asked for a certificate but none
 * is required: the peer plugin refuses a forwarded request without one, and plain clients need none.
 * New files (cert-files onChange) apply to connections opened afterwards.
 */
function tlsServer(options: DataPortOptions, h2Options: object, http1: object, guard: GuardDeps) {
  const { clientCertificates: client, fleetCertificates: fleet, config, handle, metrics } = options;
  const own = client ?? fleet;
  if (!own) return undefined;
  const { limits } = config;
  const ca = () => (fleet ? { ca: fleet.current.ca } : {});
  const contextOf = (files: CertificateFiles) => ({
    cert: files.current.cert,
    key: files.current.key,
    ...ca(),
    sessionIdContext: SESSION_ID_CONTEXT,
  });
  let peerContext: SecureContext | undefined = fleet && createSecureContext(contextOf(fleet));
  const server = createSecureServer(
    {
      ...h2Options,
      allowHTTP1: true,
      handshakeTimeout: limits.firstBytesTimeoutMs,
      unknownProtocolTimeout: limits.firstBytesTimeoutMs,
      ...contextOf(own),
      ...(fleet && {
        requestCert: true,
        rejectUnauthorized: false,
        SNICallback: (name: string, done: (err: Error | null, ctx?: SecureContext) => void) =>
          done(null, isPeerServername(name) ? peerContext : undefined),
      }),
    },
    guardRequests(handle, guard),
  );
  const refresh = () => {
    server.setSecureContext(contextOf(own));
    if (fleet) peerContext = createSecureContext(contextOf(fleet));
  };
  client?.onChange(refresh);
  fleet?.onChange(refresh);
  // HTTP/1.1 over TLS is served by the http2 server itself, reading the http server's fields.
  Object.assign(server, http1);
  guardHttp1(server, guard);
  // As for h1: it never listens, and Node starts its HTTP/1.1 request timeouts on 'listening'.
  server.emit('listening');

  // The http2 server has no closeAllConnections() for its HTTP/1.1 connections: keep them here.
  const http1Sockets = new Set<TLSSocket>();
  server.on('secureConnection', (socket: TLSSocket) => {
    metrics.tlsConnection(socket.alpnProtocol);
    if (socket.alpnProtocol === 'h2') return;
    http1Sockets.add(socket);
    socket.once('close', () => http1Sockets.delete(socket));
  });
  return {
    server: server as Http2SecureServer,
    closeHttp1(): void {
      server.close(() => undefined);
      for (const socket of http1Sockets) socket.destroy();
    },
    http1Sockets,
  };
}
