import { readFileSync } from 'node:fs';
import { connect as h2connect, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** A port on 127.0.0.1 (plain TCP), or an HTTPS port and the CA its certificate chains to. */
export type RawTarget = number | { port: number; ca: string | Buffer };

/** The raw target of a base URL: its port, over TLS checked against `caFile` when it is https://. */
export function rawTarget(url: string, caFile = ''): RawTarget {
  const { protocol, port } = new URL(url);
  return protocol === 'https:' ? { port: Number(port), ca: readFileSync(caFile) } : Number(port);
}

/** A fresh connection to the target; bytes written before the TLS handshake ends are sent after it. */
export function openRaw(target: RawTarget): Socket {
  return typeof target === 'number'
    ? connect(target, '127.0.0.1')
    : tlsConnect({ port: target.port, host: '127.0.0.1', ca: target.ca, servername: 'localhost' });
}

export interface RawAnswer {
  /** Everything the server sent, as latin1. */
  text: string;
  /** Status of the first response, 0 when none came. */
  status: number;
  /** Fields of the first response, names lower-cased (repeated fields joined by ", "). */
  headers: Record<string, string>;
  /** Body of the first response, de-chunked when chunked. */
  body: string;
  /** The server closed the connection before `waitMs`. */
  closed: boolean;
}

/**
 * Sends exactly `bytes` on a fresh TCP connection and collects the answer until the server closes
 * the connection or `waitMs` passes. Ask for `Connection: close` in the bytes to get it promptly.
 */
export function sendRaw(port: RawTarget, bytes: string | Buffer, waitMs = 3_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = openRaw(port);
    const chunks: Buffer[] = [];
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseAnswer(Buffer.concat(chunks).toString('latin1'), closed));
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.write(bytes);
  });
}

/**
 * Sends exact bytes on a fresh connection and reads one answer: until a complete response (by its
 * Content-Length), until the server closes (or, with `untilClosed`, only that), or for at most `waitMs`.
 */
export function rawRequest(
  port: RawTarget,
  bytes: string | Buffer,
  { waitMs = 5_000, untilClosed = false } = {},
): Promise<RawAnswer & { bytes: string; elapsedMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = openRaw(port);
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseAnswer(received.toString('latin1'), closed);
      resolve({ ...answer, bytes: answer.text, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (!untilClosed && complete(received.toString('latin1'))) finish(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    if (bytes.length > 0) socket.write(bytes);
  });
}

function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
  return length !== null && Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(length[1]);
}

export function parseAnswer(text: string, closed: boolean): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/') || end === -1) return { text, status: 0, headers: {}, body: '', closed };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { text, status: Number(statusLine.split(' ')[1]), headers, body, closed };
}

function dechunk(s: string): string {
  let out = '';
  for (let i = 0; ; ) {
    const eol = s.indexOf('\r\n', i);
    if (eol === -1) return out;
    const size = Number.parseInt(s.slice(i, eol), 16);
    if (!size) return out;
    out += s.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}

export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** RST_STREAM code when the stream was reset instead of answered. */
  reset?: number;
}

/**
 * One HTTP/2 (h2c) request on its own session. `body` chunks are written one by one; with
 * `endBody: false` the request stays open, as a client still uploading, until the answer comes.
 */
export function h2Request(
  url: string,
  headers: OutgoingHttpHeaders,
  options: { body?: (string | Buffer)[]; endBody?: boolean } = {},
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const session = h2connect(url);
    session.on('error', reject);
    const stream = session.request(headers);
    let status = 0;
    let got: IncomingHttpHeaders = {};
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      got = h;
    });
    stream.on('data', (d: Buffer) => {
      body += d.toString('latin1');
    });
    stream.on('error', () => undefined);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const reset = status ? undefined : stream.rstCode;
      // A client still uploading when the answer is complete gives up the rest.
      if (!stream.closed) stream.close();
      session.close();
      resolve({ status, headers: got, body, reset });
    };
    stream.on('end', finish);
    stream.on('close', finish);
    for (const chunk of options.body ?? []) stream.write(chunk);
    if (options.endBody !== false) stream.end();
  });
}
