import { connect } from 'node:net';

export interface RawAnswer {
  /** 0 when no status line arrived. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent. */
  bytes: string;
  /** The server closed the connection (rather than the wait running out). */
  closed: boolean;
  elapsedMs: number;
}

/**
 * Sends exact bytes on a fresh connection and reads one answer: until a complete response (by its
 * Content-Length), until the server closes, or for at most `waitMs`.
 */
export function rawRequest(
  port: number,
  bytes: string | Buffer,
  { waitMs = 5_000, untilClosed = false } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(received.toString('latin1')), closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d) => {
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

function parse(text: string): Omit<RawAnswer, 'closed' | 'elapsedMs'> {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine, ...fields] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const f of fields) {
    const colon = f.indexOf(':');
    if (colon > 0) headers[f.slice(0, colon).trim().toLowerCase()] = f.slice(colon + 1).trim();
  }
  return {
    status,
    headers,
    body: end < 0 ? '' : Buffer.from(text.slice(end + 4), 'latin1').toString('utf8'),
    bytes: text,
  };
}
