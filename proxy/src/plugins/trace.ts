import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { PrismError } from '../../../core/src/errors.js';
import type { Tracing } from '../../../core/src/tracing.js';
import { outcomeFields, spanAttributes } from '../outcome.js';
import { CONTINUE, type PluginFactory, type Req, type TraceHop } from './types.js';

const getter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};
const setter: TextMapSetter<string[]> = {
  set: (headers, key, value) => {
    headers.push(key, value);
  },
};

/** Methods the HTTP semantic conventions name; any other is reported as _OTHER (bounded cardinality). */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/** This proxy's span for one request; the next hop (peer or backend) gets it as its parent. */
class Hop implements TraceHop {
  constructor(
    readonly span: Span,
    private readonly tracing: Tracing,
  ) {}

  inject(headers: string[]): void {
    // The client's fields were copied as they came; the next hop's parent is this span, not the client's.
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (headers[i] === 'traceparent' || headers[i] === 'tracestate') headers.splice(i, 2);
    }
    this.tracing.propagator.inject(trace.setSpan(ROOT_CONTEXT, this.span), headers, setter);
  }
}

function requestAttributes(req: Req): Attributes {
  const method = req.method ?? 'GET';
  const known = KNOWN_METHODS.has(method);
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const host = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  const attributes: Attributes = {
    'http.request.method': known ? method : '_OTHER',
    'url.path': query < 0 ? url : url.slice(0, query),
    'url.scheme': (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http',
    'network.protocol.version': req.httpVersion === '2.0' ? '2' : req.httpVersion,
    'client.address': req.socket?.remoteAddress,
    'user_agent.original': req.headers['user-agent'],
  };
  if (!known) attributes['http.request.method_original'] = method;
  if (host) {
    const port = /:(\d{1,5})$/.exec(host);
    attributes['server.address'] = port ? host.slice(0, port.index).replace(/^\[|\]$/g, '') : host;
    if (port) attributes['server.port'] = Number(port[1]);
  }
  return attributes;
}

/**
 * Tracing (only in the chain with tracing.enabled): the first plugin, so every request has a span,
 * the refused ones too. onRequest continues the client's W3C trace (an invalid traceparent starts a
 * new one, it is never an error) or starts one; onResponse names what happened and ends the span.
 * The forwarder sends this span to the next hop as its parent (RequestContext.traceHop).
 */
export const tracePlugin: PluginFactory = (_options, env) => {
  const tracing = env.tracing;
  if (!tracing) throw new PrismError('PRISM-PLUGIN-001', 'plugin "trace" needs tracing.enabled');
  const { tracer, propagator } = tracing;
  return {
    name: 'trace',
    hooks: {
      onRequest(ctx) {
        const { req } = ctx;
        const parent = propagator.extract(ROOT_CONTEXT, req.headers, getter);
        const span = tracer.startSpan(
          req.method ?? 'HTTP',
          { kind: SpanKind.SERVER, attributes: requestAttributes(req) },
          parent,
        );
        ctx.traceId = span.spanContext().traceId;
        ctx.traceHop = new Hop(span, tracing);
        return CONTINUE;
      },
      onResponse(ctx) {
        const span = (ctx.traceHop as Hop | undefined)?.span;
        if (!span) return;
        if (span.isRecording()) {
          // The fields the access log writes, from the one mapping of a settled request (outcome.ts).
          span.setAttributes(spanAttributes(outcomeFields(ctx, env.self, performance.now() - ctx.startedAt)));
          if (ctx.hops) span.setAttribute('prism.hops', ctx.hops);
          if (ctx.outcome === 'failed' || ctx.status >= 500) {
            span.setAttribute('error.type', ctx.errorCode || (ctx.status ? String(ctx.status) : ctx.outcome));
            span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.errorCode || undefined });
          }
        }
        span.end();
      },
    },
  };
};
