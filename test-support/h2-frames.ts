import { type Socket, connect as tcp } from 'node:net';

/** Frame types of RFC 9113 §6 that the tests write or read. */
export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** One frame: 9-byte header (length, type, flags, stream id) and the payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK string literal without Huffman coding: the length as a 7-bit-prefix integer (RFC 7541 §5.1). */
function literal(s: string): Buffer {
  const bytes: number[] = [];
  let n = s.length;
  if (n < 127) bytes.push(n);
  else {
    bytes.push(127);
    n -= 127;
    while (n >= 128) {
      bytes.push((n % 128) + 128);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
  }
  return Buffer.concat([Buffer.from(bytes), Buffer.from(s, 'latin1')]);
}

/**
 * An HPACK block for a GET with the given extra headers, written without the dynamic table or
 * Huffman coding so that every block stands alone: static-table entries for :method GET, :scheme
 * http and :path /, literals for the rest.
 */
export function requestBlock(headers: Record<string, string> = {}, authority = 'localhost'): Buffer {
  const parts = [Buffer.from([0x82, 0x86, 0x84]), Buffer.from([0x01]), literal(authority)];
  for (const [name, value] of Object.entries(headers)) parts.push(Buffer.from([0x00]), literal(name), literal(value));
  return Buffer.concat(parts);
}

export const headersFrame = (streamId: number, block: Buffer, flags = FLAG.END_HEADERS | FLAG.END_STREAM) =>
  frame(FRAME.HEADERS, flags, streamId, block);

export function rstStream(streamId: number, code = 0x8 /* CANCEL */): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

export const settings = () => frame(FRAME.SETTINGS, 0, 0);
export const settingsAck = () => frame(FRAME.SETTINGS, FLAG.ACK, 0);
export const ping = (n: number) => {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(n >>> 0, 4);
  return frame(FRAME.PING, 0, 0, payload);
};

export interface ReadFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw h2c client connection: writes what the test builds, parses what the server sends. */
export class RawH2 {
  readonly frames: ReadFrame[] = [];
  closed = false;
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 9) {
        const length = this.buffered.readUIntBE(0, 3);
        if (this.buffered.length < 9 + length) break;
        this.frames.push({
          type: this.buffered[3],
          flags: this.buffered[4],
          streamId: this.buffered.readUInt32BE(5) & 0x7fffffff,
          payload: this.buffered.subarray(9, 9 + length),
        });
        this.buffered = this.buffered.subarray(9 + length);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /**
   * Connects and sends the preface and an empty SETTINGS frame. With allowHalfOpen the client keeps
   * its side open after the server's FIN, as a client that ignores GOAWAY would.
   */
  static async open(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawH2> {
    const socket = tcp({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const conn = new RawH2(socket);
    conn.write(Buffer.concat([PREFACE, settings()]));
    return conn;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Writes unless the server has closed the connection; reports whether it wrote. */
  write(bytes: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    this.socket.write(bytes);
    return true;
  }

  /** The GOAWAY the server sent, if any: last stream id and error code. */
  goaway(): { lastStreamId: number; code: number } | undefined {
    const f = this.frames.find((x) => x.type === FRAME.GOAWAY);
    return f && { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) };
  }

  /** Resolves when `predicate` holds or the connection closed, at most `ms`. */
  async until(predicate: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!predicate() && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return predicate();
  }

  close(): void {
    this.socket.destroy();
  }
}
