import fc from 'fast-check';

/**
 * HTTP/1.1 requests as a structure a fuzzer can mutate and shrink, and as the bytes they become.
 * Strings are latin1: one character is one byte on the wire, so NUL, CR, LF and 0x80-0xff are all
 * expressible.
 */
export interface Http1Request {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
  /** The payload; how it is framed on the wire is `framing`. */
  body: string;
  framing: Framing;
}

export type Framing =
  | 'none'
  | 'unframed'
  | 'length'
  | 'chunked'
  | 'length-and-chunked'
  | 'two-lengths'
  | 'two-different-lengths'
  | 'length-short'
  | 'length-long'
  | { kind: 'length-value'; value: string }
  | { kind: 'coding'; value: string }
  | { kind: 'chunk-size'; value: string }
  | 'chunk-no-crlf'
  | 'chunk-no-last'
  | { kind: 'chunk-trailer'; field: string };

/** A structural edit of a request. Indexes are fractions, so an edit applies to any base request. */
export type Edit =
  | { kind: 'method'; value: string }
  | { kind: 'target'; value: string }
  | { kind: 'target-edit'; at: number; insert: string }
  | { kind: 'version'; value: string }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'duplicate'; at: number }
  | { kind: 'drop'; at: number }
  | { kind: 'many-headers'; count: number }
  | { kind: 'framing'; framing: Framing }
  | { kind: 'body'; body: string };

/** An edit of the serialized bytes. Positions are fractions of the length. */
export type ByteEdit =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'insert'; at: number; bytes: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'bare-lf' }
  | { kind: 'bare-cr' };

export interface Http1Case {
  request: Http1Request;
  edits: Edit[];
  /** A second request on the same connection (pipelining), built from the same base. */
  pipelined: boolean;
  bytes: ByteEdit[];
  /** Where the bytes are cut into separate writes, as fractions. */
  splits: number[];
}

const CRLF = '\r\n';

function frame(r: Http1Request): { headers: [string, string][]; wire: string } {
  const h: [string, string][] = [];
  const b = r.body;
  // Small chunks for small bodies; a big body in 7-byte chunks only measures the per-chunk cost.
  const size = b.length <= 4_096 ? 7 : 4_096;
  const chunked = (data: string, last = '0\r\n\r\n') => {
    let out = '';
    for (let i = 0; i < data.length; i += size) {
      const piece = data.slice(i, i + size);
      out += `${piece.length.toString(16)}${CRLF}${piece}${CRLF}`;
    }
    return out + last;
  };
  const f = r.framing;
  if (f === 'none') return { headers: h, wire: '' };
  if (f === 'unframed') return { headers: h, wire: b };
  if (f === 'length') return { headers: [['Content-Length', String(b.length)]], wire: b };
  if (f === 'chunked') return { headers: [['Transfer-Encoding', 'chunked']], wire: chunked(b) };
  if (f === 'length-and-chunked')
    return {
      headers: [
        ['Content-Length', String(b.length)],
        ['Transfer-Encoding', 'chunked'],
      ],
      wire: chunked(b),
    };
  if (f === 'two-lengths')
    return {
      headers: [
        ['Content-Length', String(b.length)],
        ['Content-Length', String(b.length)],
      ],
      wire: b,
    };
  if (f === 'two-different-lengths')
    return {
      headers: [
        ['Content-Length', String(b.length)],
        ['Content-Length', String(b.length + 1)],
      ],
      wire: b,
    };
  if (f === 'length-short') return { headers: [['Content-Length', String(Math.max(0, b.length - 1))]], wire: b };
  if (f === 'length-long') return { headers: [['Content-Length', String(b.length + 5)]], wire: b };
  if (f === 'chunk-no-crlf')
    return { headers: [['Transfer-Encoding', 'chunked']], wire: `${b.length.toString(16)}${CRLF}${b}0${CRLF}${CRLF}` };
  if (f === 'chunk-no-last') return { headers: [['Transfer-Encoding', 'chunked']], wire: chunked(b, '') };
  if (f.kind === 'length-value') return { headers: [['Content-Length', f.value]], wire: b };
  if (f.kind === 'coding') return { headers: [['Transfer-Encoding', f.value]], wire: chunked(b) };
  if (f.kind === 'chunk-size')
    return { headers: [['Transfer-Encoding', 'chunked']], wire: `${f.value}${CRLF}${b}${CRLF}0${CRLF}${CRLF}` };
  return { headers: [['Transfer-Encoding', 'chunked']], wire: chunked(b, `0${CRLF}${f.field}${CRLF}${CRLF}`) };
}

