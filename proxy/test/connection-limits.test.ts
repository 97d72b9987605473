import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants, connect as h2connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { type Socket, connect as tcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import {
  FLAG,
  FRAME,
  frame,
  headersFrame,
  ping,
  RawH2,
  requestBlock,
  rstStream,
  settingsAck,
} from '../../test-support/h2-frames.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';

// Small timeouts so that every state is seen to end; the defaults are in docs/configuration.md.
const LIMITS = {
  firstBytesTimeoutMs: 400,
  headersTimeoutMs: 400,
  requestTimeoutMs: 1_000,
  idleTimeoutMs: 600,
  h2IdleTimeoutMs: 600,
  goawayTimeoutMs: 500,
  maxHeadersCount: 30,
  h2MaxConcurrentStreams: 16,
  h2MaxResetsPerSession: 10,
};

let admin: StartedAdmin;
let backend: Backend;
let proxy: StartedProxy;
let port: number;
const servers: Server[] = [];

async function special(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function reserve(name: string, backends: string[]) {
  expect((await api(admin.http, 'POST', '/v1/namespaces', { name, backends })).status).toBe(201);
  await until(() => proxy.proxy.state.advertisements.has(name), 5000, `advertisement of ${name}`);
}

/** The value of one series in the proxy's /metrics (0 when it does not exist yet). */
async function metric(series: string): Promise<number> {
  const text = await proxy.proxy.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Waits until a series reaches `value`: the proxy counts a closed session when its socket has closed. */
async function metricReaches(series: string, value: number, ms = 5_000): Promise<void> {
  await until(async () => (await metric(series)) === value, ms, `${series} = ${value}`);
}

/** Resolves when the proxy has closed this raw connection; rejects after `ms`. Reads unless told not to. */
function closedWithin(socket: Socket, ms: number, read = true): Promise<{ after: number; reply: string }> {
  const started = Date.now();
  let reply = '';
  if (read)
    socket.on('data', (d) => {
      reply += d;
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ after: Date.now() - started, reply });
    });
  });
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcp(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

const get = (ns: string, headers: Record<string, string> = {}) =>
  fetch(`${proxy.url}/`, { headers: { 'x-prism-namespace': ns, ...headers } });

beforeAll(async () => {
  admin = await startAdmin();
  backend = await startBackend('ok');
  proxy = await startProxy('guarded', [admin.grpc], { forwarding: { timeoutMs: 5_000 }, limits: LIMITS });
  port = Number(new URL(proxy.url).port);
  await until(() => proxy.proxy.state.version > 0, 5000, 'table');
  await reserve('fine', [backend.url]);
});

afterAll(async () => {
  await proxy.stop();
  removeDir(proxy.stateDir);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await backend.stop();
  await admin.stop();
});

describe('every connection state has a timeout', () => {
  it('a connection that sends nothing, "P" or "PRI" is closed after firstBytesTimeoutMs', async () => {
    const before = await metric('prism_proxy_timeouts_total{phase="sniff"}');
    for (const bytes of ['', 'P', 'PRI']) {
      const socket = await open();
      if (bytes) socket.write(bytes);
      const { after, reply } = await closedWithin(socket, 5_000);
      expect(after).toBeGreaterThanOrEqual(LIMITS.firstBytesTimeoutMs * 0.8);
      expect(reply).toBe('');
    }
    expect(await metric('prism_proxy_timeouts_total{phase="sniff"}')).toBe(before + 3);
    expect((await get('fine')).status).toBe(200);
  });

  it('a request whose headers never end gets a coded 408 after headersTimeoutMs', async () => {
    const before = await metric('prism_proxy_timeouts_total{phase="headers"}');
    const socket = await open();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: fine\r\n');
    const { reply } = await closedWithin(socket, 5_000);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('PRISM-CONN-001');
    expect(await metric('prism_proxy_timeouts_total{phase="headers"}')).toBe(before + 1);
  });

  it('a request body sent at one byte per 200 ms is cut after requestTimeoutMs with a coded 408', async () => {
    let upstreamGot = -1;
    const sink = await special((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('close', () => {
        upstreamGot = n;
      });
      req.on('end', () => res.end('whole body'));
    });
    await reserve('slow-body', [sink]);
    const before = await metric('prism_proxy_timeouts_total{phase="body"}');
    const socket = await open();
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: slow-body\r\nContent-Length: 100\r\n\r\n');
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('x');
    }, 200);
    try {
      const { after, reply } = await closedWithin(socket, 10_000);
      expect(after).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs * 0.8);
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply).toContain('"PRISM-CONN-001"');
    } finally {
      clearInterval(drip);
    }
    expect(await metric('prism_proxy_timeouts_total{phase="body"}')).toBe(before + 1);
    // The upstream saw the partial body end, not a whole request.
    await until(() => upstreamGot >= 0, 5000, 'upstream request closed');
    expect(upstreamGot).toBeLessThan(100);
  });

  it('an idle keep-alive connection is closed after idleTimeoutMs and counted', async () => {
    const before = await metric('prism_proxy_timeouts_total{phase="idle"}');
    const socket = await open();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: fine\r\n\r\n');
    const { after, reply } = await closedWithin(socket, 5_000);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(after).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs * 0.8);
    // Connections that fetch() kept alive in earlier tests may idle out meanwhile too.
    expect(await metric('prism_proxy_timeouts_total{phase="idle"}')).toBeGreaterThanOrEqual(before + 1);
  });

  it('a request waiting for a slow upstream is not cut by the client-side idle timeout', async () => {
    const slow = await special((_req, res) => {
      setTimeout(() => res.end('late but fine'), LIMITS.idleTimeoutMs * 3);
    });
    await reserve('slow-upstream', [slow]);
    const h1 = await get('slow-upstream');
    expect(h1.status).toBe(200);
    expect(await h1.text()).toBe('late but fine');

    const session = h2connect(proxy.url);
    try {
      const stream = session.request({ ':path': '/', 'x-prism-namespace': 'slow-upstream' });
      stream.end();
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        body += d;
      });
      const status = await new Promise<number>((resolve) =>
        stream.on('response', (h) => resolve(Number(h[':status']))),
      );
      await new Promise((r) => stream.on('end', r));
      expect(status).toBe(200);
      expect(body).toBe('late but fine');
    } finally {
      session.close();
    }
  });

  it('a response the client stops reading is cut after idleTimeoutMs, an upstream trickling slowly is not', async () => {
    const chunk = Buffer.alloc(1 << 16, 'x');
    const big = await special((req, res) => {
      if (req.url === '/trickle') {
        res.writeHead(200);
        let n = 0;
        const t = setInterval(() => {
          res.write('.');
          if (++n === 4) {
            clearInterval(t);
            res.end();
          }
        }, LIMITS.idleTimeoutMs);
        return;
      }
      // Produces only as fast as the proxy takes it: 256 MB at most, far more than socket buffers hold.
      let sent = 0;
      const pump = () => {
        while (sent < 4096) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.writeHead(200);
      pump();
      res.on('close', () => undefined);
    });
    await reserve('big', [big]);

    const trickle = await fetch(`${proxy.url}/trickle`, { headers: { 'x-prism-namespace': 'big' } });
    expect(await trickle.text()).toBe('....');

    const before = await metric('prism_proxy_timeouts_total{phase="send"}');
    const socket = await open();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: big\r\n\r\n');
    // Read the head, then stop reading.
    await new Promise((r) => socket.once('data', r));
    socket.pause();
    await metricReaches('prism_proxy_timeouts_total{phase="send"}', before + 1);
    // Reading again drains what the kernel still holds, then the end of the connection.
    socket.resume();
    await closedWithin(socket, 15_000);
  });
});

