import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { openRaw, rawRequest, rawTarget } from '../../test-support/raw-http.js';
import { spawnAdmin } from '../../test-support/spawn-admin.js';

// Issue 10: exact bytes an attacker on loopback sent to the admin's HTTP port, and what they got.

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  err?: { stack?: string };
}

const started: StartedAdmin[] = [];
afterEach(async () => {
  for (const a of started.splice(0)) await a.stop();
});

/** An in-process admin whose log lines (debug and up) are kept in `lines`. */
const admin = async (limits: Record<string, number> = {}) => {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const a = await startAdmin({ logger, values: { limits } });
  started.push(a);
  return { ...a, port: rawTarget(a.http, a.caFile), lines };
};
const errorsIn = (lines: LogLine[]) => lines.filter((l) => l.level >= 50);
/** The same bytes with the admin's bootstrap token after the Host header, as an operator would send them. */
const authed = (a: StartedAdmin, bytes: string) =>
  bytes.replace('Host: x\r\n', `Host: x\r\nAuthorization: Bearer ${a.token}\r\n`);
const code = (body: string) => JSON.parse(body).error.code;

describe('requests that crashed or confused the admin', () => {
  it('GET // no longer kills the admin process: a coded 404, and it keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-hostile-'));
    const p = await spawnAdmin(dir);
    let stdout = '';
    p.child.stdout?.on('data', (d) => {
      stdout += d;
    });
    try {
      const port = rawTarget(p.http, p.caFile);
      const r = await rawRequest(port, 'GET // HTTP/1.1\r\nHost: x\r\n\r\n');
      expect([r.status, code(r.body)]).toEqual([404, 'PRISM-API-003']);
      const again = await rawRequest(port, 'GET //v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(again.status).toBe(404);
      expect((await api(p.http, 'GET', '/healthz')).status).toBe(200);
      expect(p.child.exitCode).toBeNull();
      const lines = stdout.split('\n').filter(Boolean);
      expect(lines.filter((l) => JSON.parse(l).level >= 50)).toEqual([]);
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a malformed HEAD request gets its coded 400 without a body (RFC 9112 §6.3; found by the fuzz suite)', async () => {
    const a = await admin();
    const r = await rawRequest(a.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', { untilClosed: true });
    expect(r.status).toBe(400);
    expect(r.headers['content-length']).toBeDefined();
    expect(r.bytes.endsWith('\r\n\r\n')).toBe(true);
    const get = await rawRequest(a.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', { untilClosed: true });
    expect(JSON.parse(get.body).error.code).toBe('PRISM-API-005');
  });

  it('GET /v1/namespaces/%zz is the client error it is: 400 PRISM-API-005, no error line, no stack', async () => {
    const a = await admin();
    const r = await rawRequest(a.port, authed(a, 'GET /v1/namespaces/%zz HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toMatchObject({
      code: 'PRISM-API-005',
      message: 'the path "/v1/namespaces/%zz" is not valid percent-encoding',
    });
    expect(r.body).not.toMatch(/\bat .*\.js:\d+/);
    expect(errorsIn(a.lines)).toEqual([]);
  });

  it.each([
    ['a lone percent', 'GET /v1/namespaces/% HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PRISM-API-005'],
    [
      'a truncated UTF-8 sequence',
      'POST /v1/namespaces/%E2%82:refresh HTTP/1.1\r\nHost: x\r\n\r\n',
      400,
      'PRISM-API-005',
    ],
    ['a bad escape in the query', 'GET /v1/namespaces?prefix=%zz HTTP/1.1\r\nHost: x\r\n\r\n', 200, undefined],
    ['pageSize=abc', 'GET /v1/namespaces?pageSize=abc HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PRISM-API-001'],
    ['limit=-5', 'GET /v1/audit?limit=-5 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PRISM-API-001'],
    ['force=maybe', 'DELETE /v1/namespaces/x?force=maybe HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PRISM-API-001'],
    // find-my-way reads `*` as the root, where the status page answers GET only.
    ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'PRISM-API-004'],
    [
      'a method Node knows and fastify does not',
      'PROPFIND /v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n',
      404,
      'PRISM-API-003',
    ],
    ['CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 405, 'PRISM-API-004'],
    ['a request line of garbage', 'garbage\r\n\r\n', 400, 'PRISM-API-005'],
    ['a bare LF', 'GET /healthz HTTP/1.1\nHost: x\n\n', 400, 'PRISM-API-005'],
    ['a NUL in the path', 'GET /v1/\0 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'PRISM-API-005'],
    [
      'Content-Length and Transfer-Encoding together',
      'POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'PRISM-API-005',
    ],
    ['a 20 KB URL', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'PRISM-API-007'],
  ])('%s gets a coded answer', async (_what, bytes, status, expected) => {
    const a = await admin();
    const r = await rawRequest(a.port, authed(a, bytes));
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe('application/json');
    if (expected) expect(code(r.body)).toBe(expected);
    expect(errorsIn(a.lines)).toEqual([]);
    expect((await api(a.http, 'GET', '/healthz')).status).toBe(200);
  });

  it.each([
    ['text/plain', '{"name":"plain"}', 400, 'PRISM-API-001'],
    ['application/x-www-form-urlencoded', 'name=form', 400, 'PRISM-API-001'],
    ['application/json', 'not json', 400, 'PRISM-API-001'],
    ['application/json', '[]', 400, 'PRISM-API-001'],
    ['application/json', '7', 400, 'PRISM-API-001'],
    ['application/json', 'null', 400, 'PRISM-API-001'],
    ['application/json', '"name"', 400, 'PRISM-API-001'],
    ['application/json', '{"name":"x","__proto__":{"admin":true}}', 400, 'PRISM-API-001'],
    ['application/json', '\xff\xfe{}', 400, 'PRISM-API-001'],
  ])('a body of %s %j gets %i %s', async (type, body, status, expected) => {
    const a = await admin();
    const payload = Buffer.from(body, 'latin1');
    const r = await rawRequest(
      a.port,
      Buffer.concat([
        Buffer.from(
          authed(
            a,
            `POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${payload.length}\r\n\r\n`,
          ),
        ),
        payload,
      ]),
    );
    expect([r.status, code(r.body)]).toEqual([status, expected]);
    expect(errorsIn(a.lines)).toEqual([]);
  });

  it('a body larger than limits.maxBodyBytes is a 413 whether announced or streamed', async () => {
    const a = await admin({ maxBodyBytes: 1024 });
    const announced = await rawRequest(
      a.port,
      authed(
        a,
        'POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
      ),
    );
    expect([announced.status, code(announced.body)]).toEqual([413, 'PRISM-API-002']);
    expect(announced.headers.connection).toBe('close');
    const chunk = `${'x'.repeat(4096).length.toString(16)}\r\n${'x'.repeat(4096)}\r\n`;
    const streamed = await rawRequest(
      a.port,
      authed(
        a,
        `POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}`,
      ),
    );
    expect([streamed.status, code(streamed.body)]).toEqual([413, 'PRISM-API-002']);
    expect(errorsIn(a.lines)).toEqual([]);
  });
});

describe('clients that go away', () => {
  it('a client that leaves in the middle of its body costs no error line, and the admin keeps serving', async () => {
    const a = await admin();
    const socket = openRaw(a.port);
    await once(socket, a.caFile ? 'secureConnect' : 'connect');
    socket.write(
      authed(
        a,
        'POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"na',
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await api(a.http, 'GET', '/healthz')).status).toBe(200);
    expect(errorsIn(a.lines)).toEqual([]);
  });
});

describe('connections that never finish', () => {
  // Small limits so the test is quick; each assertion allows seconds of slack for a loaded machine.
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 };

  it('a connection that sends nothing is answered 408 PRISM-API-006 and closed', async () => {
    const a = await admin(limits);
    const r = await rawRequest(a.port, '', { waitMs: 10_000, untilClosed: true });
    expect(r.closed).toBe(true);
    expect([r.status, code(r.body)]).toEqual([408, 'PRISM-API-006']);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(250);
  });

  it('headers that never end are cut after limits.headersTimeoutMs', async () => {
    const a = await admin(limits);
    const r = await rawRequest(a.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', { waitMs: 10_000, untilClosed: true });
    expect(r.closed).toBe(true);
    expect([r.status, code(r.body)]).toEqual([408, 'PRISM-API-006']);
  });

  it('a body slower than limits.requestTimeoutMs is cut with 408, and the admin keeps serving', async () => {
    const a = await admin(limits);
    const r = await rawRequest(
      a.port,
      authed(
        a,
        'POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
      ),
      { waitMs: 10_000, untilClosed: true },
    );
    expect(r.closed).toBe(true);
    expect([r.status, code(r.body)]).toEqual([408, 'PRISM-API-006']);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(500);
    expect(errorsIn(a.lines)).toEqual([]);
    expect((await api(a.http, 'GET', '/healthz')).status).toBe(200);
  });

  it('an idle keep-alive connection is closed after limits.keepAliveTimeoutMs', async () => {
    const a = await admin(limits);
    const r = await rawRequest(a.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', {
      waitMs: 10_000,
      untilClosed: true,
    });
    expect(r.status).toBe(200);
    expect(r.closed).toBe(true);
  });
});
