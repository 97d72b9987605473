import fc from 'fast-check';
import type { Finding } from './findings.js';
import { httpArbitraries } from './http1.js';
import { REFUSING_5XX } from './http1-check.js';
import { exchange } from './net.js';
import type { AccessLine, ProcessWatch } from './watch.js';

/**
 * HTTP/2 frame sequences written by hand (RFC 9113): the connection preface, then frames of every
 * type with random flags, stream ids and lengths, some of them lying about their length, and header
 * blocks that are either a small valid HPACK block (literals without indexing, RFC 7541 §6.2.2) of
 * a request, mutated or not, or random bytes.
 */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

/** 'new' opens the next client stream (1, 3, 5, …); 'current' is the last one opened. */
export type StreamRef = 'new' | 'current' | number;

export interface RequestBlock {
  kind: 'request';
  method: string;
  path: string;
  ns: string;
  drop: string[];
  extra: [string, string][];
}
export type Block =
  | RequestBlock
  | { kind: 'bytes'; bytes: string }
  | { kind: 'cut'; request: RequestBlock; at: number };

export type FrameSpec = (
  | { t: 'settings'; ack: boolean; params: [number, number][] }
  | {
      t: 'headers';
      stream: StreamRef;
      endStream: boolean;
      endHeaders: boolean;
      priority: boolean;
      pad: number | null;
      block: Block;
    }
  | { t: 'continuation'; stream: StreamRef; endHeaders: boolean; block: Block }
  | { t: 'data'; stream: StreamRef; endStream: boolean; pad: number | null; size: number }
  | { t: 'rst'; stream: StreamRef; code: number }
  | { t: 'ping'; ack: boolean; length: number }
  | { t: 'window'; stream: StreamRef; increment: number }
  | { t: 'priority'; stream: StreamRef; dependency: number; length: number }
  | { t: 'goaway'; last: number; code: number }
  | { t: 'push'; stream: StreamRef }
  | { t: 'unknown'; type: number; flags: number; stream: StreamRef; size: number }
  | { t: 'raw'; bytes: string }
) & { lengthDelta: number; repeat: number };

export interface H2Case {
  preface: 'valid' | 'truncated' | 'corrupt';
  /** The empty SETTINGS frame that completes a client's connection preface (RFC 9113 §3.4). */
  settings: boolean;
  frames: FrameSpec[];
}

function hpackInt(value: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const hpackString = (s: string) => [...hpackInt(s.length, 7, 0), ...Buffer.from(s, 'latin1')];

/** A header block of literals without indexing, so the decoder's dynamic table never matters. */
export function hpackBlock(fields: [string, string][]): Buffer {
  const bytes: number[] = [];
  for (const [n, v] of fields) bytes.push(0x00, ...hpackString(n), ...hpackString(v));
  return Buffer.from(bytes);
}

function blockBytes(b: Block): Buffer {
  if (b.kind === 'bytes') return Buffer.from(b.bytes, 'latin1');
  if (b.kind === 'cut') {
    const full = blockBytes(b.request);
    return full.subarray(0, Math.floor(b.at * full.length));
  }
  const fields: [string, string][] = [
    [':method', b.method],
    [':scheme', 'http'],
    [':authority', 'fuzz.example'],
    [':path', b.path],
    ['x-prism-namespace', b.ns],
  ];
  return hpackBlock([...fields.filter(([n]) => !b.drop.includes(n)), ...b.extra]);
}

function frameHeader(length: number, type: number, flags: number, stream: number): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(Math.max(0, Math.min(length, 0xffffff)), 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream >>> 0, 5);
  return h;
}

function padded(payload: Buffer, pad: number | null): { payload: Buffer; flags: number } {
  if (pad === null) return { payload, flags: 0 };
  return { payload: Buffer.concat([Buffer.from([pad]), payload, Buffer.alloc(pad)]), flags: PADDED };
}

