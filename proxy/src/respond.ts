import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { PrismError } from '../../core/src/errors.js';
import type { Req, RequestContext, Res } from './plugins/types.js';

function gone(res: Res): boolean {
  return 'stream' in res ? res.stream.destroyed || res.stream.closed : res.destroyed;
}

/** Sends a coded JSON error (CONTRACT §4), or cuts the response if its head already went out. */
export function sendError(ctx: RequestContext, error: PrismError, headers?: Record<string, string>): void {
  const { res } = ctx;
  ctx.errorCode = error.code;
  if (gone(res)) return;
  if (res.headersSent) {
    if ('stream' in res) res.stream.close(2);
    else res.destroy();
    return;
  }
  const body = JSON.stringify(error.toBody());
  const degraded = ctx.health?.degradedHeader;
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
    ...(degraded && { 'x-prism-degraded': degraded }),
  });
  res.end(body);
}

/** A response without an error body (e.g. a 307 redirect). */
export function sendEmpty(ctx: RequestContext, status: number, headers?: Record<string, string>): void {
  const { res } = ctx;
  if (gone(res) || res.headersSent) return;
  const degraded = ctx.health?.degradedHeader;
  res.writeHead(status, { 'content-length': '0', ...headers, ...(degraded && { 'x-prism-degraded': degraded }) });
  res.end();
}

/**
 * The listener for the servers' 'connect' event, so CONNECT gets the chain's coded answer (405 with
 * Allow) instead of what Node does with no listener: destroy the socket without a word (HTTP/1.1)
 * or a bare 405 (HTTP/2). HTTP/2 passes a request and a response; HTTP/1.1 passes the socket, on
 * which a response is built here, closing the connection once it is sent.
 */
export function connectListener(handle: (req: Req, res: Res) => void) {
  return (req: Req, second: Res | Socket): void => {
    if ('writeHead' in second) {
      handle(req, second);
      return;
    }
    const socket = second;
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req as IncomingMessage);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on('finish', () => socket.destroySoon());
    handle(req, res);
  };
}
