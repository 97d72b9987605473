import type { Http2ServerRequest } from 'node:http2';
import type { Writable } from 'node:stream';
import { type Dispatcher, Pool } from 'undici';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import { PrismError } from '../../core/src/errors.js';
import type { Backends } from './backends.js';
import { forwardRequestHeaders, forwardResponseHeaders, trailerFields } from './http-headers.js';
import type { ProxyMetrics } from './metrics.js';
import type { ForwardTarget, RequestContext, Res } from './plugins/types.js';
import { sendError } from './respond.js';
import type { RoutingState } from './state.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function responseGone(res: Res): boolean {
  return 'stream' in res ? res.stream.destroyed || res.stream.closed : res.destroyed;
}

function hasBody(ctx: RequestContext): boolean {
  const { req } = ctx;
  if ('stream' in req) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export interface ForwarderDeps {
  self: string;
  config: Readonly<ProxyConfig>;
  state: RoutingState;
  backends: Backends;
  metrics: ProxyMetrics;
}

/**
 * Streams a request to a backend or a peer proxy over pooled keep-alive connections (undici) and
 * streams the answer back: no body is ever buffered whole, and a client that goes away cancels the
 * upstream request.
 */
export class Forwarder {
  private readonly pools = new Map<string, Pool>();

  constructor(readonly deps: ForwarderDeps) {}

  private pool(target: ForwardTarget): Pool {
    let pool = this.pools.get(target.origin);
    if (!pool) {
      const { pools, forwarding } = this.deps.config;
      const h2c = target.kind === 'peer' && forwarding.h2c;
      pool = new Pool(new URL(target.origin).origin, {
        connections: target.kind === 'peer' ? pools.connectionsPerPeer : pools.connectionsPerBackend,
        keepAliveTimeout: pools.keepAliveTimeoutMs,
        headersTimeout: forwarding.timeoutMs,
        bodyTimeout: forwarding.timeoutMs,
        ...(h2c
          ? { allowH2: true, connect: { useH2c: true, timeout: Math.min(forwarding.timeoutMs, 10_000) } }
          : {
              connect: { timeout: Math.min(forwarding.timeoutMs, 10_000) },
            }),
      } as Pool.Options);
      this.pools.set(target.origin, pool);
    }
    return pool;
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
    const { req, res } = ctx;
    const { state } = this.deps;
    const peer = target.kind === 'peer';
    ctx.upstream = target.name;
    ctx.outcome = peer ? 'forwarded' : 'local';
    const headers = forwardRequestHeaders(req.headers, req.socket?.remoteAddress, peer);
    if (peer) headers.push('x-prism-hops', String(ctx.hops + 1), 'x-prism-table-version', String(state.version));
    const base = peer ? '' : this.basePath(target.origin);
    const body = hasBody(ctx) ? req : null;
    // undici destroys the body stream when the request is aborted; that error is handled below.
    body?.on('error', () => undefined);
    const exchange = new Exchange(this, ctx, target);
    // The response (or h2 stream) lives for this request only, so the listener needs no removal.
    ('stream' in res ? res.stream : res).on('close', exchange.onClientClose);
    this.pool(target).dispatch({ method: req.method as 'GET', path: base + (req.url ?? '/'), headers, body }, exchange);
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
    const { metrics, backends } = this.deps;
    const code = (err as { code?: string }).code ?? '';
    if (clientGone || code === 'UND_ERR_ABORTED') {
      ctx.outcome = 'aborted';
      metrics.failure('client_abort');
      return;
    }
    const peer = target.kind === 'peer';
    let error: PrismError;
    let reason: string;
    if (TIMEOUT_CODES.has(code)) {
      reason = 'timeout';
      error = new PrismError(
        'PRISM-ROUTE-003',
        `${peer ? `owner ${target.name}` : `backend ${target.name}`} did not answer within ${this.deps.config.forwarding.timeoutMs} ms`,
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
    metrics.failure(reason);
    ctx.outcome = 'failed';
    sendError(ctx, error, peer ? { 'x-prism-owner': target.origin.replace(/^http:\/\//, '') } : undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
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

  constructor(
    private readonly forwarder: Forwarder,
    private readonly ctx: RequestContext,
    private readonly target: ForwardTarget,
  ) {}

  /** The client went away before the upstream answer was complete: cancel the upstream request. */
  readonly onClientClose = () => {
    if (this.done) return;
    this.clientGone = true;
    this.abort?.(new Error('client went away'));
  };

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
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
    const { self, backends } = this.forwarder.deps;
    const h = forwardResponseHeaders(rawHeaders);
    if (target.kind === 'peer') h.push('x-prism-forwarded-by', self);
    else {
      backends.succeeded(target.name);
      h.push('x-prism-served-by', self, 'x-prism-partition', String(ctx.partition));
    }
    res.writeHead(statusCode, h as unknown as Record<string, string>);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const out = this.ctx.res as unknown as Out;
    if (out.write(chunk)) return true;
    out.once('drain', () => this.resume?.());
    return false;
  }

  onComplete(trailers: (Buffer | string)[] | null): void {
    const out = this.ctx.res as unknown as Out;
    if (trailers && trailers.length > 0) out.addTrailers(trailerFields(trailers));
    out.end();
    this.done = true;
  }

  onError(err: Error): void {
    const { ctx, target } = this;
    const { res } = ctx;
    if (!this.started) this.forwarder.failed(ctx, target, err, this.clientGone);
    else {
      ctx.outcome = this.clientGone || responseGone(res) ? 'aborted' : 'failed';
      if (ctx.outcome === 'failed')
        this.forwarder.deps.metrics.failure(target.kind === 'peer' ? 'reset' : 'backend_reset');
      if (!responseGone(res)) 'stream' in res ? res.stream.close(2) : res.destroy();
    }
    this.done = true;
  }
}