/** The bytes of a case: the preface and every frame, one buffer per frame (they go out as separate writes). */
export function h2Chunks(c: H2Case): Buffer[] {
  const chunks: Buffer[] = [];
  if (c.preface === 'valid') chunks.push(PREFACE);
  else if (c.preface === 'truncated') chunks.push(PREFACE.subarray(0, 18));
  else chunks.push(Buffer.concat([PREFACE.subarray(0, 18), Buffer.from('XX\r\n\r\n')]));
  if (c.settings) chunks.push(frameHeader(0, T.SETTINGS, 0, 0));
  let current = 1;
  let next = 1;
  const id = (s: StreamRef) => {
    if (s === 'current') return current;
    if (s === 'new') {
      current = next;
      next += 2;
      return current;
    }
    return s;
  };
  let total = 0;
  for (const f of c.frames) {
    const out: Buffer[] = [];
    // Floods repeat small frames; a repeated big frame is cut to about 1 MB in all.
    for (let i = 0; i < f.repeat && (i === 0 || total < 1_000_000); i++) {
      let type: number;
      let flags = 0;
      let stream = 0;
      let payload: Buffer;
      switch (f.t) {
        case 'settings':
          type = T.SETTINGS;
          flags = f.ack ? ACK : 0;
          payload = Buffer.alloc(f.params.length * 6);
          f.params.forEach(([k, v], j) => {
            payload.writeUInt16BE(k, j * 6);
            payload.writeUInt32BE(v >>> 0, j * 6 + 2);
          });
          break;
        case 'headers': {
          type = T.HEADERS;
          stream = id(f.stream);
          let block = blockBytes(f.block);
          if (f.priority) block = Buffer.concat([Buffer.from([0, 0, 0, 0, 16]), block]);
          const p = padded(block, f.pad);
          payload = p.payload;
          flags =
            p.flags |
            (f.endStream ? END_STREAM : 0) |
            (f.endHeaders ? END_HEADERS : 0) |
            (f.priority ? PRIORITY_FLAG : 0);
          break;
        }
        case 'continuation':
          type = T.CONTINUATION;
          stream = id(f.stream);
          payload = blockBytes(f.block);
          flags = f.endHeaders ? END_HEADERS : 0;
          break;
        case 'data': {
          type = T.DATA;
          stream = id(f.stream);
          const p = padded(Buffer.alloc(f.size, 0x64), f.pad);
          payload = p.payload;
          flags = p.flags | (f.endStream ? END_STREAM : 0);
          break;
        }
        case 'rst':
          type = T.RST_STREAM;
          stream = id(f.stream);
          payload = Buffer.alloc(4);
          payload.writeUInt32BE(f.code >>> 0);
          break;
        case 'ping':
          type = T.PING;
          flags = f.ack ? ACK : 0;
          payload = Buffer.alloc(f.length, i % 256);
          break;
        case 'window':
          type = T.WINDOW_UPDATE;
          stream = id(f.stream);
          payload = Buffer.alloc(4);
          payload.writeUInt32BE(f.increment >>> 0);
          break;
        case 'priority':
          type = T.PRIORITY;
          stream = id(f.stream);
          payload = Buffer.alloc(f.length);
          if (f.length >= 4) payload.writeUInt32BE(f.dependency >>> 0);
          break;
        case 'goaway':
          type = T.GOAWAY;
          payload = Buffer.alloc(8);
          payload.writeUInt32BE(f.last >>> 0);
          payload.writeUInt32BE(f.code >>> 0, 4);
          break;
        case 'push':
          type = T.PUSH_PROMISE;
          stream = id(f.stream);
          payload = Buffer.concat([Buffer.from([0, 0, 0, 2]), hpackBlock([[':method', 'GET']])]);
          flags = END_HEADERS;
          break;
        case 'unknown':
          type = f.type;
          flags = f.flags;
          stream = id(f.stream);
          payload = Buffer.alloc(f.size, 0x75);
          break;
        case 'raw':
          out.push(Buffer.from(f.bytes, 'latin1'));
          total += f.bytes.length;
          continue;
      }
      out.push(frameHeader(payload.length + f.lengthDelta, type, flags, stream), payload);
      total += 9 + payload.length;
    }
    chunks.push(Buffer.concat(out));
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const { latin1, frac } = httpArbitraries;
const u32 = fc.oneof(fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1), fc.nat());
const streamRef: fc.Arbitrary<StreamRef> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<StreamRef>('new', 'current') },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 2 ** 31 - 1) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 31 - 1 }) },
);
const pad = fc.option(fc.constantFrom(0, 1, 10, 255), { freq: 5 });