describe('HTTP/2 connection states', () => {
  it('an idle h2 session gets GOAWAY after h2IdleTimeoutMs and is closed', async () => {
    const before = await metric('prism_proxy_timeouts_total{phase="h2_idle"}');
    const conn = await RawH2.open(port);
    conn.write(settingsAck());
    const started = Date.now();
    expect(await conn.until(() => conn.closed, 5_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.h2IdleTimeoutMs * 0.8);
    expect(conn.goaway()).toEqual({ lastStreamId: 0, code: constants.NGHTTP2_NO_ERROR });
    expect(await metric('prism_proxy_timeouts_total{phase="h2_idle"}')).toBeGreaterThanOrEqual(before + 1);
    expect(await metric('prism_proxy_h2_goaways_total{reason="idle"}')).toBeGreaterThanOrEqual(1);
  });

  it('a client that keeps the connection open after GOAWAY is cut after goawayTimeoutMs', async () => {
    const before = await metric('prism_proxy_timeouts_total{phase="goaway"}');
    const conn = await RawH2.open(port, { allowHalfOpen: true });
    conn.write(settingsAck());
    expect(await conn.until(() => conn.goaway() !== undefined, 5_000)).toBe(true);
    const sawGoaway = Date.now();
    const heldAfterGoaway = await metric('prism_proxy_open_connections');
    // The client never closes its side; the proxy lets go of the connection at the deadline.
    await metricReaches('prism_proxy_timeouts_total{phase="goaway"}', before + 1);
    expect(Date.now() - sawGoaway).toBeGreaterThanOrEqual(LIMITS.goawayTimeoutMs * 0.8);
    expect(await metric('prism_proxy_open_connections')).toBeLessThanOrEqual(heldAfterGoaway - 1);
    conn.close();
  });

  it("a client's own GOAWAY lets its streams finish, however long they take", async () => {
    const trickle = await special((_req, res) => {
      res.writeHead(200);
      let n = 0;
      const t = setInterval(() => {
        res.write('.');
        if (++n === 4) {
          clearInterval(t);
          res.end();
        }
      }, LIMITS.goawayTimeoutMs / 2);
    });
    await reserve('trickle', [trickle]);
    const session = h2connect(proxy.url);
    const stream = session.request({ ':path': '/', 'x-prism-namespace': 'trickle' });
    stream.end();
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      body += d;
    });
    await new Promise((r) => stream.once('response', r));
    session.close(); // GOAWAY from the client; the stream goes on
    await new Promise((r) => stream.once('end', r));
    expect(body).toBe('....');
  });

  it('an h2 connection that stops inside the preface is closed', async () => {
    const socket = await open();
    socket.write('PRI * HTTP/2.0\r\n');
    await closedWithin(socket, 5_000);
  });

  it('an h2 request body that trickles is answered 408 after requestTimeoutMs', async () => {
    const before = await metric('prism_proxy_timeouts_total{phase="body"}');
    const session = h2connect(proxy.url);
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/', 'x-prism-namespace': 'slow-body' });
      stream.on('error', () => undefined);
      const drip = setInterval(() => {
        if (!stream.destroyed) stream.write('x');
      }, 200);
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        body += d;
      });
      const status = await new Promise<number>((resolve) =>
        stream.on('response', (h) => resolve(Number(h[':status']))),
      );
      await new Promise((r) => stream.on('close', r));
      clearInterval(drip);
      expect(status).toBe(408);
      expect(JSON.parse(body).error.code).toBe('PRISM-CONN-001');
    } finally {
      session.close();
    }
    expect(await metric('prism_proxy_timeouts_total{phase="body"}')).toBe(before + 1);
  });

  it('an h2 response the client stops reading is cut after h2IdleTimeoutMs', async () => {
    const before = await metric('prism_proxy_timeouts_total{phase="send"}');
    const session = h2connect(proxy.url);
    session.on('error', () => undefined);
    const stream = session.request({ ':path': '/', 'x-prism-namespace': 'big' });
    stream.on('error', () => undefined);
    stream.end();
    await new Promise((r) => stream.on('response', r));
    stream.pause();
    await new Promise((r) => session.on('close', r));
    expect(await metric('prism_proxy_timeouts_total{phase="send"}')).toBe(before + 1);
  });
});

