import { type LookupAddress, type LookupAllOptions, lookup } from 'node:dns';
import type { ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { buildConnector, type Dispatcher, Pool } from 'undici';
import { type BackendPolicy, describeRefusal, type Refusal } from '../../core/src/backend-policy.js';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import { PrismError } from '../../core/src/errors.js';
import type { CertificateFiles } from '../../core/src/tls/cert-files.js';
import type { Backends } from './backends.js';
import type { ProxyHealth } from './health.js';
import { forwardRequestHeaders, forwardResponseHeaders, trailerFields } from './http-headers.js';
import type { FallbackReason, ProxyMetrics } from './metrics.js';
import { settle } from './outcome.js';
import { errorCodeOf, fallbackReason, NOT_READY_CODE, replayable } from './owner-fallback.js';
import { isTlsFailure, peerConnectOptions } from './peer-tls.js';
import type { ForwardTarget, Req, RequestContext, Res } from './plugins/types.js';
import { sendError } from './respond.js';
import type { RoutingState } from './state.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/**
 * undici refusing the request it was given (a target, method or field it will not send, a body
 * shorter than its Content-Length): the request is at fault, not the upstream, so it is a 400 and
 * never counts against the upstream's health.
 */
const REQUEST_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

export function responseGone(res: Res): boolean {
  return 'stream' in res ? res.stream.destroyed || res.stream.closed : res.destroyed;
}

/**
 * The client went away: its response or connection is gone (an upload cut mid-body fails the body
 * first). HTTP/1.1 asks the response's socket: Node clears req.socket once undici has destroyed a body
 * it read to the end, while the client still waits for its answer.
 */
function clientLeft(ctx: RequestContext): boolean {
  const { req, res } = ctx;
  if (responseGone(res)) return true;
  if ('stream' in req) return req.stream.destroyed;
  return ((res as ServerResponse).socket ?? req.socket)?.destroyed ?? true;
}

const NO_BODY = -1;
const UNKNOWN_LENGTH = -2;

/** The declared body length, NO_BODY, or UNKNOWN_LENGTH (chunked, or HTTP/2 without content-length). */
function bodyLength(req: Req): number {
  const length = req.headers['content-length'];
  if ('stream' in req) {
    if ((req as Http2ServerRequest).stream.endAfterHeaders) return NO_BODY;
  } else if (req.headers['transfer-encoding'] !== undefined) return UNKNOWN_LENGTH;
  else if (length === undefined || length === '0') return NO_BODY;
  if (length === undefined) return UNKNOWN_LENGTH;
  // Node's parsers accept only digits here (llhttp; nghttp2 also holds DATA to the declared length).
  const n = Number(length);
  return Number.isSafeInteger(n) ? n : UNKNOWN_LENGTH;
}

/** A body of unknown length on its way upstream, cut with an error past the limit (before that chunk goes on). */
class CappedBody extends Transform {
  private bytes = 0;
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes <= this.limit) {
      done(null, chunk);
      return;
    }
    this.exceeded = true;
    done(new Error(`the request body exceeds ${this.limit} bytes`));
  }
}

/** HTTP/1.1 answers to a request whose body is left unread: close, or Node would read the rest to discard it. */
const CLOSE = Object.freeze({ connection: 'close' });

export interface ForwarderDeps {
  self: string;
  config: Readonly<ProxyConfig>;
  state: RoutingState;
  backends: Backends;
  metrics: ProxyMetrics;
  /** Which backend addresses may be connected to (SSRF); checked on every new backend connection. */
  policy: BackendPolicy;
  /** This proxy's fleet certificate and the fleet CA: set, peers are reached over mTLS (peer-tls.ts). */
  fleet?: CertificateFiles;
  /** X-Prism-Degraded on every answer while something is degraded (a lost admin). */
  health?: ProxyHealth;
}

interface WarmSocket {
  socket: Socket;
  timer: NodeJS.Timeout;
}

interface BackendPool {
  pool: Pool;
  /** Opens one connection for the pool to use next; false when it cannot be opened. */
  warm(): Promise<boolean>;
  closeWarm(): void;
}

/** What a backend connection fails with when the policy refuses the address it resolved to. */
class PolicyRefusal extends Error {
  readonly code = 'PRISM_BACKEND_POLICY';
  constructor(readonly refusal: Refusal) {
    super(`backend address ${refusal.detail} refused by the backend policy (${refusal.rule})`);
  }
}