const requestBlock: fc.Arbitrary<RequestBlock> = fc.record({
  kind: fc.constant('request' as const),
  method: fc.oneof(
    { weight: 4, arbitrary: fc.constant('GET') },
    fc.constantFrom('POST', 'HEAD', 'OPTIONS', 'CONNECT', 'DELETE', 'TRACE', '', 'get', 'G ET'),
  ),
  path: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('/', '/x?y=1') },
    fc.constantFrom('*', '', '//', 'http://other.example/x', '/%zz', 'x', '/ /', '/\0', `/${'a'.repeat(20_000)}`),
  ),
  ns: fc.constantFrom('fuzz', 'fuzz', 'fuzz', 'fuzz-b', 'not-reserved', 'Bad_NS', 'fuzz\0', ''),
  drop: fc.oneof(
    { weight: 4, arbitrary: fc.constant<string[]>([]) },
    fc.subarray([':method', ':scheme', ':authority', ':path', 'x-prism-namespace'], { maxLength: 2 }),
  ),
  extra: fc.array(
    fc.oneof(
      fc.constantFrom<[string, string]>(
        [':method', 'GET'],
        [':path', '/again'],
        [':status', '200'],
        [':protocol', 'websocket'],
        ['connection', 'keep-alive'],
        ['transfer-encoding', 'chunked'],
        ['te', 'trailers'],
        ['te', 'gzip'],
        ['content-length', '5'],
        ['content-length', 'abc'],
        ['X-Upper', 'case'],
        ['bad name', 'x'],
        ['x-nul', 'a\0b'],
        ['x-crlf', 'a\r\nb'],
        ['host', 'other.example'],
        ['x-prism-hops', '9'],
        ['x-prism-table-version', '-1'],
        ['authorization', 'Bearer x.y.z'],
        ['cookie', 'a=b'],
      ),
      fc.tuple(latin1(10), latin1(20)),
      fc.constantFrom(9_000, 70_000).map((n) => ['x-big', 'v'.repeat(n)] as [string, string]),
    ),
    { maxLength: 2 },
  ),
});

const block: fc.Arbitrary<Block> = fc.oneof(
  { weight: 4, arbitrary: requestBlock },
  { weight: 1, arbitrary: latin1(24).map((bytes) => ({ kind: 'bytes' as const, bytes })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), request: requestBlock, at: frac }) },
);

const frameBody: fc.Arbitrary<Omit<FrameSpec, 'lengthDelta' | 'repeat'>> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('settings' as const),
      ack: fc.boolean(),
      params: fc.array(fc.tuple(fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 0xffff })), u32), {
        maxLength: 3,
      }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('headers' as const),
      stream: streamRef,
      endStream: fc.boolean(),
      endHeaders: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
      priority: fc.boolean(),
      pad,
      block,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('continuation' as const),
      stream: streamRef,
      endHeaders: fc.boolean(),
      block,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('data' as const),
      stream: streamRef,
      endStream: fc.boolean(),
      pad,
      size: fc.oneof(fc.nat(64), fc.constantFrom(16_384, 70_000)),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('rst' as const), stream: streamRef, code: fc.oneof(fc.nat(14), u32) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('ping' as const),
      ack: fc.boolean(),
      length: fc.oneof(fc.constant(8), fc.nat(16)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('window' as const), stream: streamRef, increment: u32 }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('priority' as const),
      stream: streamRef,
      dependency: u32,
      length: fc.oneof(fc.constant(5), fc.nat(8)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('goaway' as const), last: u32, code: fc.oneof(fc.nat(14), u32) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('push' as const), stream: streamRef }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('unknown' as const),
      type: fc.integer({ min: 10, max: 255 }),
      flags: fc.nat(255),
      stream: streamRef,
      size: fc.nat(40),
    }),
  },
  { weight: 1, arbitrary: latin1(20).map((bytes) => ({ t: 'raw' as const, bytes })) },
);

const frameSpec: fc.Arbitrary<FrameSpec> = fc
  .record({
    body: frameBody,
    lengthDelta: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, fc.constantFrom(-1, 1, -9, 100, 0xffffff)),
    repeat: fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, fc.constantFrom(20, 200, 1_200)),
  })
  .map(({ body, lengthDelta, repeat }) => ({ ...body, lengthDelta, repeat }) as FrameSpec);