describe('HTTP/2 abuse: resets, floods, stream and header limits', () => {
  /** Response HEADERS frames the proxy sent for these streams. */
  const answered = (conn: RawH2) => new Set(conn.frames.filter((f) => f.type === FRAME.HEADERS).map((f) => f.streamId));

  it('resets past h2MaxResetsPerSession close the session only once they are over half of its streams', async () => {
    const never = await special(() => undefined);
    await reserve('never-answers', [never]);
    const before = await metric('prism_proxy_h2_goaways_total{reason="resets"}');
    const conn = await RawH2.open(port);
    conn.write(settingsAck());
    let id = 1;
    const normal = requestBlock({ 'x-prism-namespace': 'fine' });
    const slow = requestBlock({ 'x-prism-namespace': 'never-answers' });
    // 30 requests answered, 10 at a time (h2MaxConcurrentStreams is 16).
    for (let batch = 0; batch < 3; batch++) {
      const served: number[] = [];
      for (let i = 0; i < 10; i++, id += 2) {
        served.push(id);
        conn.write(headersFrame(id, normal));
      }
      expect(await conn.until(() => served.every((s) => answered(conn).has(s)), 5_000)).toBe(true);
    }
    // 12 cancelled requests: over the budget of 10, but not over half of 42 streams.
    for (let i = 0; i < 12; i++, id += 2) conn.write(Buffer.concat([headersFrame(id, slow), rstStream(id)]));
    await new Promise((r) => setTimeout(r, 200));
    expect(conn.goaway()).toBeUndefined();
    expect(conn.closed).toBe(false);
    // 20 more: 32 resets of 62 streams.
    for (let i = 0; i < 20 && !conn.closed; i++, id += 2) {
      conn.write(Buffer.concat([headersFrame(id, slow), rstStream(id)]));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await conn.until(() => conn.closed, 5_000)).toBe(true);
    expect(conn.goaway()?.code).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    await metricReaches('prism_proxy_h2_goaways_total{reason="resets"}', before + 1);
  });

  it('a CONTINUATION flood closes the session and the proxy keeps serving', async () => {
    const before = await metric('prism_proxy_h2_goaways_total{reason="flood"}');
    const conn = await RawH2.open(port);
    conn.write(settingsAck());
    const parts = [headersFrame(1, requestBlock({ 'x-prism-namespace': 'fine' }), FLAG.END_STREAM)];
    // Each one a small literal header field, none with END_HEADERS.
    const field = Buffer.from([0x00, 0x01, 0x78, 0x01, 0x79]);
    for (let i = 0; i < 10_000; i++) parts.push(frame(FRAME.CONTINUATION, 0, 1, field));
    conn.write(Buffer.concat(parts));
    expect(await conn.until(() => conn.closed, 5_000)).toBe(true);
    await metricReaches('prism_proxy_h2_goaways_total{reason="flood"}', before + 1);
    expect((await get('fine')).status).toBe(200);
  });

  it('a PING flood closes the session and the proxy keeps serving', async () => {
    const before = await metric('prism_proxy_h2_goaways_total{reason="flood"}');
    const conn = await RawH2.open(port);
    conn.write(settingsAck());
    conn.socket.pause(); // never read the PING ACKs
    // nghttp2 calls it a flood once 1,000 ACKs wait to be sent, that is once the socket buffers
    // (several MB on loopback) are full: keep pinging until then, at most 2 million times.
    const batch = Buffer.concat(Array.from({ length: 50_000 }, (_, i) => ping(i)));
    for (let i = 0; i < 40; i++) {
      conn.write(batch);
      await new Promise((r) => setTimeout(r, 50));
      if ((await metric('prism_proxy_h2_goaways_total{reason="flood"}')) > before) break;
    }
    // The proxy works through the pings it already read: seconds on a machine busy with other tests.
    await metricReaches('prism_proxy_h2_goaways_total{reason="flood"}', before + 1, 20_000);
    conn.close();
    expect((await get('fine')).status).toBe(200);
  }, 45_000);

  it('advertises h2MaxConcurrentStreams; a client opening more is closed, a client that waits is served', async () => {
    let inFlight = 0;
    let most = 0;
    const counting = await special((_req, res) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 200);
    });
    await reserve('counted', [counting]);
    const session = h2connect(proxy.url);
    try {
      await new Promise((r) => session.once('remoteSettings', r));
      expect(session.remoteSettings.maxConcurrentStreams).toBe(LIMITS.h2MaxConcurrentStreams);
      const statuses = await Promise.all(
        Array.from(
          { length: LIMITS.h2MaxConcurrentStreams + 8 },
          () =>
            new Promise<number>((resolve, reject) => {
              const s = session.request({ ':path': '/', 'x-prism-namespace': 'counted' });
              s.on('response', (h) => resolve(Number(h[':status'])));
              s.on('error', reject);
              s.resume();
              s.end();
            }),
        ),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(most).toBeLessThanOrEqual(LIMITS.h2MaxConcurrentStreams);
    } finally {
      session.close();
    }

    const before = await metric('prism_proxy_h2_goaways_total{reason="protocol_error"}');
    const conn = await RawH2.open(port);
    conn.write(settingsAck());
    await new Promise((r) => setTimeout(r, 50));
    const block = requestBlock({ 'x-prism-namespace': 'counted' });
    const parts: Buffer[] = [];
    for (let i = 0; i <= LIMITS.h2MaxConcurrentStreams; i++) parts.push(headersFrame(1 + 2 * i, block));
    conn.write(Buffer.concat(parts));
    expect(await conn.until(() => conn.closed, 5_000)).toBe(true);
    // nghttp2 finds the protocol error; Node closes the session with INTERNAL_ERROR.
    expect(conn.goaway()?.code).toBeGreaterThan(constants.NGHTTP2_NO_ERROR);
    await metricReaches('prism_proxy_h2_goaways_total{reason="protocol_error"}', before + 1);
  });

  it('more than maxHeadersCount header fields: 431 with a code on HTTP/1.1, a reset stream on HTTP/2', async () => {
    const request = (fields: number) => {
      const lines = ['GET / HTTP/1.1', 'Host: x', 'X-Prism-Namespace: fine'];
      for (let i = lines.length - 1; i < fields; i++) lines.push(`X-Filler-${i}: y`);
      return `${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`;
    };
    const send = async (fields: number) => {
      const socket = await open();
      socket.write(request(fields - 1)); // Connection: close is one of them
      return (await closedWithin(socket, 5_000)).reply;
    };
    const before = await metric('prism_proxy_limit_rejections_total{limit="header_count"}');
    expect(await send(LIMITS.maxHeadersCount)).toMatch(/^HTTP\/1\.1 200 /);
    const refused = await send(LIMITS.maxHeadersCount + 1);
    expect(refused).toMatch(/^HTTP\/1\.1 431 /);
    expect(refused).toContain('"PRISM-CONN-003"');
    expect(await metric('prism_proxy_limit_rejections_total{limit="header_count"}')).toBe(before + 1);

    const session = h2connect(proxy.url);
    session.on('error', () => undefined);
    try {
      const h2 = (fields: number) =>
        new Promise<number | string>((resolve) => {
          const headers: Record<string, string> = { ':path': '/', 'x-prism-namespace': 'fine' };
          for (let i = 1; i < fields; i++) headers[`x-filler-${i}`] = 'y';
          const s = session.request(headers);
          s.on('response', (h) => resolve(Number(h[':status'])));
          s.on('error', () => resolve(s.rstCode ?? 'error'));
          s.resume();
          s.end();
        });
      expect(await h2(LIMITS.maxHeadersCount)).toBe(200);
      expect(await h2(LIMITS.maxHeadersCount + 1)).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    } finally {
      session.close();
    }
  });
});

