import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific fields, plus HTTP/2's and those undici sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
  'http2-settings',
  'host',
  'expect',
]);

type HeaderValue = string | string[] | undefined;

function connectionTokens(value: HeaderValue): Set<string> | undefined {
  if (!value) return undefined;
  const tokens = (Array.isArray(value) ? value.join(',') : value).split(',');
  return new Set(tokens.map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** End-to-end request fields: no pseudo-headers, no hop-by-hop fields, none named in Connection. */
export function forwardRequestHeaders(
  headers: IncomingHttpHeaders,
  remoteAddress: string | undefined,
): Record<string, string | string[]> {
  const named = connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || key.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(key) || named?.has(key)) continue;
    out[key] = value;
  }
  const host = headers.host ?? (headers[':authority'] as string | undefined);
  if (host) out.host = host;
  if (remoteAddress) {
    const prior = headers['x-forwarded-for'];
    out['x-forwarded-for'] = prior
      ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remoteAddress}`
      : remoteAddress;
  }
  return out;
}

/** End-to-end response fields from an upstream response. */
export function forwardResponseHeaders(headers: Record<string, HeaderValue>): Record<string, string | string[]> {
  const named = connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || HOP_BY_HOP.has(key) || named?.has(key)) continue;
    out[key] = value;
  }
  return out;
}