export function serialize(r: Http1Request): Buffer {
  const { headers, wire } = frame(r);
  let head = `${r.method} ${r.target} ${r.version}${CRLF}`;
  for (const [n, v] of [...r.headers, ...headers]) head += `${n}: ${v}${CRLF}`;
  return Buffer.from(`${head}${CRLF}${wire}`, 'latin1');
}

const pick = (length: number, at: number) => Math.min(length - 1, Math.floor(at * length));

export function applyEdit(r: Http1Request, e: Edit): Http1Request {
  switch (e.kind) {
    case 'method':
      return { ...r, method: e.value };
    case 'target':
      return { ...r, target: e.value };
    case 'target-edit': {
      const i = Math.floor(e.at * (r.target.length + 1));
      return { ...r, target: r.target.slice(0, i) + e.insert + r.target.slice(i) };
    }
    case 'version':
      return { ...r, version: e.value };
    case 'header':
      return { ...r, headers: [...r.headers, [e.name, e.value]] };
    case 'duplicate':
      return r.headers.length ? { ...r, headers: [...r.headers, r.headers[pick(r.headers.length, e.at)]] } : r;
    case 'drop':
      return r.headers.length ? { ...r, headers: r.headers.filter((_, i) => i !== pick(r.headers.length, e.at)) } : r;
    case 'many-headers':
      return {
        ...r,
        headers: [
          ...r.headers,
          ...Array.from({ length: e.count }, (_, i) => [`x-filler-${i}`, 'v'] as [string, string]),
        ],
      };
    case 'framing':
      return { ...r, framing: e.framing };
    case 'body':
      return { ...r, body: e.body, framing: r.framing === 'none' ? 'length' : r.framing };
  }
}

export function applyByteEdit(bytes: Buffer, e: ByteEdit): Buffer {
  if (bytes.length === 0) return bytes;
  switch (e.kind) {
    case 'flip': {
      const out = Buffer.from(bytes);
      const i = pick(out.length, e.at);
      out[i] ^= e.xor || 1;
      return out;
    }
    case 'insert': {
      const i = Math.floor(e.at * (bytes.length + 1));
      return Buffer.concat([bytes.subarray(0, i), Buffer.from(e.bytes, 'latin1'), bytes.subarray(i)]);
    }
    case 'truncate':
      return bytes.subarray(0, Math.floor(e.at * bytes.length));
    case 'bare-lf':
    case 'bare-cr': {
      const text = bytes.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end === -1 ? text : text.slice(0, end + 4);
      return Buffer.from(
        head.replaceAll('\r\n', e.kind === 'bare-lf' ? '\n' : '\r') + text.slice(head.length),
        'latin1',
      );
    }
  }
}

/** The writes a case makes on one connection. */
export function caseChunks(c: Http1Case): Buffer[] {
  let request = c.request;
  for (const e of c.edits) request = applyEdit(request, e);
  let bytes = serialize(request);
  if (c.pipelined) bytes = Buffer.concat([bytes, serialize(c.request)]);
  for (const e of c.bytes) bytes = applyByteEdit(bytes, e);
  const cuts = [...new Set(c.splits.map((s) => Math.floor(s * bytes.length)))]
    .filter((i) => i > 0)
    .sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks.filter((b) => b.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const latin1 = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n)), maxLength });
const printable = (maxLength: number) => fc.string({ unit: 'binary-ascii', maxLength });
const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/);
const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const HOSTILE_VALUES = [
  '',
  ' ',
  'chunked',
  'chunked, identity',
  'identity',
  'gzip, chunked',
  'Chunked',
  '0',
  '-1',
  '+5',
  '0x10',
  '1e3',
  '99999999999999999999',
  'close',
  'keep-alive',
  'upgrade',
  'Upgrade, HTTP2-Settings',
  'h2c',
  'websocket',
  '100-continue',
  'Bearer x',
  'bearer a.b.c',
  'a\0b',
  'a\rb',
  'a\nb',
  'a\r\n b',
  'a\r\n\tb',
  '\r\n continued',
  '\x7f',
  '\xff\xfe',
  'fuzz',
  'fuzz-b',
  'Fuzz',
  'fuzz\0',
  ' fuzz ',
  'fuzz,fuzz-b',
];

