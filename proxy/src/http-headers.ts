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
/** The names above by length: most fields have a length no hop-by-hop name has, and need no check. */
const HOP_BY_LENGTH: (string[] | undefined)[] = [];
for (const name of HOP_BY_HOP) HOP_BY_LENGTH[name.length] = [...(HOP_BY_LENGTH[name.length] ?? []), name];

/** `key` equals the lower-case `name`, ignoring ASCII case, without allocating a lower-cased copy. */
function sameName(key: string, name: string): boolean {
  for (let i = 0; i < name.length; i++) if ((key.charCodeAt(i) | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

function isHopByHop(key: string): boolean {
  const names = HOP_BY_LENGTH[key.length];
  if (!names) return false;
  for (const name of names) if (sameName(key, name)) return true;
  return false;
}

type HeaderValue = string | string[] | undefined;

/**
 * Field names listed in Connection, beyond the hop-by-hop ones every proxy drops anyway; undefined
 * for the usual "keep-alive" or "close".
 */
function connectionTokens(value: HeaderValue, into?: Set<string>): Set<string> | undefined {
  if (!value) return into;
  if (typeof value === 'string' && !value.includes(',')) {
    const v = value.trim().toLowerCase();
    if (v === 'keep-alive' || v === 'close' || HOP_BY_HOP.has(v)) return into;
  }
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

/**
 * Request fields in the proxy's own `x-prism-` range that a client may send: the namespace. The
 * others are set by proxies (X-Prism-Hops and X-Prism-Table-Version towards a peer, which the
 * forwarder sets anew) or name proxies in responses; a backend gets none of them, so it cannot be
 * fooled by a client spelling them, and a peer gets only what the forwarding proxy vouches for.
 */
const CLIENT_PRISM_FIELD = 'x-prism-namespace';

/** A lower-case `x-prism-*` name other than the namespace; one char code decides for almost every field. */
function isProxyField(key: string): boolean {
  return key.charCodeAt(0) === 120 /* 'x' */ && key.startsWith('x-prism-') && key !== CLIENT_PRISM_FIELD;
}

/**
 * End-to-end request fields: no pseudo-headers, no hop-by-hop fields, none named in Connection, no
 * proxy-set `x-prism-*` field; as a flat [name, value, …] list, which undici takes as it is.
 */
export function forwardRequestHeaders(headers: IncomingHttpHeaders, remoteAddress: string | undefined): string[] {
  const named = connectionTokens(headers.connection);
  const out: string[] = [];
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || key.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(key) || named?.has(key)) continue;
    if (key === 'x-forwarded-for' || isProxyField(key)) continue;
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
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i].toString('latin1');
    if (!isHopByHop(key)) out.push(key, raw[i + 1].toString('latin1'));
    else if (sameName(key, 'connection')) named = connectionTokens(raw[i + 1].toString('latin1'), named);
  }
  if (!named) return out;
  const listed = named;
  return out.filter((_, i, all) => !listed.has(all[i - (i % 2)].toLowerCase()));
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
