import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { tracingSettings } from '../../core/src/tracing.js';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';
import { ROOT } from '../../test-support/run.js';
import { fleetConfigFile, spawnProxy } from '../../test-support/spawn-program.js';
import { proxyFlagsToValues } from '../src/main.js';

/** One span as an OTLP/HTTP JSON export carries it, flattened. */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  status: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

interface Receiver {
  url: string;
  spans: ExportedSpan[];
  /** POST bodies received (any path, any content type). */
  posts: number;
  stop(): Promise<void>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
const value = (v: OtlpValue) =>
  v.stringValue ?? (v.intValue === undefined ? (v.boolValue ?? v.doubleValue) : Number(v.intValue));
const attributes = (list: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

/** An OTLP/HTTP collector in the test: POST /v1/traces with a JSON body, answered 200 {}. */
async function startReceiver(): Promise<Receiver> {
  const receiver: Omit<Receiver, 'url' | 'stop'> = { spans: [], posts: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.posts++;
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('json')) {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const resource = attributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            receiver.spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              status: s.status?.code ?? 0,
              attributes: attributes(s.attributes),
              resource,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const NAMESPACES = ['orders-prod', 'acme-billing', 'eu-payments', 'test-namespace', 'a', 'users', 'carts', 'logs-7'];
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

let admin: StartedAdmin;
let backend: Backend;
let receiver: Receiver;
/** proxy-1 and proxy-2 trace, proxy-3 does not. */
const proxies: StartedProxy[] = [];
let route: (ns: string) => string;

const tracing = () => ({ enabled: true, otlpEndpoint: receiver.url, batchDelayMs: 50 });

beforeAll(async () => {
  receiver = await startReceiver();
  admin = await startAdmin();
  backend = await startBackend('b1');
  proxies.push(await startProxy('proxy-1', [admin.grpc], { tracing: tracing() }));
  proxies.push(await startProxy('proxy-2', [admin.grpc], { tracing: tracing() }));
  proxies.push(await startProxy('proxy-3', [admin.grpc]));
  for (const ns of NAMESPACES) {
    const r = await api(admin.http, 'POST', '/v1/namespaces', { name: ns, backends: [backend.url] });
    expect(r.status).toBe(201);
  }
  const table = await until(
    async () => {
      const t = parseTable((await api(admin.http, 'GET', '/v1/partition-table')).json);
      return (
        t.proxies.length === 3 &&
        proxies.every(
          (p) => p.proxy.state.version === t.version && p.proxy.state.advertisements.size === NAMESPACES.length,
        ) &&
        t
      );
    },
    10_000,
    'all proxies on the 3-proxy table',
  );
  const router = compileRouter(table);
  route = (ns) => router.route(ns).owner;
});

afterAll(async () => {
  for (const p of proxies) {
    await p.stop();
    removeDir(p.stateDir);
  }
  await backend?.stop();
  await admin?.stop();
  await receiver?.stop();
});

const proxy = (id: string) => proxies.find((p) => p.id === id) as StartedProxy;
/** A namespace that `owner` owns. */
function ownedBy(owner: string): string {
  const ns = NAMESPACES.find((n) => route(n) === owner);
  if (!ns) throw new Error(`no test namespace lands on ${owner}; add candidates to NAMESPACES`);
  return ns;
}

async function get(entry: StartedProxy, ns: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${entry.url}/items/7?q=secret`, { headers: { 'x-prism-namespace': ns, ...headers } });
  const body = (await res.json()) as { headers: Record<string, string> };
  return { res, seen: body.headers };
}

const spansOf = (traceId: string, n: number) =>
  until(
    () => {
      const found = receiver.spans.filter((s) => s.traceId === traceId);
      return found.length >= n && found;
    },
    10_000,
    `${n} spans of trace ${traceId} at the receiver`,
  );

describe('tracing on: a span per hop, one trace across the forward and to the backend', () => {
  it('one request through a non-owner: two spans with one trace id, the owner span a child of the non-owner span, attributes set', async () => {
    const ns = ownedBy('proxy-1');
    const { res, seen } = await get(proxy('proxy-2'), ns);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-served-by')).toBe('proxy-1');
    expect(res.headers.get('x-prism-forwarded-by')).toBe('proxy-2');

    const [, traceId, backendParent] = TRACEPARENT.exec(seen.traceparent) ?? [];
    expect(traceId, `backend traceparent ${seen.traceparent}`).toBeDefined();
    const spans = await spansOf(traceId, 2);
    expect(spans).toHaveLength(2);
    const entry = spans.find((s) => s.resource['service.instance.id'] === 'proxy-2') as ExportedSpan;
    const owner = spans.find((s) => s.resource['service.instance.id'] === 'proxy-1') as ExportedSpan;
    expect(entry.parentSpanId).toBe('');
    expect(owner.parentSpanId).toBe(entry.spanId);
    // The backend's parent is the owner's span: the hop that called it.
    expect(backendParent).toBe(owner.spanId);

    const version = proxy('proxy-1').proxy.state.version;
    expect(entry.name).toBe('GET');
    expect(entry.kind).toBe(2); // SERVER
    expect(entry.resource['service.name']).toBe('prism-proxy');
    expect(entry.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.path': '/items/7',
      'prism.namespace': ns,
      'prism.owner': 'proxy-1',
      'prism.table_version': version,
      'prism.outcome': 'forwarded',
      'prism.upstream': 'proxy-1',
    });
    expect(entry.attributes['prism.partition']).toBeTypeOf('number');
    expect(JSON.stringify(entry.attributes)).not.toContain('secret');
    expect(owner.attributes).toMatchObject({
      'http.response.status_code': 200,
      'prism.namespace': ns,
      'prism.partition': entry.attributes['prism.partition'],
      'prism.owner': 'proxy-1',
      'prism.outcome': 'local',
      'prism.peer': 'proxy-2',
      'prism.hops': 1,
      'prism.upstream': backend.url,
    });
  });

  it("a client's traceparent is continued (same trace id, the client's span the parent) and its tracestate kept", async () => {
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    const ns = ownedBy('proxy-1');
    const { res, seen } = await get(proxy('proxy-2'), ns, {
      traceparent: `00-${clientTrace}-${clientSpan}-01`,
      tracestate: 'vendor=abc',
    });
    expect(res.status).toBe(200);
    expect(TRACEPARENT.exec(seen.traceparent)?.[1]).toBe(clientTrace);
    expect(seen.traceparent).not.toContain(clientSpan);
    expect(seen.tracestate).toBe('vendor=abc');
    const spans = await spansOf(clientTrace, 2);
    const entry = spans.find((s) => s.resource['service.instance.id'] === 'proxy-2') as ExportedSpan;
    expect(entry.parentSpanId).toBe(clientSpan);
  });

  it('an invalid traceparent is ignored: a new trace starts and the request is served', async () => {
    const ns = ownedBy('proxy-1');
    for (const bad of [
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, // all-zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01', // short trace id
      'garbage\tvalue',
    ]) {
      const { res, seen } = await get(proxy('proxy-1'), ns, { traceparent: bad });
      expect(res.status, bad).toBe(200);
      const traceId = TRACEPARENT.exec(seen.traceparent)?.[1] as string;
      expect(traceId, bad).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe('0'.repeat(32));
      const [span] = await spansOf(traceId, 1);
      expect(span.parentSpanId).toBe('');
    }
  });

  it("a client's unsampled traceparent is followed (ParentBased): no span exported, the backend sees the trace unsampled", async () => {
    const clientTrace = 'aaf92f3577b34da6a3ce929d0e0e4736';
    const { res, seen } = await get(proxy('proxy-1'), ownedBy('proxy-1'), {
      traceparent: `00-${clientTrace}-00f067aa0ba902b7-00`,
    });
    expect(res.status).toBe(200);
    expect(seen.traceparent).toMatch(new RegExp(`^00-${clientTrace}-[0-9a-f]{16}-00$`));
    // A sampled request sent after it is exported; the unsampled one is not.
    const marker = await get(proxy('proxy-1'), ownedBy('proxy-1'));
    await spansOf(TRACEPARENT.exec(marker.seen.traceparent)?.[1] as string, 1);
    expect(receiver.spans.filter((s) => s.traceId === clientTrace)).toEqual([]);
  });

  it('a refused request gets a span too, marked as an error when the proxy fails it', async () => {
    const res = await fetch(`${proxy('proxy-2').url}/x`, { headers: { 'x-prism-namespace': 'Not_A_Name' } });
    expect(res.status).toBe(400);
    await until(
      () => receiver.spans.find((s) => s.attributes['prism.error_code'] === 'PRISM-NS-001'),
      10_000,
      'the span of the refused request',
    );
    const span = receiver.spans.find((s) => s.attributes['prism.error_code'] === 'PRISM-NS-001') as ExportedSpan;
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 400, 'prism.outcome': 'rejected' });
    expect(span.status).toBe(0); // a 4xx is the client's error, not the server span's (HTTP semantic conventions)
  });
});

/**
 * The OpenTelemetry packages a freshly built proxy (dist/, its own process) has loaded, with tracing
 * on or off: the packages are CommonJS, so each module loaded is in require.cache.
 */
function packagesLoaded(enabled: boolean): string[] {
  const stateDir = mkdtempSync(join(tmpdir(), 'prism-proxy-otel-'));
  const script = `
    import { createRequire } from 'node:module';
    import { pino } from 'pino';
    import { loadConfig } from './dist/core/src/config/load.js';
    import { buildProxy } from './dist/proxy/src/proxy.js';
    const config = loadConfig('proxy', { values: { insecure: true, stateDir: ${JSON.stringify(stateDir)},
      tracing: { enabled: ${enabled}, otlpEndpoint: 'http://127.0.0.1:9/v1/traces' } } });
    const proxy = await buildProxy({ config, logger: pino({ level: 'silent' }) });
    const names = Object.keys(createRequire(import.meta.url).cache).flatMap((k) => {
      const [scope, name] = k.split('/node_modules/').pop().split('/');
      return scope === '@opentelemetry' ? [scope + '/' + name] : [];
    });
    console.log(JSON.stringify([...new Set(names)].sort()));
    await proxy.close();`;
  try {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop() as string);
  } finally {
    removeDir(stateDir);
  }
}

describe('tracing off (the default)', () => {
  it('loads neither the OpenTelemetry SDK nor its exporter (only the API, which prom-client loads anyway)', () => {
    expect(packagesLoaded(true)).toEqual(
      expect.arrayContaining(['@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/sdk-trace-base']),
    );
    expect(packagesLoaded(false)).toEqual(['@opentelemetry/api']);
  });

  it("exports nothing, and the client's traceparent and tracestate reach the backend unchanged", async () => {
    const clientTrace = '0af7651916cd43dd8448eb211c80319c';
    const traceparent = `00-${clientTrace}-b7ad6b7169203331-01`;
    const { res, seen } = await get(proxy('proxy-3'), ownedBy('proxy-3'), {
      traceparent,
      tracestate: 'congo=t61rcWkgMzE',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-served-by')).toBe('proxy-3');
    expect(seen.traceparent).toBe(traceparent);
    expect(seen.tracestate).toBe('congo=t61rcWkgMzE');
    const marker = await get(proxy('proxy-1'), ownedBy('proxy-1'));
    await spansOf(TRACEPARENT.exec(marker.seen.traceparent)?.[1] as string, 1);
    expect(receiver.spans.filter((s) => s.traceId === clientTrace)).toEqual([]);
    expect(receiver.spans.filter((s) => s.resource['service.instance.id'] === 'proxy-3')).toEqual([]);
  });

  it('a proxy with tracing off passes the traceparent on to a traced owner, which continues that trace', async () => {
    const clientTrace = '1af7651916cd43dd8448eb211c80319c';
    const clientSpan = 'c7ad6b7169203331';
    const { res } = await get(proxy('proxy-3'), ownedBy('proxy-1'), {
      traceparent: `00-${clientTrace}-${clientSpan}-01`,
    });
    expect(res.status).toBe(200);
    const [owner] = await spansOf(clientTrace, 1);
    expect(owner.resource['service.instance.id']).toBe('proxy-1');
    expect(owner.parentSpanId).toBe(clientSpan);
  });
});

describe('settings', () => {
  it('--otlp-endpoint turns tracing on; the OTel variables fill what the options leave empty', () => {
    const config = loadConfig('proxy', {
      values: { ...proxyFlagsToValues({ otlpEndpoint: 'http://collector:4318/v1/traces' }), insecure: true },
    });
    expect(config.tracing).toMatchObject({ enabled: true, otlpEndpoint: 'http://collector:4318/v1/traces' });
    expect(loadConfig('proxy', { values: { insecure: true } }).tracing.enabled).toBe(false);

    const off = loadConfig('proxy', { values: { insecure: true } }).tracing;
    expect(tracingSettings(off, {})).toMatchObject({
      endpoint: 'http://localhost:4318/v1/traces',
      serviceName: 'prism-proxy',
    });
    expect(
      tracingSettings(off, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/', OTEL_SERVICE_NAME: 'edge' }),
    ).toMatchObject({ endpoint: 'http://otel:4318/v1/traces', serviceName: 'edge' });
    expect(
      tracingSettings(off, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      }).endpoint,
    ).toBe('https://traces.example/otlp');
    expect(
      tracingSettings(config.tracing, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://elsewhere:4318/v1/traces' })
        .endpoint,
    ).toBe('http://collector:4318/v1/traces');
  });

  it('refuses an endpoint that is not http(s) and a header that cannot be sent, with coded errors', () => {
    const off = loadConfig('proxy', { values: { insecure: true } }).tracing;
    expect(() => tracingSettings(off, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://otel:4317' })).toThrow(
      expect.objectContaining({
        code: 'PRISM-CONFIG-010',
        message: expect.stringContaining('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      }),
    );
    expect(() =>
      loadConfig('proxy', { values: { insecure: true, tracing: { otlpEndpoint: 'collector:4318' } } }),
    ).toThrow(expect.objectContaining({ code: 'PRISM-CONFIG-001' }));
    expect(() => tracingSettings({ ...off, headers: { 'bad name': 'x' } }, {})).toThrow(
      expect.objectContaining({ code: 'PRISM-CONFIG-011' }),
    );
    expect(() => tracingSettings({ ...off, headers: { authorization: 'a\r\nx-injected: 1' } }, {})).toThrow(
      expect.objectContaining({ code: 'PRISM-CONFIG-011' }),
    );
  });
});

describe('shutdown', () => {
  it('SIGTERM flushes the spans still queued before the process exits', async () => {
    const own = await startAdmin();
    const dir = mkdtempSync(join(tmpdir(), 'prism-proxy-trace-'));
    try {
      // A batch delay far beyond the test: only the flush at shutdown can send the span.
      const config = await fleetConfigFile('proxy-1', dir, {
        tracing: { enabled: true, otlpEndpoint: receiver.url, batchDelayMs: 600_000, serviceName: 'edge-sigterm' },
      });
      const p = await spawnProxy('proxy-1', own.grpc, dir, { config });
      try {
        const r = await api(own.http, 'POST', '/v1/namespaces', { name: 'orders-prod', backends: [backend.url] });
        expect(r.status).toBe(201);
        const traceparent = '00-5af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
        await until(
          async () => {
            const res = await fetch(`http://127.0.0.1:${p.port}/`, {
              headers: { 'x-prism-namespace': 'orders-prod', traceparent },
            });
            await res.arrayBuffer();
            return res.status === 200;
          },
          10_000,
          'the spawned proxy serving orders-prod',
        );
        expect(receiver.spans.filter((s) => s.resource['service.name'] === 'edge-sigterm')).toEqual([]);
      } finally {
        await p.stop();
      }
      const flushed = receiver.spans.filter((s) => s.resource['service.name'] === 'edge-sigterm');
      expect(flushed.length).toBeGreaterThan(0);
      expect(flushed.some((s) => s.traceId === '5af7651916cd43dd8448eb211c80319c')).toBe(true);
    } finally {
      await own.stop();
      removeDir(dir);
    }
  });
});
