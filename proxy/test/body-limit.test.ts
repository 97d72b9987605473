import { createServer, type Server } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { removeDir, type StartedProxy, startProxy, until } from '../../test-support/proxy-harness.js';
import { h2Request, parseAnswer, sendRaw } from '../../test-support/raw-http.js';

const LIMIT = 4096;

let admin: StartedAdmin;
let sink: Server;
let proxy: StartedProxy;
let port: number;
/** What the backend saw of each request body: bytes, and whether the request arrived whole. */
const uploads: { bytes: number; complete: boolean }[] = [];

beforeAll(async () => {
  admin = await startAdmin();
  sink = createServer((req, res) => {
    const seen = { bytes: 0, complete: false };
    uploads.push(seen);
    req.on('data', (c: Buffer) => {
      seen.bytes += c.length;
    });
    req.on('end', () => {
      seen.complete = true;
      res.end(JSON.stringify({ bytes: seen.bytes }));
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const backend = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  proxy = await startProxy('limits', [admin.grpc], {
    limits: { maxBodyBytes: LIMIT },
    pools: { backendRetryMs: 600_000 },
  });
  port = Number(new URL(proxy.url).port);
  await until(() => proxy.proxy.state.version > 0, 5000, 'table');
  await api(admin.http, 'POST', '/v1/namespaces', { name: 'small', backends: [backend] });
  await api(admin.http, 'POST', '/v1/namespaces', {
    name: 'bulk',
    backends: [backend],
    config: { maxBodyBytes: '100000' },
  });
  await until(() => proxy.proxy.state.advertisements.size === 2, 5000, 'advertisements');
});

afterAll(async () => {
  await proxy.stop();
  removeDir(proxy.stateDir);
  sink.closeAllConnections();
  sink.close();
  await admin.stop();
});

const head = (ns: string, ...fields: string[]) =>
  `POST /upload HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: ${ns}\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n`;
const chunk = (data: string) => `${data.length.toString(16)}\r\n${data}\r\n`;

async function stillServes() {
  const res = await sendRaw(port, `${head('small', 'Content-Length: 2', 'Connection: close')}ok`);
  expect(res.status, res.text).toBe(200);
}

describe('request body limit (limits.maxBodyBytes, per-namespace maxBodyBytes)', () => {
  it('HTTP/1.1: a Content-Length over the limit is a 413 before any upstream request, and the connection closes', async () => {
    const before = uploads.length;
    // Only part of the declared body is sent: the answer must not wait for the rest.
    const res = await sendRaw(port, `${head('small', `Content-Length: ${LIMIT + 1}`)}${'x'.repeat(100)}`);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('PRISM-REQ-004');
    expect(res.closed).toBe(true);
    expect(uploads.length).toBe(before);
    await stillServes();
  });

  it('HTTP/1.1: a chunked body that grows past the limit is a 413, and the upstream request is cut', async () => {
    const before = uploads.length;
    const part = 'y'.repeat(1000);
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(`${head('small', 'Transfer-Encoding: chunked')}${chunk(part).repeat(3)}`);
    // The upstream request is under way with part of the body before the rest pushes it past the limit.
    await until(() => uploads[before]?.bytes > 0, 5000, 'the upstream request');
    socket.write(chunk(part).repeat(3));
    await closed;
    const res = parseAnswer(text, true);
    expect(res.status, text).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('PRISM-REQ-004');
    // Give a wrongly completed upstream request time to show.
    await new Promise((r) => setTimeout(r, 100));
    expect(uploads[before].complete).toBe(false);
    expect(uploads[before].bytes).toBeLessThanOrEqual(LIMIT);
    expect(uploads.length).toBe(before + 1);
    await stillServes();
  });

  it('HTTP/1.1: a chunked body past the limit before the upstream request got going is a 413 as well', async () => {
    const part = 'y'.repeat(1000);
    const res = await sendRaw(
      port,
      `${head('small', 'Transfer-Encoding: chunked')}${chunk(part).repeat(6)}${chunk(part).repeat(6)}0\r\n\r\n`,
    );
    expect(res.status, res.text).toBe(413);
    expect(JSON.parse(res.body).error.message).toContain(`exceeds ${LIMIT} bytes`);
    expect(res.closed).toBe(true);
    await stillServes();
  });

  it('HTTP/1.1: bodies up to the limit go through, chunked or not', async () => {
    const exact = await sendRaw(
      port,
      `${head('small', `Content-Length: ${LIMIT}`, 'Connection: close')}${'z'.repeat(LIMIT)}`,
    );
    expect(exact.status, exact.text).toBe(200);
    expect(JSON.parse(exact.body).bytes).toBe(LIMIT);
    const part = 'z'.repeat(1024);
    const chunked = await sendRaw(
      port,
      `${head('small', 'Transfer-Encoding: chunked', 'Connection: close')}${chunk(part).repeat(4)}0\r\n\r\n`,
    );
    expect(chunked.status, chunked.text).toBe(200);
    expect(JSON.parse(chunked.body).bytes).toBe(LIMIT);
  });

  it("a namespace's maxBodyBytes overrides the proxy's limit", async () => {
    const body = 'b'.repeat(50_000);
    const res = await sendRaw(port, `${head('bulk', `Content-Length: ${body.length}`, 'Connection: close')}${body}`);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(JSON.parse(res.body).bytes).toBe(body.length);
    const over = await sendRaw(port, `${head('bulk', 'Content-Length: 100001')}`);
    expect(over.status).toBe(413);
  });

  it('h2c: a content-length over the limit is a 413 before any upstream request', async () => {
    const before = uploads.length;
    const res = await h2Request(
      proxy.url,
      { ':method': 'POST', ':path': '/upload', 'x-prism-namespace': 'small', 'content-length': String(LIMIT + 1) },
      { body: ['x'.repeat(100)], endBody: false },
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('PRISM-REQ-004');
    expect(uploads.length).toBe(before);
  });

  it('h2c: a body without content-length that grows past the limit is a 413, and the upstream request is cut', async () => {
    const before = uploads.length;
    const session = h2connect(proxy.url);
    const stream = session.request({ ':method': 'POST', ':path': '/upload', 'x-prism-namespace': 'small' });
    let status = 0;
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.on('data', (d: Buffer) => {
      body += d;
    });
    stream.on('error', () => undefined);
    let closed = false;
    stream.on('close', () => {
      closed = true;
    });
    stream.write('w'.repeat(3000));
    await until(() => uploads[before]?.bytes > 0, 5000, 'the upstream request');
    stream.write('w'.repeat(3000));
    // The client never ends its upload: after the answer the proxy resets the stream with NO_ERROR.
    await until(() => closed, 5000, 'the stream closed by the proxy');
    session.close();
    expect(stream.rstCode).toBe(0);
    expect(status).toBe(413);
    expect(JSON.parse(body).error.code).toBe('PRISM-REQ-004');
    await new Promise((r) => setTimeout(r, 100));
    expect(uploads[before].complete).toBe(false);
    expect(uploads[before].bytes).toBeLessThanOrEqual(LIMIT);

    const fine = await h2Request(
      proxy.url,
      { ':method': 'POST', ':path': '/upload', 'x-prism-namespace': 'small' },
      { body: Array.from({ length: 4 }, () => 'v'.repeat(1024)) },
    );
    expect(fine.status).toBe(200);
    expect(JSON.parse(fine.body).bytes).toBe(LIMIT);
    await stillServes();
  });

  it('an upload the client abandons mid-body is an abort, not a backend failure (declared or chunked)', async () => {
    for (const start of [
      `${head('bulk', 'Content-Length: 50000')}${'a'.repeat(2000)}`,
      `${head('small', 'Transfer-Encoding: chunked')}${chunk('a'.repeat(2000))}`,
    ]) {
      const before = uploads.length;
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(start);
      await until(() => uploads[before]?.bytes > 0, 5000, 'the upstream request');
      socket.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect(uploads[before].complete).toBe(false);
      await stillServes();
    }
  });

  it('a 413 is a rejected request, not a forwarding failure', async () => {
    const text = await (await fetch(`${proxy.ops}/metrics`)).text();
    expect(text).toMatch(/prism_proxy_requests_total\{outcome="rejected"\} [1-9]/);
    expect(text).not.toMatch(/prism_forwarding_failures_total\{reason="backend_down"\}/);
  });
});
