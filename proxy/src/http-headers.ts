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
/** Lengths of the names above: a field of another length is end-to-end without lower-casing it. */
const HOP_LENGTHS = new Set([...HOP_BY_HOP].map((name) => name.length));

type HeaderValue = string | string[] | undefined;

function connectionTokens(value: HeaderValue, into?: Set<string>): Set<string> | undefined {
  if (!value) return into;
  const tokens = (Array.isArray(value) ? value.join(',') : value).split(',');
  let set = into;
  for (const t of tokens) {
    const token = t.trim().toLowerCase();
    if (!token) continue;
    set ??= new Set();
    set.add(token);
  }
  return set;
}

/** Fields a proxy sets anew when it forwards to a peer (CONTRACT §3). */
const PEER_FIELDS = new Set(['x-prism-hops', 'x-prism-table-version']);

/**
 * End-to-end request fields: no pseudo-headers, no hop-by-hop fields, none named in Connection; as a
 * flat [name, value, …] list, which undici takes as it is. `toPeer` leaves out the fields the caller
 * sets anew for a peer proxy.
 */
export function forwardRequestHeaders(
  headers: IncomingHttpHeaders,
  remoteAddress: string | undefined,
  toPeer = false,
): string[] {
  const named = connectionTokens(headers.connection);
  const out: string[] = [];
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || key.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(key) || named?.has(key)) continue;
    if (key === 'x-forwarded-for' || (toPeer && PEER_FIELDS.has(key))) continue;
    if (typeof value === 'string') out.push(key, value);
    else for (const v of value) out.push(key, v);
  }
  const host = headers.host ?? (headers[':authority'] as string | undefined);
  if (host) out.push('host', host);
  const prior = headers['x-forwarded-for'];
  const chain = prior ? (Array.isArray(prior) ? prior.join(', ') : prior) : undefined;
  if (remoteAddress) out.push('x-forwarded-for', chain ? `${chain}, ${remoteAddress}` : remoteAddress);
  else if (chain) out.push('x-forwarded-for', chain);
  return out;
}

/**
 * End-to-end fields of an upstream response, from the raw [name, value, …] list undici parsed, as
 * a flat list for writeHead(): names keep the upstream's spelling and repeated fields stay repeated.
 */
export function forwardResponseHeaders(raw: readonly (Buffer | string)[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toString('latin1').toLowerCase() === 'connection')
      named = connectionTokens(raw[i + 1].toString('latin1'), named);
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i].toString('latin1');
    if (HOP_LENGTHS.has(key.length) || named) {
      const lower = key.toLowerCase();
      if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    }
    out.push(key, raw[i + 1].toString('latin1'));
  }
  return out;
}

/** Trailer fields from undici's raw list, as an object for addTrailers() (HTTP/1.1 and HTTP/2 alike). */
export function trailerFields(raw: readonly (Buffer | string)[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('latin1');
    const prior = out[key];
    out[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}
