import type * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { adminFetch, api, type StartedAdmin, startAdmin } from '../admin-harness.js';
import { fleetPki } from '../pki.js';
import { type Backend, removeDir, type StartedProxy, startBackend, startProxy, until } from '../proxy-harness.js';
import { type RawTarget, rawTarget } from '../raw-http.js';
import { type Body, operatorBody, validName } from './body.js';
import type { Finding } from './findings.js';
import { type GrpcCase, grpcCase, grpcInput, runGrpcCase } from './grpc.js';
import { accessFindings, type H2Case, h2Case, h2Chunks, runH2Case } from './h2.js';
import { caseChunks, type Http1Case, type Http1Request, http1Case } from './http1.js';
import { analyzeRequests, type Http1Response, judgeResponse, parseResponses } from './http1-check.js';
import { exchange } from './net.js';
import type { ProcessWatch } from './watch.js';

export type TargetName = 'proxy' | 'admin' | 'grpc' | 'h2';
export const TARGET_NAMES: TargetName[] = ['proxy', 'admin', 'grpc', 'h2'];

/** What one case sends: the writes on one connection, or the messages on one gRPC stream. */
export interface FuzzInput {
  chunks: Buffer[];
  /** gRPC only: how the client leaves the stream. */
  end?: 'end' | 'cancel';
}

export interface Target<C = unknown> {
  name: TargetName;
  arbitrary: fc.Arbitrary<C>;
  input(c: C): FuzzInput;
  /** Sends one input and returns every property it broke (crashes and log lines included). */
  run(input: FuzzInput): Promise<Finding[]>;
  /** Normal use still works: run after the fuzz cases. */
  healthy(): Promise<Finding[]>;
}

/** How long a complete request may take to be answered: generous, and more for big bodies. */
const answerWait = (bytes: number) => 3_000 + Math.round(bytes / 1_000);
/** How long to listen after an incomplete request, for an early 400 or a close. */
const INCOMPLETE_WAIT_MS = 50;

const PROBE_TIMEOUT_MS = 5_000;

/** A normal request the suite makes itself; never waits longer than PROBE_TIMEOUT_MS (status 0 then). */
export async function probe(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const { timeoutMs = PROBE_TIMEOUT_MS, ...rest } = init;
  try {
    const res = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text(), headers: res.headers };
  } catch (err) {
    return { status: 0, text: `no answer in ${timeoutMs} ms (${(err as Error).name})`, headers: new Headers() };
  }
}

const methodLabel = (m: string | undefined) =>
  m && /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|TRACE|PATCH|CONNECT)$/.test(m) ? m : 'another method';

