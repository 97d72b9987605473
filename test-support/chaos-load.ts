import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/** One request of an open-loop run, as the client saw it. Times are ms on the harness clock (`now()`). */
/** The error of a request the generator did not send: a timeout's worth was still queued (client overload). */
export const NOT_SENT = 'not-sent-overload';

export interface LoadRecord {
  namespace: string;
  /** When it was due (open loop: latency counts from here, so a stalled target shows as latency). */
  start: number;
  latencyMs: number;
  /** 0 when no response came. */
  status: number;
  /** '' for a 2xx; else `http-<status>`, or the error code (ECONNREFUSED, UND_ERR_SOCKET, timeout...). */
  error: string;
  servedBy: string;
  forwardedBy: string;
  fallback: string;
  /** Sent twice: the first try met a keep-alive connection closing before any response byte. */
  retried: boolean;
}

/** The harness clock: ms since this process started, shared by the load, the operations and the recorders. */
export const now = () => performance.now();

export interface OpenLoadOptions {
  /** Requests per second, spread evenly whatever the answers do (open loop). */
  rate: number;
  /** Upper bound of the run; stop() ends it earlier. */
  seconds: number;
  /** Keep-alive connections to the target. */
  connections?: number;
  /** A request without a complete answer after this is an error ('timeout'). */
  timeoutMs?: number;
}

/** Errors where the connection closed before any byte of the answer: what RFC 9112 §9.3.1 lets a client retry. */
const CLOSED_BEFORE_ANSWER = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

function errorKind(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string }; name?: string };
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  return e.cause?.code ?? e.code ?? e.name ?? 'error';
}

/**
 * Sends GET / with X-Prism-Namespace round robin over `names` at a fixed rate through `connections`
 * keep-alive connections (undici Pool), and records every request. Bounded by rate × seconds requests
 * and by the time; a target that stops answering cannot pile up more than `rate` × timeout requests.
 *
 * A request whose keep-alive connection closed before any response byte is sent once more (as
 * browsers and curl do for an idempotent request, RFC 9112 §9.3.1) and marked `retried`: a load
 * balancer that closes idle connections on a reload is not a failed request, one that fails the retry is.
 */
export function openLoad(port: number, names: string[], options: OpenLoadOptions) {
  const { rate, seconds, connections = 8, timeoutMs = 5_000 } = options;
  const pool = new Pool(`http://127.0.0.1:${port}`, {
    connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 30_000,
  });
  const records: LoadRecord[] = [];
  const total = Math.ceil(rate * seconds);
  const maxOutstanding = Math.max(100, Math.ceil((rate * timeoutMs) / 1000));
  const t0 = now();
  let issued = 0;
  let outstanding = 0;
  let stopped = false;
  let settle: () => void = () => undefined;
  const finished = new Promise<void>((r) => {
    settle = r;
  });

  const once = async (namespace: string) => {
    const res = await pool.request({
      path: '/',
      method: 'GET',
      headers: { 'x-prism-namespace': namespace },
    });
    await res.body.dump();
    const h = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? v.join(',') : (v ?? '');
    };
    return {
      status: res.statusCode,
      servedBy: h('x-prism-served-by'),
      forwardedBy: h('x-prism-forwarded-by'),
      fallback: h('x-prism-fallback'),
    };
  };

  const send = async (i: number, start: number) => {
    const namespace = names[i % names.length];
    const record: LoadRecord = {
      namespace,
      start,
      latencyMs: 0,
      status: 0,
      error: '',
      servedBy: '',
      forwardedBy: '',
      fallback: '',
      retried: false,
    };
    outstanding++;
    try {
      let answer: Awaited<ReturnType<typeof once>>;
      try {
        answer = await once(namespace);
      } catch (err) {
        if (!CLOSED_BEFORE_ANSWER.has(errorKind(err))) throw err;
        record.retried = true;
        answer = await once(namespace);
      }
      Object.assign(record, answer);
      if (answer.status < 200 || answer.status > 299) record.error = `http-${answer.status}`;
    } catch (err) {
      record.error = errorKind(err);
    } finally {
      record.latencyMs = now() - start;
      records.push(record);
      outstanding--;
      if ((stopped || issued >= total) && outstanding === 0) settle();
    }
  };

  const tick = () => {
    const due = Math.min(total, Math.floor(((now() - t0) * rate) / 1000) + 1);
    while (issued < due && !stopped) {
      const start = t0 + (issued * 1000) / rate;
      if (outstanding >= maxOutstanding) {
        records.push({
          namespace: names[issued % names.length],
          start,
          latencyMs: 0,
          status: 0,
          error: NOT_SENT,
          servedBy: '',
          forwardedBy: '',
          fallback: '',
          retried: false,
        });
      } else void send(issued, start);
      issued++;
    }
    if (issued >= total || stopped) {
      clearInterval(timer);
      if (outstanding === 0) settle();
    }
  };
  const timer = setInterval(tick, 2);
  tick();

  return {
    records,
    started: t0,
    /** Stops sending, waits for the answers still due (each bounded by the timeout), closes the pool. */
    async stop(): Promise<LoadRecord[]> {
      stopped = true;
      clearInterval(timer);
      if (outstanding === 0) settle();
      await finished;
      await pool.close();
      return records.sort((a, b) => a.start - b.start);
    },
  };
}

export type OpenLoad = ReturnType<typeof openLoad>;
