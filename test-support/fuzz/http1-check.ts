import type { Finding } from './findings.js';

/**
 * What a server owes a connection after it received `bytes` (RFC 9112):
 *
 * - `required`: the bytes hold a complete request head (ended by CRLF CRLF) and, as far as its framing
 *   can be read, all of its body — or framing a server must refuse with 400 (§6.1, §6.3: Transfer-Encoding
 *   together with Content-Length, a final coding other than chunked, a Content-Length that is not a
 *   number, a broken chunk). The server must answer, a 400 at least; closing without an answer is a
 *   failure, and so is holding the connection silently.
 * - `optional`: the request is incomplete (no end of the head yet, or fewer body bytes than declared).
 *   The server is waiting for the rest: silence, a 408 or a close are all correct, and so is an early
 *   400 when what arrived is already malformed.
 * - `other`: on the proxy's port, whose first bytes pick the protocol, the connection starts with the
 *   HTTP/2 preface or a TLS handshake record (0x16); not HTTP/1.1 (the h2 target covers h2c).
 */
export type Owed = 'required' | 'optional' | 'other';

export interface RequestAnalysis {
  owed: Owed;
  /** Host field lines in the first request (RFC 9112 §3.2: exactly one, or the server answers 400). */
  hosts: number;
  /** Methods of the requests found, in order, as far as they could be delimited (HEAD answers have no body). */
  methods: string[];
  why: string;
}

const HEAD_END = '\r\n\r\n';

function fieldValues(lines: string[], name: string): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === name) out.push(line.slice(colon + 1).trim());
  }
  return out;
}

/** Where a chunked body starting at `from` ends, 'incomplete', or 'invalid'. */
function chunkedEnd(text: string, from: number): number | 'incomplete' | 'invalid' {
  let i = from;
  for (;;) {
    const eol = text.indexOf('\r\n', i);
    if (eol === -1) return /^[0-9a-fA-F]*(;[^\r\n]*)?\r?$/.test(text.slice(i)) ? 'incomplete' : 'invalid';
    const m = /^([0-9a-fA-F]{1,16})(;[^\r\n]*)?$/.exec(text.slice(i, eol));
    if (!m) return 'invalid';
    const size = Number.parseInt(m[1], 16);
    if (!Number.isSafeInteger(size)) return 'invalid';
    if (size === 0) {
      const end = text.indexOf(HEAD_END, eol);
      if (text.startsWith('\r\n', eol + 2)) return eol + 4;
      return end === -1 ? 'incomplete' : end + 4;
    }
    const dataEnd = eol + 2 + size;
    if (text.length < dataEnd + 2) return 'incomplete';
    if (text.slice(dataEnd, dataEnd + 2) !== '\r\n') return 'invalid';
    i = dataEnd + 2;
  }
}

/** Reads the requests in `bytes` as a strict HTTP/1.1 server would delimit them. */
export function analyzeRequests(bytes: Buffer, sniffing: boolean): RequestAnalysis {
  const text = bytes.toString('latin1');
  if (sniffing && (text.startsWith('PRI ') || bytes[0] === 0x16))
    return { owed: 'other', methods: [], hosts: 0, why: 'another protocol' };
  const methods: string[] = [];
  let owed: Owed | undefined;
  let hosts = -1;
  let why = '';
  let at = 0;
  while (at < text.length) {
    // A server skips empty lines before a request-line (RFC 9112 §2.2), and so does llhttp with a lone CR.
    while (text[at] === '\r' || text[at] === '\n') at++;
    if (at >= text.length) break;
    const end = text.indexOf(HEAD_END, at);
    const first = text.slice(at, end === -1 ? undefined : end);
    const method = first.split(/[ \r\n]/, 1)[0];
    if (end === -1) {
      owed ??= 'optional';
      why ||= 'the request head is not complete';
      methods.push(method);
      break;
    }
    methods.push(method);
    const lines = first.split('\r\n').slice(1);
    if (hosts === -1) hosts = fieldValues(lines, 'host').length;
    const te = fieldValues(lines, 'transfer-encoding');
    const cl = fieldValues(lines, 'content-length');
    let bodyEnd: number | 'incomplete' | 'invalid';
    if (te.length > 0) {
      const codings = te
        .join(',')
        .split(',')
        .map((c) => c.trim().toLowerCase());
      bodyEnd = cl.length > 0 || codings.at(-1) !== 'chunked' ? 'invalid' : chunkedEnd(text, end + 4);
    } else if (cl.length > 0) {
      bodyEnd = cl.length === 1 && /^\d{1,15}$/.test(cl[0]) ? end + 4 + Number(cl[0]) : 'invalid';
      if (typeof bodyEnd === 'number' && bodyEnd > text.length) bodyEnd = 'incomplete';
    } else {
      bodyEnd = end + 4;
    }
    if (bodyEnd === 'incomplete') {
      owed ??= 'optional';
      why ||= 'the body is not complete';
      break;
    }
    owed ??= 'required';
    why ||= bodyEnd === 'invalid' ? 'the framing must be refused' : 'a complete request';
    if (bodyEnd === 'invalid') break;
    at = bodyEnd;
  }
  return { owed: owed ?? 'optional', methods, hosts, why: why || 'nothing sent' };
}

export interface Http1Response {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

export interface ParsedResponses {
  responses: Http1Response[];
  /** All bytes belong to complete responses. */
  complete: boolean;
  /** Why the bytes are not valid HTTP/1.1 responses. */
  error?: string;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3}) [\t\x20-\x7e\x80-\xff]*$/;
const FIELD_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;

/**
 * Parses what a server sent on one connection as HTTP/1.1 responses. `methods` are the request
 * methods in order (a HEAD answer has no body); `closed` says the server closed the connection, which
 * ends a body without framing.
 */
