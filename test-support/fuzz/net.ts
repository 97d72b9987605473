import { openRaw, type RawTarget } from '../raw-http.js';
import type { ProcessWatch } from './watch.js';

export interface ExchangeResult {
  bytes: Buffer;
  /** The server ended or closed the connection (rather than the client giving up). */
  closedByServer: boolean;
  /** A socket error such as ECONNRESET. */
  error?: string;
  /** A crash in the process ended the wait. */
  crashed: boolean;
}

export interface ExchangeOptions {
  /**
   * Whether the bytes so far answer everything sent ('all': the exchange ends now) or make complete
   * answers that more may follow ('some': it ends after `quietMs` of silence).
   */
  done(bytes: Buffer): 'all' | 'some' | false;
  quietMs: number;
  /** How long to wait after the last write, at most. */
  waitMs: number;
  watch?: ProcessWatch;
  maxBytes?: number;
}

/**
 * Writes `chunks` on a fresh connection to `target` (a port on 127.0.0.1, or an HTTPS port and its
 * CA) and collects what comes back.
 */
export function exchange(target: RawTarget, chunks: Buffer[], o: ExchangeOptions): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const socket = openRaw(target);
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    let size = 0;
    let closedByServer = false;
    let crashed = false;
    let error: string | undefined;
    let finished = false;
    let wait: NodeJS.Timeout | undefined;
    let quiet: NodeJS.Timeout | undefined;
    const unsubscribe = o.watch?.onNextCrash(() => {
      crashed = true;
      setTimeout(finish, 20);
    });
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(wait);
      clearTimeout(quiet);
      unsubscribe?.();
      socket.destroy();
      resolve({ bytes: Buffer.concat(received), closedByServer, error, crashed });
    };
    const serverClosed = () => {
      if (finished) return;
      closedByServer = true;
      finish();
    };
    socket.on('data', (d: Buffer) => {
      received.push(d);
      size += d.length;
      if (size > (o.maxBytes ?? 4_000_000)) return finish();
      clearTimeout(quiet);
      const done = o.done(Buffer.concat(received));
      if (done === 'all') finish();
      else if (done) quiet = setTimeout(finish, o.quietMs);
    });
    socket.on('end', serverClosed);
    socket.on('close', serverClosed);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    // Written at once: a TLS socket sends what was written before its handshake ends after it.
    void (async () => {
      for (const chunk of chunks) {
        if (socket.destroyed || !socket.writable) break;
        await new Promise<void>((r) => socket.write(chunk, () => r()));
      }
      if (!finished) wait = setTimeout(finish, o.waitMs);
    })();
  });
}