export const h2Case = (): fc.Arbitrary<H2Case> =>
  fc.record({
    preface: fc.oneof(
      { weight: 20, arbitrary: fc.constant('valid' as const) },
      fc.constantFrom('truncated' as const, 'corrupt' as const),
    ),
    settings: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, fc.constant(false)),
    frames: fc.array(frameSpec, { minLength: 1, maxLength: 10 }),
  });

// ---------------------------------------------------------------------------------------------
// Judging what the server sent back

/** Checks the server's bytes are HTTP/2 frames: its SETTINGS first, then whole frames; GOAWAY well-formed. */
export function judgeH2Reply(sent: Buffer[], bytes: Buffer, closedByServer: boolean): Finding[] {
  const findings: Finding[] = [];
  const bad = (signature: string, detail: string) =>
    findings.push({ property: 'answers are well-formed HTTP/2', signature, detail });
  let at = 0;
  let n = 0;
  let goaway = false;
  const cut: number[] = [];
  while (at + 9 <= bytes.length) {
    const length = bytes.readUIntBE(at, 3);
    const type = bytes[at + 3];
    const stream = bytes.readUInt32BE(at + 5) & 0x7fffffff;
    if (n === 0 && sent[0]?.equals(PREFACE) && (type !== T.SETTINGS || stream !== 0))
      bad('the first frame is not SETTINGS', `first frame type ${type} on stream ${stream}`);
    if (type === T.GOAWAY) {
      goaway = true;
      if (stream !== 0 || length < 8) bad('bad GOAWAY', `GOAWAY on stream ${stream}, length ${length}`);
    }
    if (at + 9 + length > bytes.length) {
      if (closedByServer) bad('the connection closed inside a frame', `frame type ${type} declares ${length} bytes`);
      break;
    }
    if (type === T.RST_STREAM && length === 4 && bytes.readUInt32BE(at + 9) === 2) cut.push(stream);
    at += 9 + length;
    n++;
  }
  if (closedByServer && at + 9 > bytes.length && at !== bytes.length)
    bad('the connection closed inside a frame header', `${bytes.length - at} stray bytes`);
  // RST_STREAM INTERNAL_ERROR (2) is how the proxy cuts a response whose upstream failed; with a
  // healthy backend it is the proxy's failure. Not so when the session ends: Node then resets every
  // open stream with INTERNAL_ERROR (and answers some client protocol errors, HEADERS on stream 0 for
  // one, with GOAWAY INTERNAL_ERROR), which says nothing about the proxy.
  if (cut.length > 0 && !goaway)
    findings.push({
      property: 'responses are not cut',
      signature: 'RST_STREAM INTERNAL_ERROR',
      detail: `RST_STREAM with INTERNAL_ERROR on stream ${cut.join(', ')} of a live session`,
    });
  return findings;
}

/** Sends a frame sequence and judges the frames that come back. */
export async function runH2Case(port: number, chunks: Buffer[], watch: ProcessWatch): Promise<Finding[]> {
  const result = await exchange(port, chunks, { done: () => 'some', quietMs: 30, waitMs: 200, watch });
  return judgeH2Reply(chunks, result.bytes, result.closedByServer);
}

/**
 * What the proxy answered, from its access log (HTTP/2 answers are HPACK-coded, the log is not): no
 * 5xx, and no request that failed on the proxy's side — also when the client was gone before the 5xx
 * could be sent (it is logged as status 200, outcome failed). `skipPath` is the suite's own probe.
 */
export function accessFindings(lines: AccessLine[], skipPath = '/after'): Finding[] {
  return lines
    .filter((line) => (line.status >= 500 || line.outcome === 'failed') && line.outcome !== 'aborted')
    .filter((line) => !(REFUSING_5XX.has(line.status) && line.error))
    .filter((line) => line.path !== skipPath)
    .map((line) => ({
      property: 'no 5xx for client input',
      signature: `${line.status >= 500 ? line.status : 'failed'} ${line.error ?? 'uncoded'}`,
      detail: `${line.method} ${JSON.stringify(line.path?.slice(0, 100))} (namespace ${JSON.stringify(line.namespace)}): ${line.status} ${line.error ?? ''} ${line.outcome}`,
    }));
}
