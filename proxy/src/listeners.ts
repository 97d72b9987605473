import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** The content type of a TLS handshake record: every TLS connection starts with it, no HTTP request does. */
const TLS_HANDSHAKE = 0x16;

interface ConnectionSink {
  emit(event: 'connection', socket: Duplex): boolean;
}

export interface Sinks {
  h1: ConnectionSink;
  /** h2c with prior knowledge. */
  h2: ConnectionSink;
  /** A TLS server (ALPN h2 and http/1.1); without it a TLS handshake goes to h1, which answers 400. */
  tls?: ConnectionSink;
}

export interface SniffOptions {
  /** How long a connection may stay silent (or stop inside "PRI") before it is closed. */
  firstBytesTimeoutMs: number;
  onTimeout(): void;
  /** false: only TLS is served; a cleartext connection is closed once its first bytes say so. */
  cleartext: boolean;
  onCleartextRefused(): void;
}

export type SniffingServer = NetServer & {
  /** Closes the connections that have not said which protocol they speak yet (at shutdown). */
  closeUndecided(): void;
  /** Connections that have not said which protocol they speak yet. */
  undecided(): number;
};

/**
 * One port for HTTP/1.1, h2c with prior knowledge and TLS. Node 20's http2 server ignores
 * allowHTTP1 without TLS, so the first bytes decide: a TLS handshake record goes to the TLS server
 * (peers, and clients when tls.certFile is set), the HTTP/2 preface to the http2 server, anything
 * else to the http server. The bytes read to decide are put back with unshift(); the http2 session
 * and the TLS socket take bytes already buffered on the socket before they start reading the handle.
 * Until it decides, no server's timeouts apply, so the socket gets its own inactivity timeout; the
 * TLS server's handshake timeout takes over from there.
 */
export function sniffingServer(sinks: Sinks, options: SniffOptions): SniffingServer {
  const { h1, h2, tls } = sinks;
  const undecided = new Set<Socket>();
  const server = createNetServer({ noDelay: true }, (socket) => {
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const secure = tls !== undefined && head[0] === TLS_HANDSHAKE;
      const n = Math.min(head.length, 4);
      const h2Start = !secure && head.subarray(0, n).equals(PREFACE.subarray(0, n));
      // "P", "PR" and "PRI" could still become POST, PUT, PATCH or PROPFIND: wait for 4 bytes.
      if (h2Start && head.length < 4) return;
      socket.removeListener('data', onData);
      socket.removeListener('timeout', onTimeout);
      socket.setTimeout(0);
      undecided.delete(socket);
      if (!secure && !options.cleartext) {
        options.onCleartextRefused();
        socket.destroy();
        return;
      }
      socket.pause();
      socket.unshift(head);
      if (secure) {
        // As for h2: the TLS socket drains what is buffered, then reads the handle itself.
        tls.emit('connection', socket);
      } else if (h2Start) {
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
    undecided: () => undecided.size,
  });
}
