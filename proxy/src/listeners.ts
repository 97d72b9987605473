import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

interface ConnectionSink {
  emit(event: 'connection', socket: Duplex): boolean;
}

export interface SniffOptions {
  /** How long a connection may stay silent (or stop inside "PRI") before it is closed. */
  firstBytesTimeoutMs: number;
  onTimeout(): void;
}

export type SniffingServer = NetServer & {
  /** Closes the connections that have not said which protocol they speak yet (at shutdown). */
  closeUndecided(): void;
};

/**
 * One cleartext port for HTTP/1.1 and h2c with prior knowledge. Node 20's http2 server ignores
 * allowHTTP1 without TLS, so the first bytes decide: the HTTP/2 preface goes to the http2 server,
 * anything else to the http server. The bytes read to decide are put back with unshift(); the
 * http2 session takes bytes already buffered on the socket before it starts reading the handle.
 * Until it decides, no server's timeouts apply, so the socket gets its own inactivity timeout.
 */
export function sniffingServer(h1: ConnectionSink, h2: ConnectionSink, options: SniffOptions): SniffingServer {
  const undecided = new Set<Socket>();
  const server = createNetServer({ noDelay: true }, (socket) => {
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const n = Math.min(head.length, 4);
      const h2Start = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      // "P", "PR" and "PRI" could still become POST, PUT, PATCH or PROPFIND: wait for 4 bytes.
      if (h2Start && head.length < 4) return;
      socket.removeListener('data', onData);
      socket.removeListener('timeout', onTimeout);
      socket.setTimeout(0);
      undecided.delete(socket);
      socket.pause();
      socket.unshift(head);
      if (h2Start) {
        // No resume(): the session reads the handle itself, after draining what is buffered.
        h2.emit('connection', socket);
      } else {
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    const onTimeout = () => {
      options.onTimeout();
      socket.destroy();
    };
    undecided.add(socket);
    socket.once('close', () => undecided.delete(socket));
    socket.setTimeout(options.firstBytesTimeoutMs, onTimeout);
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  return Object.assign(server, {
    closeUndecided() {
      for (const socket of undecided) socket.destroy();
    },
  });
}
