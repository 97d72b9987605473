import type { Readable } from 'node:stream';
import type { FallbackReason } from './metrics.js';
import { isTlsFailure } from './peer-tls.js';

/**
 * When a forward to the owner fails, may this proxy serve the request from the namespace's backends
 * itself? Every proxy can reach every backend (ownership is for affinity), so a request the owner
 * cannot have processed is served here instead of failing while the owner restarts or dies. What
 * decides is whether the owner may have processed it:
 *  - nothing was written (undici calls onConnect when it starts writing the request): connection
 *    refused, connect timeout, a connection closed or reset before the request went out (a TLS
 *    handshake cut by a dying peer included). Any method, as long as its body was not read yet;
 *  - the owner answered 503 PRISM-ROUTE-004 (no table yet): it refused before doing anything;
 *  - written, then reset, closed or timed out: the owner may have processed it, so only an
 *    idempotent method without a body goes elsewhere (RFC 9110 §9.2.2).
 * A certificate failure never falls back: that is an attack or a misconfiguration, not an outage.
 */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

const CONNECT_CODES: Record<string, FallbackReason> = {
  ECONNREFUSED: 'connect_refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
};
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** A body stream another upstream can still be given: nobody has read from it and it is intact. */
export function replayable(body: Readable | null): boolean {
  return body === null || (!body.destroyed && !body.readableDidRead);
}

/** Why the request may be served here instead, or undefined when it must fail. */
export function fallbackReason(
  err: unknown,
  written: boolean,
  method: string | undefined,
  body: Readable | null,
): FallbackReason | undefined {
  if (isTlsFailure(err)) return undefined;
  const code = (err as { code?: string }).code ?? '';
  if (!written) {
    if (!replayable(body)) return undefined;
    return CONNECT_CODES[code] ?? 'closed_before_write';
  }
  if (body !== null || !IDEMPOTENT.has(method ?? '')) return undefined;
  return TIMEOUT_CODES.has(code) ? 'timeout' : 'closed_after_write';
}

/** An owner's 503 that is worth looking into: its coded body says whether it did anything. */
export const NOT_READY_CODE = 'PRISM-ROUTE-004';

/** The error code of a coded JSON body (CONTRACT §4), or '' when it is none. */
export function errorCodeOf(body: Buffer): string {
  try {
    const code = JSON.parse(body.toString('utf8'))?.error?.code;
    return typeof code === 'string' ? code : '';
  } catch {
    return '';
  }
}