/** Sends raw HTTP/1.1 bytes and judges the answer (see http1-check.ts for what a server owes). */
export async function runHttp1(
  port: RawTarget,
  input: FuzzInput,
  watch: ProcessWatch,
  /** The port picks the protocol by the first bytes (the proxy's data port). */
  sniffing: boolean,
  inspect: (r: Http1Response) => Finding[] = () => [],
  oneHost = false,
): Promise<Finding[]> {
  const bytes = Buffer.concat(input.chunks);
  const size = bytes.length;
  const a = analyzeRequests(bytes, sniffing);
  if (a.owed === 'other') return [];
  const result = await exchange(port, input.chunks, {
    done: (bytes) => {
      const p = parseResponses(bytes, a.methods, false);
      if (!p.complete) return false;
      return p.responses.filter((r) => r.status >= 200).length >= a.methods.length ? 'all' : 'some';
    },
    quietMs: 30,
    waitMs: a.owed === 'required' ? answerWait(size) : INCOMPLETE_WAIT_MS,
    watch,
  });
  const parsed = parseResponses(result.bytes, a.methods, result.closedByServer);
  const findings: Finding[] = [];
  if (parsed.error) {
    findings.push({
      property: 'answers are well-formed HTTP/1.1',
      signature: `malformed: ${parsed.error.replace(/".*"/, '…')}`,
      detail: parsed.error,
    });
  }
  parsed.responses
    .filter((r) => r.status >= 200)
    .forEach((r, i) => {
      findings.push(...judgeResponse(r, a.methods[i] ?? 'GET'), ...inspect(r));
    });
  const first = parsed.responses.find((r) => r.status >= 200);
  if (oneHost && a.hosts > 1 && first && first.status < 400) {
    findings.push({
      property: 'a request with several Host fields is refused',
      signature: `${a.hosts} Host fields answered ${first.status}`,
      detail: `RFC 9112 §3.2 asks for 400; the answer was ${first.status}`,
    });
  }
  if (a.owed === 'required' && parsed.responses.length === 0 && !result.crashed && !parsed.error) {
    const how = result.closedByServer ? 'closed' : 'held';
    const what = result.bytes.length > 0 ? 'an incomplete answer' : 'no answer';
    findings.push({
      property: 'a complete request gets an answer',
      signature: `${what} (${how}) to ${methodLabel(a.methods[0])}`,
      detail: `${a.why}; the server ${how === 'closed' ? `closed the connection${result.error ? ` (${result.error})` : ''}` : `sent nothing in ${answerWait(size)} ms`}`,
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// The proxy's data port, with one admin, one backend and two tenants on it

export interface ProxyEnv {
  admin: StartedAdmin;
  backend: Backend;
  proxy: StartedProxy;
  port: number;
  /** A request of the other tenant on the same backend; waits until the backend serves again after a finding. */
  otherTenant(): Promise<Finding[]>;
  stop(): Promise<void>;
}

export async function startProxyEnv(watch: ProcessWatch, pools: Record<string, number> = {}): Promise<ProxyEnv> {
  const admin = await startAdmin();
  const backend = await startBackend('fuzz');
  const proxy = await startProxy(
    'fuzz-proxy',
    [admin.grpc],
    { pools: { backendRetryMs: 300, ...pools }, forwarding: { timeoutMs: 5_000 }, accessLog: true },
    undefined,
    watch.logger('prism-proxy'),
  );
  await until(() => proxy.proxy.state.version > 0, 10_000, 'table');
  for (const name of ['fuzz', 'fuzz-b']) {
    const r = await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
    if (r.status !== 201) throw new Error(`reserving ${name}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  await until(() => proxy.proxy.state.advertisements.has('fuzz-b'), 10_000, 'advertisements');
  const get = () => probe(`${proxy.url}/after`, { headers: { 'x-prism-namespace': 'fuzz-b' } });
  return {
    admin,
    backend,
    proxy,
    port: Number(new URL(proxy.url).port),
    async otherTenant() {
      const res = await get();
      if (res.status === 200 && res.headers.get('x-prism-served-by')) return [];
      const answer = res.status ? `${res.status} ${/PRISM-[A-Z]+-\d+/.exec(res.text)?.[0] ?? ''}`.trim() : 'no answer';
      const finding: Finding = {
        property: 'other tenants are unharmed',
        signature: `other tenant got ${answer}`,
        detail: `GET /after for namespace fuzz-b on the same backend: ${res.status} ${res.text.slice(0, 200)}`,
      };
      // The next case starts from a serving backend again, so that it is not blamed for this one.
      if (res.status === 0) return [finding];
      try {
        await until(async () => (await get()).status === 200, 5_000);
      } catch {
        finding.detail += '; still not served after 5 s';
      }
      return [finding];
    },
    async stop() {
      // A wedged upstream pool never finishes closing (see known.ts, proxy-pool-wedged).
      await Promise.race([proxy.stop(), new Promise((r) => setTimeout(r, 1_000))]);
      removeDir(proxy.stateDir);
      await backend.stop();
      await admin.stop();
    },
  };
}

const proxyRequest: fc.Arbitrary<Http1Request> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH'),
    target: fc.constantFrom('/', '/x/y?z=1', '/fuzz/path', '/a%20b'),
    ns: fc.constantFrom('fuzz', 'fuzz', 'fuzz', 'fuzz-b', 'not-reserved', 'Bad_NS'),
    extra: fc.subarray<[string, string]>([
      ['Accept', '*/*'],
      ['User-Agent', 'fuzz'],
      ['Content-Type', 'application/octet-stream'],
      ['X-Prism-Hops', '0'],
    ]),
    body: fc.string({ unit: 'binary-ascii', maxLength: 40 }),
    framing: fc.constantFrom<'none' | 'length' | 'chunked'>('none', 'length', 'chunked'),
  })
  .map((r) => ({
    method: r.method,
    target: r.target,
    version: 'HTTP/1.1',
    headers: [['Host', 'fuzz.example'], ['X-Prism-Namespace', r.ns], ...r.extra],
    body: r.body,
    framing: r.framing,
  }));

const PROXY_PATHS = ['/', '/x/y?z=1', '/fuzz/path'];

/**
 * What the echo backend says it received (test-support/proxy-harness.ts): an origin-form target
 * (absolute-form is normalised or refused, RFC 9112 §3.2.2) and none of the peer-only headers.
 */
function backendSaw(r: Http1Response): Finding[] {
  if (r.status !== 200 || !r.headers.some(([n, v]) => n === 'x-backend' && v === 'fuzz')) return [];
  let echo: { url?: string; headers?: Record<string, unknown> };
  try {
    echo = JSON.parse(r.body.toString('utf8'));
  } catch {
    return [];
  }
  const out: Finding[] = [];
  if (typeof echo.url === 'string' && !echo.url.startsWith('/'))
    out.push({
      property: 'backends get origin-form request-targets',
      signature: `backend got target ${/^[a-z]+:/i.test(echo.url) ? 'in absolute-form' : JSON.stringify(echo.url.slice(0, 1))}`,
      detail: `the backend received ${JSON.stringify(echo.url.slice(0, 100))}`,
    });
  for (const h of ['x-prism-hops', 'x-prism-table-version'])
    if (echo.headers && h in echo.headers)
      out.push({
        property: 'peer-only headers stop at the proxy',
        signature: `backend got ${h}`,
        detail: `${h}: ${JSON.stringify(echo.headers[h])}`,
      });
  return out;
}

export function proxyTarget(env: ProxyEnv, watch: ProcessWatch): Target<Http1Case> {
  return {
    name: 'proxy',
    arbitrary: http1Case(proxyRequest, PROXY_PATHS),
    input: (c) => ({ chunks: caseChunks(c) }),
    async run(input) {
      const mark = watch.mark();
      const findings = await runHttp1(env.port, input, watch, true, backendSaw, true);
      findings.push(...(await env.otherTenant()));
      return [...findings, ...watch.findingsSince(mark)];
    },
    healthy: () => proxyHealthy(env),
  };
}

async function proxyHealthy(env: ProxyEnv): Promise<Finding[]> {
  const findings = await env.otherTenant();
  const res = await probe(`${env.proxy.url}/`, { headers: { 'x-prism-namespace': 'fuzz' } });
  if (res.status !== 200)
    findings.push({
      property: 'a normal request succeeds afterwards',
      signature: `got ${res.status}`,
      detail: `GET / (fuzz): ${res.status}`,
    });
  return findings;
}

export function h2Target(env: ProxyEnv, watch: ProcessWatch): Target<H2Case> {
  return {
    name: 'h2',
    arbitrary: h2Case(),
    input: (c) => ({ chunks: h2Chunks(c) }),
    async run(input) {
      const mark = watch.mark();
      const findings = await runH2Case(env.port, input.chunks, watch);
      findings.push(...(await env.otherTenant()));
      return [...findings, ...accessFindings(watch.accessSince(mark)), ...watch.findingsSince(mark)];
    },
    healthy: () => proxyHealthy(env),
  };
}

// ---------------------------------------------------------------------------------------------
// The admin: operator API and control stream, with one real proxy attached

export interface AdminEnv {
  admin: StartedAdmin;
  backend: Backend;
  proxy: StartedProxy;
  /** The operator API's port, over TLS checked against the fleet CA. */
  http: RawTarget;
  /** A client certificate of the fleet for proxy id GRPC_FUZZ_ID, for the control stream. */
  credentials: grpc.ChannelCredentials;
  stop(): Promise<void>;
}

/** The proxy id the control-stream cases hold a certificate for: only its Register can succeed. */
export const GRPC_FUZZ_ID = 'fuzz-grpc';

/**
 * Stands for the admin's bootstrap token in the cases' bytes, and is replaced by it when a case is
 * sent: a replay file then works against any admin.
 */
export const TOKEN_PLACEHOLDER = 'PRISM-FUZZ-TOKEN';

export async function startAdminEnv(watch: ProcessWatch): Promise<AdminEnv> {
  // Rate limits far above the cases' pace: the cases are to reach the routes, not the 429.
  const many = 1_000_000;
  const admin = await startAdmin({
    logger: watch.logger('prism-admin'),
    values: {
      limits: { operatorRequestsPerSecond: many, operatorBurst: many, expensivePerMinute: many, expensiveBurst: many },
    },
  });
  const backend = await startBackend('fuzz');
  const proxy = await startProxy('fuzz-proxy', [admin.grpc]);
  await until(() => proxy.proxy.state.version > 0, 10_000, 'table');
  const r = await api(admin.http, 'POST', '/v1/namespaces', { name: 'fuzz-a', backends: [backend.url] });
  if (r.status !== 201) throw new Error(`reserving fuzz-a: ${r.status} ${r.text}`);
  return {
    admin,
    backend,
    proxy,
    http: rawTarget(admin.http, admin.caFile),
    credentials: await (await fleetPki()).credentials('proxy', GRPC_FUZZ_ID),
    async stop() {
      await proxy.stop();
      removeDir(proxy.stateDir);
      await backend.stop();
      await admin.stop();
    },
  };
}

interface Route {
  method: string;
  path: string;
  query?: boolean;
  fields?: string[];
}

/** The operator API (README "Operator API"), every route. */
const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/v1/namespaces',
    fields: ['name', 'backends', 'team', 'leaseTtlSeconds', 'lease_ttl_seconds', 'config'],
  },
  { method: 'GET', path: '/v1/namespaces', query: true },
  { method: 'GET', path: '/v1/namespaces/{name}' },
  { method: 'DELETE', path: '/v1/namespaces/{name}', query: true },
  { method: 'POST', path: '/v1/namespaces/{name}:refresh', fields: ['leaseTtlSeconds', 'lease_ttl_seconds', 'name'] },
  { method: 'POST', path: '/v1/namespaces/{name}:revoke', fields: ['reason', 'name'] },
  { method: 'POST', path: '/v1/namespaces/{name}:restore', fields: ['reason'] },
  { method: 'POST', path: '/v1/namespaces/{name}:purge', fields: ['force', 'name'] },
  { method: 'GET', path: '/v1/partition-table' },
  { method: 'POST', path: '/v1/partition-table:plan', fields: ['strategy', 'rules', 'weights'] },
  { method: 'POST', path: '/v1/partition-table:apply', fields: ['strategy', 'rules', 'weights'] },
  { method: 'GET', path: '/v1/proxies' },
  { method: 'GET', path: '/v1/audit', query: true },
  { method: 'POST', path: '/v1/keys:rotate' },
  { method: 'GET', path: '/.well-known/jwks.json' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
];

const ADMIN_PATHS = ROUTES.map((r) => r.path.replace('{name}', 'fuzz-a'));

const queryValue = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '-1',
    '1001',
    '1e3',
    'abc',
    '',
    'true',
    'TRUE',
    '%zz',
    '%00',
    'x'.repeat(3000),
    'fuzz',
    'fuzz-a',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }).map(encodeURIComponent),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom('prefix', 'includeDeleted', 'pageSize', 'pageToken', 'force', 'target', 'limit', 'x'),
      queryValue,
    ),
    {
      maxLength: 4,
    },
  )
  .map((q) => (q.length ? `?${q.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

const pathName = fc.oneof(
  { weight: 3, arbitrary: fc.constant('fuzz-a') },
  { weight: 3, arbitrary: validName },
  { weight: 1, arbitrary: fc.constantFrom('Bad_Name', '%zz', '%2F', 'a%00', '..', '%E2%82', 'x'.repeat(300), '%61') },
);

/** Mostly the bootstrap token (an admin), so that cases reach the routes; sometimes a broken credential. */
const authorization = fc.oneof(
  { weight: 12, arbitrary: fc.constant(`Bearer ${TOKEN_PLACEHOLDER}`) },
  fc.constantFrom<string | null>(
    null,
    '',
    'Bearer',
    'Bearer ',
    `bearer ${TOKEN_PLACEHOLDER}`,
    `Bearer  ${TOKEN_PLACEHOLDER}`,
    `Bearer ${TOKEN_PLACEHOLDER}x`,
    `Basic ${TOKEN_PLACEHOLDER}`,
    'Bearer e30.e30.',
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    `Bearer ${'a'.repeat(9_000)}`,
  ),
);

const adminRequest: fc.Arbitrary<Http1Request> = fc.constantFrom(...ROUTES).chain((route) =>
  fc
    .record({
      name: pathName,
      query: route.query ? query : fc.constant(''),
      body: route.fields ? operatorBody(route.fields) : fc.constant<Body | null>(null),
      framing: fc.constantFrom<'length' | 'chunked'>('length', 'length', 'length', 'chunked'),
      authorization,
    })
    .map(({ name, query: q, body, framing, authorization }) => ({
      method: route.method,
      target: route.path.replace('{name}', name) + q,
      version: 'HTTP/1.1',
      headers: [
        ['Host', 'admin.example'],
        ...(authorization === null ? [] : [['Authorization', authorization] as [string, string]]),
        ['X-Prism-Actor', 'fuzz'],
        ...(body?.contentType ? [['Content-Type', body.contentType] as [string, string]] : []),
      ] as [string, string][],
      body: body?.text ?? '',
      framing: body ? framing : 'none',
    })),
);

export function adminTarget(env: AdminEnv, watch: ProcessWatch): Target<Http1Case> {
  return {
    name: 'admin',
    arbitrary: http1Case(adminRequest, ADMIN_PATHS),
    input: (c) => ({ chunks: caseChunks(c) }),
    async run(input) {
      const mark = watch.mark();
      const findings = await runHttp1(env.http, withToken(input, env.admin.token), watch, false);
      const res = await adminProbe(env, '/healthz');
      if (res.status !== 200)
        findings.push({
          property: 'the admin keeps serving',
          signature: `healthz ${res.status}`,
          detail: `GET /healthz: ${res.status}`,
        });
      return [...findings, ...watch.findingsSince(mark)];
    },
    healthy: () => adminHealthy(env),
  };
}

function withToken(input: FuzzInput, token: string): FuzzInput {
  return {
    ...input,
    chunks: input.chunks.map((c) => {
      const text = c.toString('latin1');
      return text.includes(TOKEN_PLACEHOLDER) ? Buffer.from(text.replaceAll(TOKEN_PLACEHOLDER, token), 'latin1') : c;
    }),
  };
}

/** An operator API call as an admin, over TLS; never waits longer than PROBE_TIMEOUT_MS (status 0 then). */
async function adminProbe(env: AdminEnv, path: string, init: { method?: string; body?: unknown } = {}) {
  try {
    const res = await adminFetch(env.admin.http, path, {
      method: init.method,
      headers: { authorization: `Bearer ${env.admin.token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, text: `no answer in ${PROBE_TIMEOUT_MS} ms (${(err as Error).name})` };
  }
}

let afterCount = 0;

/** A reservation, a read and a request through the real proxy still work. */
async function adminHealthy(env: AdminEnv): Promise<Finding[]> {
  const name = `after-fuzz-${afterCount++}`;
  const fail = (signature: string, detail: string): Finding[] => [
    { property: 'a normal request succeeds afterwards', signature, detail },
  ];
  const reserved = await adminProbe(env, '/v1/namespaces', {
    method: 'POST',
    body: { name, backends: [env.backend.url] },
  });
  if (reserved.status !== 201) return fail(`reserve ${reserved.status}`, reserved.text);
  const got = await adminProbe(env, `/v1/namespaces/${name}`);
  if (got.status !== 200) return fail(`get ${got.status}`, got.text);
  try {
    await until(
      async () => (await probe(`${env.proxy.url}/`, { headers: { 'x-prism-namespace': name } })).status === 200,
      10_000,
    );
  } catch {
    return fail(
      'the real proxy does not serve a new namespace',
      `GET / through fuzz-proxy for ${name} never got 200 in 10 s`,
    );
  }
  return [];
}

export function grpcTarget(env: AdminEnv, watch: ProcessWatch): Target<GrpcCase> {
  return {
    name: 'grpc',
    arbitrary: grpcCase(),
    input: grpcInput,
    async run(input) {
      const mark = watch.mark();
      const findings = await runGrpcCase(env.admin.grpc, input, env.credentials);
      return [...findings, ...watch.findingsSince(mark)];
    },
    async healthy() {
      const findings = await adminHealthy(env);
      const proxies = await adminProbe(env, '/v1/proxies');
      const list =
        proxies.status === 200 ? (JSON.parse(proxies.text) as { proxies?: { id: string; status: string }[] }) : {};
      const real = list.proxies?.find((p) => p.id === 'fuzz-proxy');
      if (real?.status !== 'PROXY_STATUS_HEALTHY')
        findings.push({
          property: 'the real proxy keeps its control stream',
          signature: `fuzz-proxy is ${real?.status ?? 'missing'}`,
          detail: JSON.stringify(real),
        });
      return findings;
    },
  };
}
