import type { PrismError } from '../../core/src/errors.js';
import type { RequestContext, Res } from './plugins/types.js';

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
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** A response without an error body (e.g. a 307 redirect). */
export function sendEmpty(ctx: RequestContext, status: number, headers?: Record<string, string>): void {
  const { res } = ctx;
  if (gone(res) || res.headersSent) return;
  res.writeHead(status, { 'content-length': '0', ...headers });
  res.end();
}