export function parseResponses(bytes: Buffer, methods: string[], closed: boolean): ParsedResponses {
  const text = bytes.toString('latin1');
  const responses: Http1Response[] = [];
  let at = 0;
  let final = 0;
  while (at < text.length) {
    const end = text.indexOf(HEAD_END, at);
    if (end === -1) {
      if (!'HTTP/1.1 '.startsWith(text.slice(at, at + 9)) && !text.slice(at).startsWith('HTTP/1.'))
        return { responses, complete: false, error: `not a status line: ${JSON.stringify(text.slice(at, at + 60))}` };
      return closed
        ? { responses, complete: false, error: 'the connection closed inside a response head' }
        : { responses, complete: false };
    }
    const [statusLine, ...lines] = text.slice(at, end).split('\r\n');
    const m = STATUS_LINE.exec(statusLine);
    if (!m) return { responses, complete: false, error: `bad status line ${JSON.stringify(statusLine.slice(0, 80))}` };
    const status = Number(m[1]);
    const headers: [string, string][] = [];
    for (const line of lines) {
      const f = FIELD_LINE.exec(line);
      if (!f) return { responses, complete: false, error: `bad header line ${JSON.stringify(line.slice(0, 80))}` };
      headers.push([f[1].toLowerCase(), f[2]]);
    }
    const values = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
    let bodyStart = end + 4;
    let bodyEnd: number;
    const method = status < 200 ? undefined : (methods[final] ?? 'GET');
    const te = values('transfer-encoding');
    const cl = values('content-length');
    if (status < 200 || status === 204 || status === 304 || method === 'HEAD') {
      bodyEnd = bodyStart;
    } else if (te.length > 0) {
      if (te.join(',').split(',').at(-1)?.trim().toLowerCase() !== 'chunked')
        return { responses, complete: false, error: `response transfer-encoding ${te.join(',')}` };
      const e = chunkedEnd(text, bodyStart);
      if (e === 'invalid') return { responses, complete: false, error: 'bad chunked response body' };
      if (e === 'incomplete') {
        return closed
          ? { responses, complete: false, error: 'the connection closed inside a chunked body' }
          : { responses, complete: false };
      }
      bodyEnd = e;
    } else if (cl.length > 0) {
      if (!cl.every((v) => v === cl[0]) || !/^\d+$/.test(cl[0]))
        return { responses, complete: false, error: `bad content-length ${cl.join(',')}` };
      bodyEnd = bodyStart + Number(cl[0]);
      if (bodyEnd > text.length) {
        return closed
          ? { responses, complete: false, error: 'the connection closed inside a response body' }
          : { responses, complete: false };
      }
    } else {
      if (!closed) return { responses, complete: false };
      bodyEnd = text.length;
    }
    if (
      method === 'HEAD' &&
      bodyEnd < text.length &&
      !text.startsWith('HTTP/1.', bodyEnd) &&
      !'HTTP/1.'.startsWith(text.slice(bodyEnd, bodyEnd + 7))
    )
      return { responses, complete: false, error: 'a body after the answer to HEAD' };
    let body = bytes.subarray(bodyStart, bodyEnd);
    if (te.length > 0) body = dechunk(text.slice(bodyStart, bodyEnd));
    responses.push({ status, headers, body });
    if (status >= 200) final++;
    at = bodyEnd;
    bodyStart = at;
  }
  return { responses, complete: responses.length > 0 };
}

function dechunk(text: string): Buffer {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', i);
    const size = Number.parseInt(text.slice(i, eol), 16);
    if (!(size > 0)) break;
    parts.push(text.slice(eol + 2, eol + 2 + size));
    i = eol + 4 + size;
  }
  return Buffer.from(parts.join(''), 'latin1');
}

const PRISM_CODE = /^PRISM-[A-Z]+-\d{3}$/;

/** The PRISM- code of a coded JSON error body, if it is one. */
export function prismCode(body: Buffer): string | undefined {
  try {
    const code = (JSON.parse(body.toString('utf8')) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' && PRISM_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Statuses Node's HTTP server sends itself, with an empty body and `Connection: close`, before any
 * handler runs: 400 (unparsable request), 408 (headers too slow), 413, 431 (headers too large), and
 * 417 for an Expect other than 100-continue (RFC 9110 §10.1.1 allows it).
 */
export const NODE_OWN_STATUSES = new Set([400, 408, 413, 417, 431]);

/** 5xx statuses that answer the request itself, not a fault: 501 (method not implemented), 505 (version). */
export const REFUSING_5XX = new Set([501, 505]);

/**
 * Judges one answer: a success, a coded JSON error (any 4xx, or a coded 501/505), or one of Node's own
 * statuses with no body. Any other 5xx is never the right answer to a client's bytes while the
 * target's upstreams are healthy.
 */
export function judgeResponse(r: Http1Response, method: string): Finding[] {
  const code = prismCode(r.body);
  if (r.status >= 500 && !(REFUSING_5XX.has(r.status) && code)) {
    return [
      {
        property: 'no 5xx for client input',
        signature: `${r.status} ${method === 'HEAD' ? '(HEAD)' : (code ?? 'uncoded')}`,
        detail: `${r.status} ${r.body.toString('utf8').slice(0, 300)}`,
      },
    ];
  }
  if (r.status < 400 || code || (method === 'HEAD' && r.status < 500)) return [];
  if (NODE_OWN_STATUSES.has(r.status) && r.body.length === 0) return [];
  return [
    {
      property: 'errors are coded',
      signature: `uncoded ${r.status}`,
      detail: `${r.status} without a PRISM- code: ${JSON.stringify(r.body.toString('latin1').slice(0, 200))}`,
    },
  ];
}