const HEADER_NAMES = [
  'Host',
  'Content-Length',
  'Transfer-Encoding',
  'X-Prism-Namespace',
  'X-Prism-Hops',
  'X-Prism-Table-Version',
  'X-Prism-Actor',
  'Connection',
  'Upgrade',
  'HTTP2-Settings',
  'Expect',
  'Authorization',
  'Trailer',
  'TE',
  'Keep-Alive',
  'Proxy-Connection',
  'Content-Type',
  'Content-Encoding',
  'Forwarded',
  'X-Forwarded-For',
  'Cookie',
  'Range',
  'Bad Name',
  'X\0Y',
  'X\rY',
  'X\nY',
  ':path',
  '',
  'Na\x7fme',
  'N\xe4me',
  'Host ',
  ' Host',
];

export const TARGETS = [
  '//',
  '///',
  '*',
  '',
  '/%',
  '/%zz',
  '/%00',
  '/%2F',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/../../etc/passwd',
  '/%C0%AF',
  '/%E0%A4%A',
  '/?%zz=%zz',
  '/#fragment',
  '/ /',
  '/\xff',
  'http://other.example/x',
  'http://127.0.0.1:1/',
  'https://other.example:443/x?y',
  'HTTP://OTHER.EXAMPLE',
  'other.example:443',
  '127.0.0.1:80',
  '//other.example/x',
  'x',
  '\\',
  '/\\..\\',
];

const method = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'OPTIONS',
      'TRACE',
      'PATCH',
      'CONNECT',
      'PROPFIND',
      'get',
      'G ET',
      '',
      'PRI',
      'ACL',
      'SEARCH',
      'SOURCE',
    ),
  },
  token,
  fc.constant('M'.repeat(300)),
  latin1(8),
);

/** Request-targets a server parses but must not forward as they are (RFC 9112 §3.2). */
export const NON_ORIGIN_TARGETS = [
  '*',
  'http://other.example/x',
  'https://other.example:443/x?y',
  'HTTP://OTHER.EXAMPLE',
  'http://127.0.0.1:1/',
  '//other.example/x',
  '//',
];

const targetValue = (paths: string[]) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...NON_ORIGIN_TARGETS) },
    { weight: 2, arbitrary: fc.constantFrom(...TARGETS, ...paths) },
    fc.constantFrom(...paths).map((p) => `${p}${p.includes('?') ? '&' : '?'}${'q'.repeat(9000)}=1`),
    fc.constantFrom(8_000, 17_000, 70_000).map((n) => `/${'a'.repeat(n)}`),
    printable(40).map((s) => `/${s}`),
    latin1(20),
  );

const targetInsert = fc.oneof(
  fc.constantFrom(
    '/',
    '//',
    '%',
    '%zz',
    '%00',
    '%2F',
    '%2f..%2f',
    '..',
    '?',
    '#',
    ' ',
    ':',
    ':refresh',
    ':x',
    '\0',
    '\xff',
  ),
  printable(6),
);

const version = fc.constantFrom(
  'HTTP/1.0',
  'HTTP/1.2',
  'HTTP/2.0',
  'HTTP/0.9',
  'HTTP/9.9',
  'http/1.1',
  'HTTP/11',
  'HTTP/1.1 ',
  'HTTP/1.1\0',
  'HTTP/',
  '',
  'HTTP/1.01',
);

const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom(9_000, 20_000, 110_000).map((n) => 'v'.repeat(n)) },
  { weight: 2, arbitrary: latin1(30) },
  { weight: 2, arbitrary: printable(30) },
);

