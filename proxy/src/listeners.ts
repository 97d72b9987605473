import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

interface ConnectionSink {
  emit(event: 'connection', socket: Duplex): boolean;
}

/**
 * One cleartext port for HTTP/1.1 and h2c with prior knowledge. Node 20's http2 server ignores
 * allowHTTP1 without TLS, so the first bytes decide: the HTTP/2 preface goes to the http2 server,
 * anything else to the http server.
 */
export function sniffingServer(h1: ConnectionSink, h2: ConnectionSink): NetServer {
  return createNetServer({ noDelay: true }, (socket) => {
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const n = Math.min(head.length, 4);
      const h2Start = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      // "P", "PR" and "PRI" could still become POST, PUT, PATCH or PROPFIND: wait for 4 bytes.
      if (h2Start && head.length < 4) return;
      socket.removeListener('data', onData);
      socket.pause();
      socket.unshift(head);
      if (h2Start) h2.emit('connection', unconsumed(socket));
      else h1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
}

/**
 * The http2 session reads a net.Socket's handle directly, which would skip the bytes already read
 * for sniffing; a plain Duplex over the socket makes it read through JS, starting with them.
 */
function unconsumed(socket: Socket): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  Object.assign(d, {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    encrypted: false,
    setNoDelay: (v?: boolean) => socket.setNoDelay(v),
    setKeepAlive: (enable?: boolean, delay?: number) => socket.setKeepAlive(enable, delay),
    setTimeout: (ms: number, cb?: () => void) => socket.setTimeout(ms, cb),
  });
  socket.on('data', (chunk) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('close', () => d.destroy());
  socket.on('error', (err) => d.destroy(err));
  return d;
}
