import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type Backend, removeDir, startBackend, until, withProxyTls } from '../../test-support/proxy-harness.js';
import { h2Request } from '../../test-support/raw-http.js';
import { buildProxy, type PrismProxy } from '../src/proxy.js';

/** A user plugin whose hooks fail in every way a hook can, chosen by the X-Fault request header. */
const FAULTY_PLUGIN = `export default () => ({
  name: 'faulty',
  hooks: {
    onRequest(ctx) {
      if (ctx.req.headers['x-fault'] === 'sync') throw new Error('boom: sync fault in onRequest');
      return { type: 'continue' };
    },
    authenticate(ctx) {
      switch (ctx.req.headers['x-fault']) {
        case 'async': return Promise.reject(new Error('boom: async fault in authenticate'));
        case 'async-throw': return (async () => { throw new TypeError('boom: thrown in an async hook'); })();
        case 'garbage': return null;
        case 'bad-status': return { type: 'respond', status: 1234 };
        case 'bad-target': return { type: 'forward', target: { kind: 'backend', origin: 'not a url', name: 'nowhere' } };
        case 'rewrite': ctx.req.url = 'no-leading-slash'; return { type: 'continue' };
        default: return { type: 'continue' };
      }
    },
    onError() {
      throw new Error('boom: the onError hook fails as well');
    },
  },
});
`;

let admin: StartedAdmin;
let backend: Backend;
let twoTypes: Server;
let proxy: PrismProxy;
let url: string;
let stateDir: string;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  admin = await startAdmin();
  backend = await startBackend('shared');
  // Answers with Content-Type twice: fine for HTTP/1.1, a field HTTP/2 allows once.
  twoTypes = createServer((_req, res) => {
    res.setHeader('content-type', ['text/plain', 'text/html']);
    res.end('two types');
  });
  await new Promise<void>((r) => twoTypes.listen(0, '127.0.0.1', () => r()));
  stateDir = mkdtempSync(join(tmpdir(), 'prism-faults-'));
  const plugin = join(stateDir, 'faulty.mjs');
  writeFileSync(plugin, FAULTY_PLUGIN);
  const config = loadConfig('proxy', {
    values: await withProxyTls('faults', {
      id: 'faults',
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      admin: [admin.grpc],
      stateDir,
      plugins: [{ module: plugin }],
      pools: { backendRetryMs: 600_000 },
    }),
  });
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  proxy = await buildProxy({ config, logger });
  url = `http://${(await proxy.listen()).data}`;
  await until(() => proxy.state.version > 0, 5000, 'table');
  const mixed = `http://127.0.0.1:${(twoTypes.address() as AddressInfo).port}`;
  for (const [name, at] of [
    ['faulty-a', backend.url],
    ['faulty-b', backend.url],
    ['two-types', mixed],
  ]) {
    await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [at] });
  }
  await until(() => proxy.state.advertisements.size === 3, 5000, 'advertisements');
});

afterAll(async () => {
  await proxy.close();
  removeDir(stateDir);
  twoTypes.closeAllConnections();
  twoTypes.close();
  await backend.stop();
  await admin.stop();
});

const call = (fault: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/`, { headers: { 'x-prism-namespace': 'faulty-a', 'x-fault': fault, ...headers } });

/** The shared backend still serves another namespace: nothing counted against its health. */
async function backendStillServes() {
  const res = await fetch(`${url}/`, { headers: { 'x-prism-namespace': 'faulty-b' } });
  expect(res.status).toBe(200);
}

describe('an exception in a request handler is a coded 500 and a logged request id, never a crash', () => {
  for (const fault of ['sync', 'async', 'async-throw', 'garbage', 'bad-status', 'bad-target']) {
    it(`a user plugin hook failing (${fault})`, async () => {
      const res = await call(fault);
      expect(res.status).toBe(500);
      const text = await res.text();
      const { error } = JSON.parse(text);
      expect(error.code).toBe('PRISM-INTERNAL-001');
      // What went wrong stays in the log: no message, no stack trace for the client.
      expect(text).not.toMatch(/boom|at .*\.(m?js|ts)|TypeError|Invalid URL/);
      const id = /request id (\S+)\)/.exec(error.message)?.[1];
      expect(id).toMatch(/^faults-\d+$/);
      const line = logs.find((l) => l.requestId === id && l.msg === 'request failed');
      expect(line?.level).toBe(50);
      expect(logs.some((l) => l.requestId === id && l.msg === 'onError hook failed')).toBe(true);
      expect((await call('none')).status).toBe(200);
      await backendStillServes();
    });
  }

  it("the client's X-Request-Id names the request in the answer and the log", async () => {
    const res = await call('async', { 'x-request-id': 'trace-4711' });
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toContain('request id trace-4711');
    expect(logs.some((l) => l.requestId === 'trace-4711' && l.level === 50)).toBe(true);
  });

  it('a request a plugin made unforwardable is a 400 and does not count against the backend', async () => {
    const res = await call('rewrite');
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.code).toBe('PRISM-REQ-005');
    expect(error.message).toContain('path');
    await backendStillServes();
  });

  it("the forwarder's own failure (an answer HTTP/2 cannot carry) is a 500, and the backend stays in", async () => {
    const res = await h2Request(url, { ':path': '/', 'x-prism-namespace': 'two-types' });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body).error.code).toBe('PRISM-INTERNAL-001');
    expect(
      logs.some((l) => l.msg === 'request failed' && JSON.stringify(l.err).includes('ERR_HTTP2_HEADER_SINGLE_VALUE')),
    ).toBe(true);
    const again = await fetch(`${url}/`, { headers: { 'x-prism-namespace': 'two-types' } });
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('two types');
  });

  it('counts failures as failed requests, not as backend failures', async () => {
    const text = await (await fetch(`http://${proxy.addresses()?.ops}/metrics`)).text();
    expect(text).toMatch(/prism_proxy_requests_total\{outcome="failed"\} [1-9]/);
    expect(text).not.toContain('reason="backend_down"');
  });
});