describe('HTTP/2 rapid reset (CVE-2023-44487) against a proxy that verifies tokens', () => {
  // Token checks are asynchronous (no cache here): every stream is reset while the chain decides.
  let authAdmin: StartedAdmin;
  let authed: StartedProxy;
  let counted: Backend;
  let block: Buffer;

  beforeAll(async () => {
    authAdmin = await startAdmin();
    counted = await startBackend('counted');
    authed = await startProxy('authed', [authAdmin.grpc], { auth: { required: true, tokenCacheSize: 0 } });
    await until(() => authed.proxy.state.version > 0 && authed.proxy.state.jwks, 5000, 'table and keys');
    const r = await api(authAdmin.http, 'POST', '/v1/namespaces', { name: 'tenant', backends: [counted.url] });
    await until(() => authed.proxy.state.advertisements.has('tenant'), 5000);
    block = requestBlock({ 'x-prism-namespace': 'tenant', authorization: `Bearer ${r.json.token}` });
    const ok = await fetch(`${authed.url}/`, {
      headers: { 'x-prism-namespace': 'tenant', authorization: `Bearer ${r.json.token}` },
    });
    expect(ok.status).toBe(200);
  });

  afterAll(async () => {
    await authed.stop();
    removeDir(authed.stateDir);
    await counted.stop();
    await authAdmin.stop();
  });

  it('a stream reset while the proxy is still deciding is never forwarded upstream', async () => {
    const before = counted.requests;
    const conn = await RawH2.open(Number(new URL(authed.url).port));
    conn.write(settingsAck());
    const pairs: Buffer[] = [];
    for (let i = 0; i < 40; i++) pairs.push(headersFrame(1 + 2 * i, block), rstStream(1 + 2 * i));
    conn.write(Buffer.concat(pairs));
    await new Promise((r) => setTimeout(r, 500));
    expect(counted.requests - before).toBe(0);
    expect(conn.closed).toBe(false); // 40 resets are within the default budget of 100
    conn.close();
  });

  it('a burst of 3,000 HEADERS+RST_STREAM gets GOAWAY ENHANCE_YOUR_CALM before 1,000 upstream requests', async () => {
    const before = counted.requests;
    const conn = await RawH2.open(Number(new URL(authed.url).port));
    conn.write(settingsAck());
    // All of it in one write, as an attacker would: the client then only reads.
    const burst: Buffer[] = [];
    for (let i = 0; i < 3_000; i++) burst.push(headersFrame(1 + 2 * i, block), rstStream(1 + 2 * i));
    conn.write(Buffer.concat(burst));
    expect(await conn.until(() => conn.closed, 5_000)).toBe(true);
    const goaway = conn.frames.find((f) => f.type === FRAME.GOAWAY);
    expect(goaway?.payload.readUInt32BE(4)).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(goaway?.payload.subarray(8).toString()).toBe('PRISM-CONN-002');
    // Give requests the proxy might still have started time to arrive.
    await new Promise((r) => setTimeout(r, 300));
    expect(counted.requests - before).toBeLessThan(1_000);
    const text = await authed.proxy.metrics.registry.metrics();
    expect(text).toContain('prism_proxy_h2_goaways_total{reason="resets"} 1');
  });
});