export const framing: fc.Arbitrary<Framing> = fc.oneof(
  fc.constantFrom<Framing>(
    'none',
    'unframed',
    'length',
    'chunked',
    'length-and-chunked',
    'two-lengths',
    'two-different-lengths',
    'length-short',
    'length-long',
    'chunk-no-crlf',
    'chunk-no-last',
  ),
  fc
    .constantFrom('-1', '+5', '0x5', '5 5', '99999999999999999999', '1e2', '', ' 3', '3,3', '\t4')
    .map((value) => ({ kind: 'length-value' as const, value })),
  fc
    .constantFrom(
      'chunked, identity',
      'identity, chunked',
      'gzip, chunked',
      'Chunked',
      ' chunked',
      'xchunked',
      'chunked, chunked',
      'identity',
    )
    .map((value) => ({ kind: 'coding' as const, value })),
  fc
    .constantFrom('zz', '-1', 'ffffffffffffffffff', '7fffffff', '1;ext=1', '1;ext="x', '0x10', ' 5', '5 ', '', '5\0')
    .map((value) => ({ kind: 'chunk-size' as const, value })),
  fc
    .constantFrom('X-T: 1', 'Bad Name: 1', 'Content-Length: 5', 'X\0: 1', 'no-colon')
    .map((field) => ({ kind: 'chunk-trailer' as const, field })),
);

const body = fc.oneof(
  fc.constant(''),
  printable(64),
  latin1(64),
  fc.constantFrom(70_000, 1_100_000).map((n) => 'b'.repeat(n)),
  fc.constant('GET / HTTP/1.1\r\nHost: smuggled\r\nX-Prism-Namespace: fuzz-b\r\n\r\n'),
);

export const edit = (paths: string[]): fc.Arbitrary<Edit> =>
  fc.oneof(
    method.map((value) => ({ kind: 'method' as const, value })),
    { weight: 2, arbitrary: targetValue(paths).map((value) => ({ kind: 'target' as const, value })) },
    fc.record({ kind: fc.constant('target-edit' as const), at: frac, insert: targetInsert }),
    version.map((value) => ({ kind: 'version' as const, value })),
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('header' as const),
        name: fc.oneof(fc.constantFrom(...HEADER_NAMES), token, latin1(8)),
        value: headerValue,
      }),
    },
    fc.record({ kind: fc.constant('duplicate' as const), at: frac }),
    fc.record({ kind: fc.constant('drop' as const), at: frac }),
    fc.record({ kind: fc.constant('many-headers' as const), count: fc.constantFrom(50, 120, 2_000) }),
    { weight: 2, arbitrary: framing.map((f) => ({ kind: 'framing' as const, framing: f })) },
    body.map((b) => ({ kind: 'body' as const, body: b })),
  );

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('flip' as const), at: frac, xor: fc.integer({ min: 1, max: 255 }) }),
  },
  fc.record({
    kind: fc.constant('insert' as const),
    at: frac,
    bytes: fc.oneof(fc.constantFrom('\r', '\n', '\0', '\r\n', '\r\n\r\n', ' ', '\t', ':', '\x7f', '\xff'), latin1(6)),
  }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: frac }) },
  fc.constant({ kind: 'bare-lf' as const }),
  fc.constant({ kind: 'bare-cr' as const }),
);

/** Cases built from valid requests of `base`, with a few structural and byte-level mutations each. */
export function http1Case(base: fc.Arbitrary<Http1Request>, paths: string[]): fc.Arbitrary<Http1Case> {
  const e = edit(paths);
  return fc.record({
    request: base,
    // Mostly one edit at a time, so that one fault is not hidden behind another the parser refuses first.
    edits: fc.oneof(
      { weight: 4, arbitrary: fc.array(e, { maxLength: 1 }) },
      { weight: 1, arbitrary: fc.array(e, { minLength: 2, maxLength: 4 }) },
    ),
    pipelined: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
    bytes: fc.oneof(
      { weight: 5, arbitrary: fc.constant<ByteEdit[]>([]) },
      { weight: 1, arbitrary: fc.array(byteEdit, { minLength: 1, maxLength: 3 }) },
    ),
    splits: fc.oneof(
      { weight: 3, arbitrary: fc.constant<number[]>([]) },
      { weight: 1, arbitrary: fc.array(frac, { minLength: 1, maxLength: 4 }) },
    ),
  });
}

export const httpArbitraries = { latin1, printable, token, frac };