/**
 * A dns.lookup for net.connect that refuses addresses the policy denies: the check runs on what
 * the connection will actually use, after DNS, so a name that changes its answer (DNS rebinding)
 * cannot reach a denied address. net.connect does not call lookup for IP literals; those are
 * checked once per backend in pool().
 */
function policyLookup(policy: BackendPolicy, port: number) {
  return (
    hostname: string,
    options: LookupAllOptions | Record<string, unknown>,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const refusal = policy.checkAddress(a.address, port, hostname);
        if (refusal) return callback(new PolicyRefusal(refusal), []);
      }
      if ((options as { all?: boolean }).all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * Streams a request to a backend or a peer proxy over pooled keep-alive connections (undici) and
 * streams the answer back: no body is ever buffered whole, and a client that goes away cancels the
 * upstream request.
 */
export class Forwarder {
  /** Per peer origin: the pool and the id it checks the peer's certificate against. */
  private peerPools = new Map<string, { id: string; pool: Pool }>();
  /** Peer pools replaced (new certificates, an id at another address) and closing once their requests end. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(readonly deps: ForwarderDeps) {
    // undici fixes a pool's TLS options when the pool is made: new files need new pools.
    deps.fleet?.onChange(() => this.replacePeerPools());
  }

  /** Per backend origin: the refusal of an IP literal the policy denies (net.connect skips lookup for those), or null. */
  private readonly refusedOrigins = new Map<string, Refusal | null>();

  private refusedLiteral(target: ForwardTarget): Refusal | null {
    if (target.kind === 'peer') return null;
    let refusal = this.refusedOrigins.get(target.origin);
    if (refusal === undefined) {
      const url = new URL(target.origin);
      const literal = isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0;
      refusal = (literal && this.deps.policy.checkUrl(url)) || null;
      this.refusedOrigins.set(target.origin, refusal);
    }
    return refusal;
  }

  private pool(target: ForwardTarget): Pool {
    if (target.kind === 'peer') return this.peerPool(target);
    return (this.pools.get(target.origin) ?? this.backendPool(target.origin)).pool;
  }

  private readonly pools = new Map<string, BackendPool>();

  /**
   * A backend's pool, with a connector of its own: undici has no way to open a pool's connection
   * ahead of a request, so warm() opens one through the same connector (DNS through the backend
   * policy, TCP, TLS for https) and keeps it until the pool asks for a connection, which then costs
   * no handshake. Nothing is sent on it: the backend sees a connection, never a request.
   */
  private backendPool(origin: string): BackendPool {
    const { pools, forwarding } = this.deps.config;
    const url = new URL(origin);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const base = buildConnector({
      timeout: Math.min(forwarding.timeoutMs, 10_000),
      lookup: policyLookup(this.deps.policy, port),
    } as buildConnector.BuildOptions);
    const warm: WarmSocket[] = [];
    const connect: buildConnector.connector = (options, callback) => {
      for (let w = warm.pop(); w; w = warm.pop()) {
        clearTimeout(w.timer);
        // Asynchronously, as a real connect answers: undici's client ignores a callback made
        // while it is still inside its connect call (the request then waits forever).
        if (!w.socket.destroyed && w.socket.readyState === 'open') return process.nextTick(callback, null, w.socket);
      }
      base(options, callback);
    };
    const pool = new Pool(url.origin, {
      connections: pools.connectionsPerBackend,
      keepAliveTimeout: pools.keepAliveTimeoutMs,
      headersTimeout: forwarding.timeoutMs,
      bodyTimeout: forwarding.timeoutMs,
      connect,
    } as Pool.Options);
    const entry: BackendPool = {
      pool,
      warm: () =>
        new Promise<boolean>((resolve) => {
          const protocol = url.protocol;
          base({ hostname: url.hostname, host: url.host, protocol, port: String(port) }, (err, socket) => {
            if (err || !socket) return resolve(false);
            socket.on('error', ignore);
            // Unused for as long as a pooled connection may idle, it goes.
            const timer = setTimeout(() => socket.destroy(), pools.keepAliveTimeoutMs);
            timer.unref();
            const w = { socket, timer };
            warm.push(w);
            socket.once('close', () => {
              clearTimeout(timer);
              const i = warm.indexOf(w);
              if (i >= 0) warm.splice(i, 1);
            });
            resolve(true);
          });
        }),
      closeWarm: () => {
        for (const w of warm.splice(0)) {
          clearTimeout(w.timer);
          w.socket.destroy();
        }
      },
    };
    this.pools.set(origin, entry);
    return entry;
  }

  /**
   * Opens one connection to a backend ahead of requests (a Prepare before partitions move here).
   * false: the backend policy refuses it, or it could not be reached.
   */
  warm(backend: string): Promise<boolean> {
    const target: ForwardTarget = { kind: 'backend', origin: backend, name: backend };
    if (this.refusedLiteral(target)) return Promise.resolve(false);
    return (this.pools.get(backend) ?? this.backendPool(backend)).warm();
  }

  /**
   * A peer's pool: mTLS with this proxy's current fleet files when a fleet CA is set (h2 by ALPN
   * with forwarding.h2), else cleartext (h2c with prior knowledge with forwarding.h2). The pool
   * checks the peer's certificate against the id it was made for, so another id at the same
   * address (a table change) gets a pool of its own.
   */
  private peerPool(target: ForwardTarget): Pool {
    const found = this.peerPools.get(target.origin);
    if (found?.id === target.name) return found.pool;
    if (found) this.retire(found.pool);
    const { pools, forwarding } = this.deps.config;
    const h2 = forwarding.h2 || forwarding.h2c;
    const fleet = this.deps.fleet?.current;
    const timeout = Math.min(forwarding.timeoutMs, 10_000);
    const connect = fleet
      ? { timeout, ...peerConnectOptions(fleet, target.name) }
      : { timeout, ...(h2 ? { useH2c: true } : {}) };
    const pool = new Pool(target.origin, {
      connections: pools.connectionsPerPeer,
      keepAliveTimeout: pools.keepAliveTimeoutMs,
      headersTimeout: forwarding.timeoutMs,
      bodyTimeout: forwarding.timeoutMs,
      allowH2: h2,
      connect,
    } as Pool.Options);
    this.peerPools.set(target.origin, { id: target.name, pool });
    return pool;
  }

  /**
   * Certificate files changed: requests from now on go through new pools, which connect with the new
   * files; the old pools finish the requests they carry (their connections keep the handshake they
   * made) and close.
   */
  replacePeerPools(): void {
    const old = this.peerPools;
    this.peerPools = new Map();
    for (const { pool } of old.values()) this.retire(pool);
  }

  private retire(pool: Pool): void {
    const closing = pool.close().catch(ignore);
    this.retiring.add(closing);
    void closing.then(() => this.retiring.delete(closing));
  }

  /**
   * Uses undici's dispatch() with a handler that writes straight into the client response: no
   * intermediate stream per request. bench/forwarder measured dispatch() at about half the CPU per
   * request of undici's request() API and of http2-proxy (npm run bench:forwarder). The handler has
   * the callbacks undici's core calls itself (onConnect, onHeaders, onData, onComplete, onError):
   * with them undici hands over the raw header list, which goes to writeHead() as it is, instead of
   * wrapping the handler and building a header object per response (npm run bench:ab).
   * Completion is reported through the response ('close'), so nothing waits on a promise here.
   */
  forward(ctx: RequestContext, target: ForwardTarget): void {
    const { req } = ctx;
    const { state } = this.deps;
    const refused = this.refusedLiteral(target);
    if (refused) {
      this.failed(ctx, target, new PolicyRefusal(refused), false);
      return;
    }
    let body: Req | CappedBody | null = null;
    const length = bodyLength(req);
    if (length !== NO_BODY) {
      const limit = state.bodyLimits.get(ctx.namespace) ?? this.deps.config.limits.maxBodyBytes;
      if (limit > 0 && length > limit) {
        this.tooLarge(ctx, `the request body of ${length} bytes exceeds the limit of ${limit} bytes`);
        return;
      }
      body = limit > 0 && length === UNKNOWN_LENGTH ? req.pipe(new CappedBody(limit)) : req;
      // undici destroys the body stream when the request is aborted; that error is handled below.
      body.on('error', ignore);
      if (body !== req) req.on('error', ignore);
    }
    this.dispatch(ctx, target, body, undefined);
  }

  /** Sends the request (its body stream as it is) to `target`; `owner` is set when this is a fallback. */
  private dispatch(ctx: RequestContext, target: ForwardTarget, body: Req | CappedBody | null, owner?: ForwardTarget) {
    const { req, res } = ctx;
    const peer = target.kind === 'peer';
    settle(ctx, peer ? 'forwarded' : 'local', '', target);
    const headers = forwardRequestHeaders(req.headers, req.socket?.remoteAddress);
    if (peer) {
      headers.push(
        'x-prism-hops',
        String(ctx.hops + 1),
        'x-prism-table-version',
        String(this.deps.state.version),
        'x-prism-epoch',
        String(ctx.epoch),
      );
    }
    // Tracing on: the next hop's parent is this proxy's span. Off: the client's traceparent went on as it came.
    if (ctx.traceHop) ctx.traceHop.inject(headers);
    const base = peer ? '' : this.basePath(target.origin);
    const exchange = new Exchange(this, ctx, target, body, owner);
    // The response (or h2 stream) lives for this request only, so the listener needs no removal.
    ('stream' in res ? res.stream : res).on('close', exchange.onClientClose);
    // Per request, not only per pool: forwarding.timeoutMs reloads (SIGHUP) for pools already open.
    const { timeoutMs } = this.deps.config.forwarding;
    this.pool(target).dispatch(
      {
        method: req.method as 'GET',
        path: base + (req.url ?? '/'),
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      exchange,
    );
  }

  /** One target object per backend URL for fallbacks, reused by every request to it. */
  private readonly fallbackTargets = new Map<string, ForwardTarget>();

  /**
   * The owner could not take a request that it cannot have processed (owner-fallback.ts): serve it
   * from one of the namespace's backends here, marked X-Prism-Fallback. Returns false when the
   * namespace refuses that (ownerUnreachable: fail) or has no backend to try; the caller then fails.
   */
  private fallBack(
    ctx: RequestContext,
    owner: ForwardTarget,
    reason: FallbackReason,
    body: Req | CappedBody | null,
  ): boolean {
    const { state, backends } = this.deps;
    if (state.ownerOnly.has(ctx.namespace)) return false;
    const ad = state.advertisements.get(ctx.namespace);
    const backend = ad && backends.pick(ctx.namespace, ad.backends);
    if (!backend) return false;
    let target = this.fallbackTargets.get(backend);
    if (!target) {
      target = { kind: 'backend', origin: backend, name: backend };
      this.fallbackTargets.set(backend, target);
    }
    ctx.fallback = reason;
    const refused = this.refusedLiteral(target);
    if (refused) {
      this.failed(ctx, target, new PolicyRefusal(refused), false);
      return true;
    }
    this.dispatch(ctx, target, body, owner);
    return true;
  }

  /** @internal The owner failed before answering: fall back when nothing can have been processed, else fail. */
  ownerFailed(
    ctx: RequestContext,
    owner: ForwardTarget,
    err: unknown,
    written: boolean,
    body: Req | CappedBody | null,
  ) {
    if (!clientLeft(ctx) && (err as { code?: string }).code !== 'UND_ERR_ABORTED') {
      const reason = fallbackReason(err, written, ctx.req.method, body);
      if (reason && this.fallBack(ctx, owner, reason, body)) return;
    }
    this.failed(ctx, owner, err, false);
  }

  /** @internal The owner answered 503 PRISM-ROUTE-004 (no table yet): it did nothing with the request. */
  ownerNotReady(ctx: RequestContext, owner: ForwardTarget, body: Req | CappedBody | null): boolean {
    return !clientLeft(ctx) && replayable(body) && this.fallBack(ctx, owner, 'not_ready', body);
  }

  /**
   * Where the forwarder's own code fails (an exception in a handler callback): the chain's one rule
   * for exceptions. Set by the chain; until then, the failure is at least answered.
   */
  onInternalError = (ctx: RequestContext, _err: unknown): void => {
    settle(ctx, 'failed', 'internal');
    sendError(ctx, new PrismError('PRISM-INTERNAL-001', 'the proxy failed to handle the request'));
  };

  /** @internal A 413 before the upstream answered (or a cut response after): never the upstream's fault. */
  tooLarge(ctx: RequestContext, message: string): void {
    this.refuse(ctx, new PrismError('PRISM-REQ-004', message));
  }

  /**
   * A client error answered while the request body may still be arriving: on HTTP/1.1 the connection
   * closes after the answer (or Node would read the rest of the body to discard it); on HTTP/2 the
   * stream is reset with NO_ERROR once the answer is out, which tells the client to stop sending
   * (RFC 9113 §8.1).
   */
  private refuse(ctx: RequestContext, error: PrismError): void {
    const { req, res } = ctx;
    settle(ctx, 'rejected');
    if (!('stream' in res)) {
      sendError(ctx, error, CLOSE);
      return;
    }
    sendError(ctx, error);
    if (!req.readableEnded) res.stream.close();
  }

  private readonly basePaths = new Map<string, string>();

  /** A backend URL's path prefix, parsed once per backend rather than per request. */
  private basePath(origin: string): string {
    let base = this.basePaths.get(origin);
    if (base === undefined) {
      const path = new URL(origin).pathname;
      base = path === '/' ? '' : path.replace(/\/$/, '');
      this.basePaths.set(origin, base);
    }
    return base;
  }

  /** @internal An upstream request that failed before its response started. */
  failed(ctx: RequestContext, target: ForwardTarget, err: unknown, clientGone: boolean): void {
    const { backends } = this.deps;
    const code = (err as { code?: string }).code ?? '';
    if (clientGone || code === 'UND_ERR_ABORTED' || clientLeft(ctx)) {
      settle(ctx, 'aborted', 'client_abort', target);
      return;
    }
    if (REQUEST_CODES.has(code)) {
      this.refuse(ctx, new PrismError('PRISM-REQ-005', `the request cannot be forwarded: ${(err as Error).message}`));
      return;
    }
    const peer = target.kind === 'peer';
    let error: PrismError;
    let reason: 'backend_policy' | 'timeout' | 'peer_tls' | 'unreachable' | 'backend_down';
    if (err instanceof PolicyRefusal) {
      // The namespace's configuration, not the backend, is at fault: the backend is not marked down.
      reason = 'backend_policy';
      error = new PrismError('PRISM-ROUTE-008', describeRefusal(target.name, err.refusal));
    } else if (TIMEOUT_CODES.has(code)) {
      reason = 'timeout';
      error = new PrismError(
        'PRISM-ROUTE-003',
        `${peer ? `owner ${target.name}` : `backend ${target.name}`} did not answer within ${this.deps.config.forwarding.timeoutMs} ms`,
      );
    } else if (peer && isTlsFailure(err)) {
      // Nothing was sent: the handshake failed before undici had a connection to write to.
      reason = 'peer_tls';
      error = new PrismError(
        'PRISM-ROUTE-002',
        `owner ${target.name} (${target.origin}) of namespace "${ctx.namespace}" failed the TLS check: ${(err as Error).message}${code && !(err as Error).message.includes(code) ? ` (${code})` : ''}`,
      );
    } else if (peer) {
      reason = 'unreachable';
      error = new PrismError(
        'PRISM-ROUTE-002',
        `owner ${target.name} (${target.origin}) of namespace "${ctx.namespace}" failed: ${code || (err as Error).message}`,
      );
    } else {
      reason = 'backend_down';
      backends.failed(target.name);
      error = new PrismError(
        'PRISM-ROUTE-006',
        `backend ${target.name} of namespace "${ctx.namespace}" failed: ${code || (err as Error).message}`,
      );
    }
    settle(ctx, 'failed', reason, target);
    sendError(ctx, error, peer ? { 'x-prism-owner': addressOf(target) } : undefined);
  }

  async close(): Promise<void> {
    for (const p of this.pools.values()) p.closeWarm();
    const pools = [...[...this.pools.values()].map((p) => p.pool), ...[...this.peerPools.values()].map((p) => p.pool)];
    await Promise.all([...pools.map((p) => p.close().catch(ignore)), ...this.retiring]);
  }
}

type Out = Writable & { addTrailers(headers: Record<string, string | string[]>): void };

/**
 * One request in flight: undici's handler (the callbacks its core calls) writing into the client
 * response. A class rather than a literal with closures, so a request allocates one object.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private abort?: (err: Error) => void;
  private resume?: () => void;
  private clientGone = false;
  private started = false;
  private done = false;
  /** An exception of this handler's own code, as opposed to an upstream or client failure. */
  private internal?: unknown;

  /** undici started writing the request (onConnect): the upstream may have processed it from here on. */
  private written = false;
  /** A 503 from the owner, held until its body says whether the owner did anything (owner-fallback.ts). */
  private held?: { statusCode: number; rawHeaders: Buffer[]; chunks: Buffer[]; bytes: number };

  constructor(
    private readonly forwarder: Forwarder,
    private readonly ctx: RequestContext,
    private readonly target: ForwardTarget,
    private readonly body: Req | CappedBody | null,
    /** Set when this proxy serves the request because this owner could not (X-Prism-Fallback). */
    private readonly owner?: ForwardTarget,
  ) {}

  private get capped(): CappedBody | undefined {
    return this.body instanceof CappedBody ? this.body : undefined;
  }

  /** The client went away before the upstream answer was complete: cancel the upstream request. */
  readonly onClientClose = () => {
    if (this.done) return;
    this.clientGone = true;
    this.abort?.(new Error('client went away'));
  };

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    this.written = true;
    if (this.clientGone) abort(new Error('client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    const { ctx, target } = this;
    const { res } = ctx;
    this.started = true;
    this.resume = resume;
    if (responseGone(res)) {
      this.abort?.(new Error('client went away'));
      return false;
    }
    if (statusCode === 503 && target.kind === 'peer' && replayable(this.body)) {
      this.held = { statusCode, rawHeaders, chunks: [], bytes: 0 };
      return true;
    }
    this.writeHead(statusCode, rawHeaders);
    return true;
  }

  private writeHead(statusCode: number, rawHeaders: Buffer[]): void {
    const { ctx, target, owner } = this;
    const { self, backends, health } = this.forwarder.deps;
    try {
      const h = forwardResponseHeaders(rawHeaders);
      if (target.kind === 'peer') h.push('x-prism-forwarded-by', self);
      else {
        backends.succeeded(target.name);
        h.push(
          'x-prism-served-by',
          self,
          'x-prism-partition',
          String(ctx.partition),
          'x-prism-epoch',
          String(ctx.epoch),
        );
        if (owner) h.push('x-prism-fallback', 'owner-unreachable', 'x-prism-owner', addressOf(owner));
      }
      if (health?.degradedHeader) h.push('x-prism-degraded', health.degradedHeader);
      ctx.res.writeHead(statusCode, h as unknown as Record<string, string>);
    } catch (err) {
      // undici turns a throw here into onError(err), where `internal` tells it apart.
      this.internal = err;
      throw err;
    }
  }

  /** Writes a held 503 out as it came (its body was no ROUTE-004, or too long to be one). */
  private release(): void {
    const held = this.held as NonNullable<Exchange['held']>;
    this.held = undefined;
    this.writeHead(held.statusCode, held.rawHeaders);
    for (const chunk of held.chunks) (this.ctx.res as unknown as Out).write(chunk);
  }

  onData(chunk: Buffer): boolean {
    const held = this.held;
    if (held) {
      held.chunks.push(chunk);
      held.bytes += chunk.length;
      // A coded error body is a few hundred bytes; a long 503 is the application's own.
      if (held.bytes <= 16_384) return true;
      this.release();
      return true;
    }
    const out = this.ctx.res as unknown as Out;
    if (out.write(chunk)) return true;
    out.once('drain', () => this.resume?.());
    return false;
  }

  onComplete(trailers: (Buffer | string)[] | null): void {
    const out = this.ctx.res as unknown as Out;
    try {
      const held = this.held;
      if (held) {
        if (errorCodeOf(Buffer.concat(held.chunks)) === NOT_READY_CODE) {
          this.held = undefined;
          this.done = true;
          if (this.forwarder.ownerNotReady(this.ctx, this.target, this.body)) return;
          this.done = false;
          this.held = held;
        }
        this.release();
      }
      if (trailers && trailers.length > 0) out.addTrailers(trailerFields(trailers));
      out.end();
    } catch (err) {
      this.internal = err;
      throw err;
    }
    this.done = true;
  }

  /** Called by undici, which does not expect it to throw: every path ends here without one. */
  onError(err: Error): void {
    const { ctx, target, forwarder } = this;
    const { res } = ctx;
    this.done = true;
    try {
      if (this.internal !== undefined) forwarder.onInternalError(ctx, this.internal);
      else if (this.capped?.exceeded) forwarder.tooLarge(ctx, err.message);
      else if (!this.started || this.held) {
        if (this.clientGone || target.kind !== 'peer') forwarder.failed(ctx, target, err, this.clientGone);
        else forwarder.ownerFailed(ctx, target, err, this.written, this.body);
      } else {
        if (this.clientGone || responseGone(res)) settle(ctx, 'aborted', 'client_closed');
        else settle(ctx, 'failed', target.kind === 'peer' ? 'reset' : 'backend_reset');
        if (!responseGone(res)) 'stream' in res ? res.stream.close(2) : res.destroy();
      }
    } catch (last) {
      forwarder.onInternalError(ctx, last);
    }
  }
}

function ignore(): void {}

/** host:port of a target, as X-Prism-Owner gives it. */
function addressOf(target: ForwardTarget): string {
  return target.origin.replace(/^https?:\/\//, '');
}
