import { type Server as HttpServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import {
  constants,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { type Server as NetServer, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import { type ErrorCode, PrismError } from '../../core/src/errors.js';
import { requestedHead } from '../../core/src/http-head.js';
import type { ProxyHealth } from './health.js';
import type { ProxyMetrics } from './metrics.js';
import type { Req, Res } from './plugins/types.js';

/*
 * Connection defences of the data port: a timeout for every state a client connection can be in, and
 * the limits that bound what one client can hold. Which timer watches which state, and why that one:
 *  - before the protocol is known: the socket's inactivity timer (listeners.ts); no server owns it yet;
 *  - HTTP/1.1 headers and the whole request: Node's headersTimeout and requestTimeout, one interval
 *    check over all connections instead of a timer per request;
 *  - HTTP/1.1 keep-alive and unread responses: the socket inactivity timer Node keeps per connection;
 *  - HTTP/2 idle sessions and unread responses: the session inactivity timer Node keeps per session;
 *  - HTTP/2 request bodies: one timer per stream that has a body (HTTP/2 has no requestTimeout);
 *  - after GOAWAY: one sweep a second over the sessions that are ending.
 * None of them cuts a request that waits for its upstream: forwarding.timeoutMs governs that.
 */

type Limits = Readonly<ProxyConfig['limits']>;

export interface GuardDeps {
  limits: Limits;
  metrics: ProxyMetrics;
  log: Logger;
  /** Set: while it drains, HTTP/1.1 responses close their connection and HTTP/2 sessions get GOAWAY. */
  health?: ProxyHealth;
}

/** A raw HTTP/1.1 error response with a coded JSON body; the connection closes after it. */
function rawResponse(code: ErrorCode, message: string): Buffer {
  const error = new PrismError(code, message);
  const body = JSON.stringify(error.toBody());
  return Buffer.from(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

// Node's own answers to what its parser refuses, kept byte for byte.
const nodeResponse = (status: number) =>
  Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
const BAD_REQUEST = nodeResponse(400);
const HEADERS_TOO_LARGE = nodeResponse(431);
const CHUNK_EXTENSIONS_TOO_LARGE = nodeResponse(413);

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null; parser?: unknown };

/**
 * HTTP/1.1 connections: Node's headersTimeout and requestTimeout (one shared interval check, no timer
 * per request) cut slow requests; this answers them with a coded 408 and counts them. The socket
 * inactivity timer (keepAliveTimeout between requests, guardRequests during one) closes idle
 * keep-alive connections and responses the client stopped reading, but never a request that waits
 * for its upstream: forwarding.timeoutMs governs that wait, and an upstream that streams slowly is
 * not the client's fault.
 */
export function guardHttp1(server: HttpServer | Http2SecureServer, deps: GuardDeps): void {
  const { limits, metrics } = deps;
  // Made when needed: the limits reload (SIGHUP) and the answer names the value in force.
  const late = {
    headers: () =>
      rawResponse(
        'PRISM-CONN-001',
        `the request headers did not arrive within ${limits.headersTimeoutMs} ms (limits.headersTimeoutMs)`,
      ),
    body: () =>
      rawResponse(
        'PRISM-CONN-001',
        `the request did not arrive in full within ${limits.requestTimeoutMs} ms (limits.requestTimeoutMs)`,
      ),
  };

  server.on('clientError', (err: NodeJS.ErrnoException, raw) => {
    const socket = raw as HttpSocket;
    const code = err.code ?? '';
    if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') metrics.timeout('sniff');
    // A TLS failure before any HTTP was spoken (the h2 secure server reports those here too).
    if (!('parser' in socket)) {
      socket.destroy();
      return;
    }
    let response: Buffer = BAD_REQUEST;
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const phase = socket._httpMessage ? 'body' : 'headers';
      metrics.timeout(phase);
      response = late[phase]();
    } else if (code === 'HPE_HEADER_OVERFLOW') {
      metrics.rejected('header_bytes');
      response = HEADERS_TOO_LARGE;
    } else if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
      response = CHUNK_EXTENSIONS_TOO_LARGE;
    }
    // An answer to HEAD ends with its header section (RFC 9112 §6.3), even a coded one.
    if (requestedHead(err, socket)) response = response.subarray(0, response.indexOf('\r\n\r\n') + 4);
    // As Node does: answer only if nothing of a response went out on this connection yet.
    if (socket.writable && !socket._httpMessage?.headersSent) socket.write(response);
    socket.destroy();
  });

  server.on('timeout', (target: unknown) => {
    if (!(target instanceof Socket)) return; // an HTTP/2 session on the TLS server: guardHttp2
    const socket = target as HttpSocket;
    const res = socket._httpMessage;
    if (!res) {
      metrics.timeout('idle');
      socket.destroy();
    } else if (res.headersSent && socket.writableLength > 0) {
      metrics.timeout('send');
      socket.destroy();
    }
  });
}

/**
 * Wraps the request handler for HTTP/1.1 requests: refuses more than limits.maxHeadersCount fields
 * (Node's maxHeadersCount alone would silently drop the extra fields and forward the rest; HTTP/2
 * streams over the limit are reset by Node, through maxHeaderListPairs), and arms the socket
 * inactivity timer for the request. Node clears that timer when a request arrives on a kept-alive
 * connection, and a fresh connection has headersTimeoutMs to send its first request: arming it here,
 * not through server.timeout, means a timeout with no request in flight is always keep-alive idleness.
 */
export function guardRequests(handle: (req: Req, res: Res) => void, deps: GuardDeps): (req: Req, res: Res) => void {
  const { maxHeadersCount: max } = deps.limits;
  const body = JSON.stringify(
    new PrismError(
      'PRISM-CONN-003',
      `the request has more than ${max} header fields (limits.maxHeadersCount)`,
    ).toBody(),
  );
  const health = deps.health;
  return (req, res) => {
    if (req.httpVersionMajor !== 2) {
      // Draining: Connection: close, so the client (or load balancer) opens its next connection
      // elsewhere, or here while the drain period lasts; Node closes the connection after the response.
      if (health?.drainingSince !== undefined) (res as ServerResponse).shouldKeepAlive = false;
      if (req.rawHeaders.length > 2 * max) {
        deps.metrics.rejected('header_count');
        res.writeHead(431, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          connection: 'close',
        });
        res.end(body);
        return;
      }
      req.socket.setTimeout(deps.limits.idleTimeoutMs);
    }
    handle(req, res);
  };
}

interface SessionState {
  /** The raw socket: session.socket is a guarded proxy that cannot be destroyed. */
  socket?: Socket;
  open: Set<ServerHttp2Stream>;
  streams: number;
  resets: number;
  /** Why the proxy closed it is counted (once). */
  counted: boolean;
  /** When the session sent GOAWAY or was destroyed (0 while it serves). */
  endedAt: number;
}

const ENHANCE_YOUR_CALM_DATA = Buffer.from('PRISM-CONN-002');

// nghttp2 error numbers Node reports as ERR_HTTP2_ERROR: PING/SETTINGS flood and CONTINUATION flood.
const NGHTTP2_ERR_FLOODED = -904;
const NGHTTP2_ERR_TOO_MANY_CONTINUATIONS = -905;

/**
 * HTTP/2 sessions: counts streams the client resets before their response starts (rapid reset,
 * CVE-2023-44487) and closes the session with GOAWAY ENHANCE_YOUR_CALM past the budget; closes
 * idle sessions; gives every ending session a deadline; cuts request bodies that take longer than
 * limits.requestTimeoutMs. Floods that nghttp2 and Node catch themselves are counted here.
 *
 * Timers: the session inactivity timer Node already runs (one per session, refreshed by every frame)
 * decides idleness. A session that goes quiet with streams open is waiting for upstreams
 * (forwarding.timeoutMs governs that) unless a stream has output the client does not take.
 * Ending sessions are swept once a second: Node ends a closed or destroyed session's socket only
 * once its output is flushed and the client closes its side, which a client may never do.
 */
export function guardHttp2(server: Http2Server | Http2SecureServer, deps: GuardDeps) {
  const { limits, metrics, log } = deps;
  const sessions = new Map<ServerHttp2Session, SessionState>();
  const budget = limits.h2MaxResetsPerSession;

  const drain = (session: ServerHttp2Session, state: SessionState, reason: 'idle' | 'shutdown') => {
    state.counted = true;
    state.endedAt = Date.now();
    metrics.goaway(reason);
    // GOAWAY now; Node destroys the session when its last stream closes.
    session.close();
  };

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [session, state] of sessions) {
        // Destroyed (by the proxy, Node or nghttp2) or sent GOAWAY by the proxy. A client's own
        // GOAWAY closes the session too, but its streams may take as long as they need.
        if (!session.destroyed && state.endedAt === 0) continue;
        if (state.endedAt === 0) state.endedAt = now;
        else if (now - state.endedAt >= limits.goawayTimeoutMs && state.socket && !state.socket.destroyed) {
          metrics.timeout('goaway');
          state.socket.destroy();
        }
      }
    },
    Math.min(1_000, limits.goawayTimeoutMs),
  );
  sweep.unref();

  function onAborted(this: ServerHttp2Stream) {
    const session = this.session as ServerHttp2Session | undefined;
    const state = session && sessions.get(session);
    // A response that started was answered; cancelling it (a download the user stopped) is fair.
    // Streams of a session that is going away are closed by the proxy, not reset by the client.
    if (!session || !state || this.headersSent || session.destroyed || session.closed) return;
    state.resets++;
    if (state.resets < budget || state.resets * 2 <= state.streams) return;
    state.counted = true;
    state.endedAt = Date.now();
    metrics.goaway('resets');
    log.info(
      { remote: state.socket?.remoteAddress, streams: state.streams, resets: state.resets },
      'HTTP/2 client reset too many streams before their response; closing its connection',
    );
    // Destroying at once stops nghttp2 from processing the rest of what was read: the streams
    // still in the buffer never reach the plugin chain.
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, ENHANCE_YOUR_CALM_DATA);
    session.destroy(new Error('too many streams reset'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
  }

  let accepted: Socket | undefined;
  // Runs just before Node's own connection listener, which creates the session synchronously.
  server.prependListener(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
    accepted = socket;
  });
  server.on('session', (session: ServerHttp2Session) => {
    const state: SessionState = {
      socket: accepted,
      open: new Set(),
      streams: 0,
      resets: 0,
      counted: false,
      endedAt: 0,
    };
    accepted = undefined;
    sessions.set(session, state);
    session.once('close', () => sessions.delete(session));
    session.on('stream', (stream: ServerHttp2Stream) => {
      state.streams++;
      state.open.add(stream);
      stream.once('aborted', onAborted);
      stream.once('close', () => state.open.delete(stream));
      // A session opened while the proxy drains serves this stream, then goes away like the others.
      if (deps.health?.drainingSince !== undefined && !state.endedAt) drain(session, state, 'shutdown');
    });
  });

  server.setTimeout(limits.h2IdleTimeoutMs);
  server.on('timeout', (target: unknown) => {
    if (target instanceof Socket) return; // an HTTP/1.1 connection on the TLS server: guardHttp1
    const session = target as ServerHttp2Session;
    const state = sessions.get(session);
    if (!state || state.endedAt) return;
    if (state.open.size === 0) {
      metrics.timeout('h2_idle');
      drain(session, state, 'idle');
      return;
    }
    for (const stream of state.open) {
      if (stream.writableLength > 0) {
        metrics.timeout('send');
        state.counted = true;
        state.endedAt = Date.now();
        session.destroy();
        return;
      }
    }
  });

  // Node emits it when the session's socket has closed, however long after the GOAWAY that is.
  server.on('sessionError', (err: NodeJS.ErrnoException, session: ServerHttp2Session) => {
    const state = sessions.get(session);
    if (!state || state.counted) return;
    // Other errors are the connection failing (a reset socket), not the proxy closing it.
    if (err.code !== 'ERR_HTTP2_ERROR' && err.code !== 'ERR_HTTP2_TOO_MANY_INVALID_FRAMES') return;
    state.counted = true;
    const errno = (err as { errno?: number }).errno;
    const flood =
      err.code === 'ERR_HTTP2_TOO_MANY_INVALID_FRAMES' ||
      errno === NGHTTP2_ERR_FLOODED ||
      errno === NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
    metrics.goaway(flood ? 'flood' : 'protocol_error');
  });

  const onBodyLate = (res: Http2ServerResponse) => {
    const stream = res.stream;
    // stream.state.remoteClose: the client sent all of it, only the upstream reads slowly.
    if (stream.destroyed || stream.closed || stream.state.remoteClose) return;
    metrics.timeout('body');
    const lateBody = JSON.stringify(
      new PrismError(
        'PRISM-CONN-001',
        `the request did not arrive in full within ${limits.requestTimeoutMs} ms (limits.requestTimeoutMs)`,
      ).toBody(),
    );
    if (!res.headersSent) {
      res.writeHead(408, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(lateBody)) });
      res.end(lateBody);
    }
    // NO_ERROR after a complete response tells the client to stop sending (RFC 9113 §8.1).
    stream.close(res.writableEnded ? constants.NGHTTP2_NO_ERROR : constants.NGHTTP2_CANCEL);
  };
  // HTTP/1.1 has Node's requestTimeout; an HTTP/2 stream with a body gets one timer of its own.
  server.on('request', (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse) => {
    if (!('stream' in req) || req.stream.endAfterHeaders) return;
    const timer = setTimeout(onBodyLate, limits.requestTimeoutMs, res);
    timer.unref();
    req.stream.once('close', () => clearTimeout(timer));
  });

  return {
    /** GOAWAY to every session (at shutdown: the proxy's close() destroys what is left a moment later). */
    drainAll(): void {
      for (const [session, state] of sessions) if (!state.endedAt) drain(session, state, 'shutdown');
    },
    destroyAll(): void {
      clearInterval(sweep);
      for (const [session, state] of sessions) {
        session.destroy();
        state.socket?.destroy();
      }
    },
  };
}

/**
 * Caps open client connections; past the cap Node closes new ones at accept. When the process runs
 * out of file descriptors first, libuv accepts and closes the waiting connections itself (nothing to
 * count here); an accept error it does report would, unhandled, end the process.
 */
export function limitConnections(server: NetServer | Http2SecureServer, deps: GuardDeps): void {
  const { metrics, log } = deps;
  server.maxConnections = deps.limits.maxConnections;
  server.on('drop', () => metrics.rejected('connections'));
  let lastLogged = 0;
  server.on('error', (err: NodeJS.ErrnoException) => {
    // listen() errors are the caller's; one line per 10 s at most, as every connection may fail.
    if (err.syscall !== 'accept' || Date.now() - lastLogged < 10_000) return;
    lastLogged = Date.now();
    log.error({ err }, 'accepting client connections fails');
  });
  metrics.countConnections(
    () => new Promise<number>((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n))),
  );
}