describe('connections per process', () => {
  it('past maxConnections a new connection is closed at accept, counted, and served again once one closes', async () => {
    // No admin: every request gets 503 PRISM-ROUTE-004, which is all this needs to see served.
    const small = await startProxy('small', ['127.0.0.1:1'], { limits: { maxConnections: 5 } });
    const smallPort = Number(new URL(small.url).port);
    const connectTo = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = tcp(smallPort, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const s = await connectTo();
        s.write('GET / HTTP/1.1\r\n'); // headers still coming: the connection stays
        held.push(s);
      }
      await until(
        async () => (await small.proxy.metrics.registry.metrics()).includes('prism_proxy_open_connections 5'),
        5_000,
      );
      const extra = await connectTo();
      const { reply } = await closedWithin(extra, 5_000);
      expect(reply).toBe('');
      expect(await small.proxy.metrics.registry.metrics()).toContain(
        'prism_proxy_limit_rejections_total{limit="connections"} 1',
      );
      held.pop()?.destroy();
      await until(
        async () => (await small.proxy.metrics.registry.metrics()).includes('prism_proxy_open_connections 4'),
        5_000,
      );
      const res = await fetch(`${small.url}/`, { headers: { 'x-prism-namespace': 'fine' } });
      expect(res.status).toBe(503);
      expect((await res.json()).error.code).toBe('PRISM-ROUTE-004');
    } finally {
      for (const s of held) s.destroy();
      await small.stop();
      removeDir(small.stateDir);
    }
  });
});
