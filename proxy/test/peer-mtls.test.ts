import { readFileSync } from 'node:fs';
import { connect as h2connect, type IncomingHttpHeaders } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouter, type Router } from '../../core/src/route.js';
import type { Role } from '../../core/src/tls/identity.js';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { makeTestPki, type TestPki } from '../../test-support/pki.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';
import { h2Request, sendRaw } from '../../test-support/raw-http.js';

/*
 * Proxy-to-proxy forwarding over mutual TLS, on loopback with certificates from the test PKI: the
 * admin and the proxies run mTLS with one certificate each, the load balancer's side stays cleartext.
 */

let pki: TestPki;
let stranger: TestPki;
beforeAll(async () => {
  [pki, stranger] = await Promise.all([
    makeTestPki({ proxies: ['proxy-a', 'proxy-b', 'proxy-c'], operators: ['ops'] }),
    makeTestPki({ proxies: ['proxy-b'] }),
  ]);
});
afterAll(() => {
  pki?.remove();
  stranger?.remove();
});

const NAMESPACES = Array.from({ length: 24 }, (_, i) => `tenant-${i}`);

/** A proxy of the fleet: mTLS to the admin and to its peers with its own certificate. */
async function fleetProxy(id: string, admin: string, values: Record<string, unknown> = {}) {
  const own = await pki.proxy(id, { reloadIntervalMs: 100 });
  return startProxy(id, [admin], {
    ...values,
    controlPlane: {
      ...(own.controlPlane as object),
      // No periodic pull during a test: a table pull must come from what a test sends.
      tablePullSeconds: 3_600,
    },
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** Who a TLS client is: a certificate of some PKI, or none. */
type ClientIdentity = { pki: TestPki; role: Role; name: string } | undefined;

async function tlsFiles(who: ClientIdentity) {
  if (!who) return {};
  const files = await who.pki.files(who.role, who.name);
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

/** One HTTP/1.1 request over TLS to a data port, verifying the proxy's fleet certificate. */
async function tlsGet(url: string, headers: Record<string, string>, who?: ClientIdentity): Promise<Answer> {
  const { port } = new URL(url);
  const files = await tlsFiles(who);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/', headers, agent: false, ca: readFileSync(pki.caFile), ...files },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP/2 request over TLS (ALPN h2) to a data port. */
async function tlsH2Get(url: string, headers: Record<string, string>, who?: ClientIdentity): Promise<Answer> {
  const { port } = new URL(url);
  const files = await tlsFiles(who);
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://127.0.0.1:${port}`, { ca: readFileSync(pki.caFile), ...files });
    session.on('error', reject);
    const stream = session.request({ ':path': '/', ...headers });
    let got: IncomingHttpHeaders = {};
    let body = '';
    stream.on('response', (h) => {
      got = h;
    });
    stream.on('data', (d) => {
      body += d;
    });
    stream.on('end', () => {
      session.close();
      resolve({ status: Number(got[':status']), headers: got, json: JSON.parse(body) });
    });
    stream.on('error', reject);
    stream.end();
  });
}

async function cleartextGet(url: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${url}/`, { headers });
  const json = await res.json();
  return { status: res.status, headers: Object.fromEntries(res.headers), json };
}

/** A sample of the proxy's /metrics, 0 when the series is absent. */
async function metric(p: StartedProxy, series: string): Promise<number> {
  const text = await (await fetch(`${p.ops}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function adminPulls(admin: StartedAdmin): Promise<number> {
  const { text } = await api(admin.http, 'GET', '/metrics');
  const line = text
    .split('\n')
    .find((l) => l.startsWith('prism_admin_grpc_requests_total{') && l.includes('method="GetPartitionTable"'));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Serial of the certificate the data port at `url` presents to a new TLS connection with this SNI. */
const presented = (url: string, servername?: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: Number(new URL(url).port),
      servername,
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });

describe('a fleet of three proxies forwarding over mTLS', () => {
  let admin: StartedAdmin;
  let backend: Backend;
  const proxies: StartedProxy[] = [];
  let router: Router;
  const owned = (owner: string) => NAMESPACES.find((n) => router.route(n).owner === owner) as string;
  const byId = (id: string) => proxies.find((p) => p.id === id) as StartedProxy;

  beforeAll(async () => {
    admin = await startAdmin({ values: pki.admin() });
    backend = await startBackend('b1');
    // proxy-a speaks h2 to its peers (ALPN), the others HTTP/1.1 over TLS.
    for (const id of ['proxy-a', 'proxy-b', 'proxy-c'])
      proxies.push(await fleetProxy(id, admin.grpc, { forwarding: { h2: id === 'proxy-a' } }));
    for (const name of NAMESPACES) {
      const r = await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
      expect(r.status).toBe(201);
    }
    await until(
      () =>
        proxies.every(
          (p) => p.proxy.state.table?.proxies.length === 3 && p.proxy.state.advertisements.size === NAMESPACES.length,
        ),
      15_000,
      'fleet ready',
    );
    router = compileRouter(proxies[0].proxy.state.table as never);
    for (const p of proxies) expect(owned(p.id), `a namespace owned by ${p.id}`).toBeDefined();
  }, 60_000);

  afterAll(async () => {
    for (const p of proxies) {
      await p.stop();
      removeDir(p.stateDir);
    }
    await backend?.stop();
    await admin?.stop();
  });

  it('serves every namespace through every proxy, over cleartext HTTP/1.1 and h2c, forwarding to owners over mTLS', async () => {
    for (const p of proxies) {
      for (const ns of NAMESPACES) {
        const owner = router.route(ns).owner;
        for (const get of [
          () => cleartextGet(p.url, { 'x-prism-namespace': ns }),
          async () => {
            const r = await h2Request(p.url, { ':path': '/', 'x-prism-namespace': ns });
            return { status: r.status, headers: r.headers, json: JSON.parse(r.body) };
          },
        ]) {
          const r = await get();
          expect(r.status, `${ns} through ${p.id}: ${JSON.stringify(r.json)}`).toBe(200);
          expect(r.headers['x-prism-served-by']).toBe(owner);
          expect(r.headers['x-prism-forwarded-by']).toBe(owner === p.id ? undefined : p.id);
        }
      }
    }
    // proxy-a reached its peers over h2, the others reached proxy-a over HTTP/1.1, all of it TLS.
    expect(await metric(byId('proxy-b'), 'prism_proxy_tls_connections_total{protocol="h2"}')).toBeGreaterThan(0);
    expect(await metric(byId('proxy-c'), 'prism_proxy_tls_connections_total{protocol="h2"}')).toBeGreaterThan(0);
    expect(await metric(byId('proxy-a'), 'prism_proxy_tls_connections_total{protocol="http/1.1"}')).toBeGreaterThan(0);
    expect(await metric(byId('proxy-a'), 'prism_proxy_tls_connections_total{protocol="h2"}')).toBe(0);
  });

  it('serves TLS clients without a certificate on the same port, over HTTP/1.1 and h2', async () => {
    const a = byId('proxy-a');
    const ns = owned('proxy-b');
    for (const get of [tlsGet, tlsH2Get]) {
      const r = await get(a.url, { 'x-prism-namespace': ns });
      expect(r.status).toBe(200);
      expect(r.headers['x-prism-served-by']).toBe('proxy-b');
      expect(r.headers['x-prism-forwarded-by']).toBe('proxy-a');
    }
  });

  it.each([
    ['a cleartext connection', 'cleartext', undefined, 'it came over a cleartext connection'],
    ['TLS without a client certificate', 'no_certificate', undefined, 'presented no client certificate'],
    [
      'a proxy certificate of another CA',
      'untrusted_certificate',
      'stranger:proxy:proxy-b',
      'does not verify against the fleet CA',
    ],
    [
      'an operator certificate of the fleet',
      'not_a_proxy',
      'pki:operator:ops',
      'names spiffe://prism/operator/ops, not a proxy',
    ],
    [
      "the admin's certificate (serverAuth only)",
      'untrusted_certificate',
      'pki:admin:admin',
      'does not verify against the fleet CA',
    ],
    [
      'a proxy certificate of the fleet for an id not in the table',
      'not_in_table',
      'pki:proxy:proxy-z',
      'proxy proxy-z is not in partition table v',
    ],
  ])(
    'refuses X-Prism-Hops: 0 from %s with 403 PRISM-PEER-001, and the backend sees nothing',
    async (_what, reason, who, message) => {
      const a = byId('proxy-a');
      const ns = owned('proxy-b');
      const before = backend.requests;
      const refusedBefore = await metric(a, `prism_proxy_peer_refusals_total{reason="${reason}"}`);
      const headers = {
        'x-prism-namespace': ns,
        'x-prism-hops': '0',
        authorization: 'Bearer stolen',
        cookie: 'session=1',
      };
      let identity: ClientIdentity;
      if (who) {
        const [which, role, name] = who.split(':');
        identity = { pki: which === 'pki' ? pki : stranger, role: role as Role, name };
      }
      const answers =
        reason === 'cleartext'
          ? [await cleartextGet(a.url, headers), await h2Request(a.url, { ':path': '/', ...headers })]
          : [await tlsGet(a.url, headers, identity), await tlsH2Get(a.url, headers, identity)];
      for (const answer of answers) {
        const r =
          'body' in answer ? { status: answer.status, headers: answer.headers, json: JSON.parse(answer.body) } : answer;
        expect(r.status).toBe(403);
        expect(r.json.error?.code).toBe('PRISM-PEER-001');
        expect(r.json.error?.message).toContain(message);
        expect(r.headers['x-prism-forwarded-by']).toBeUndefined();
      }
      expect(backend.requests).toBe(before);
      expect(await metric(a, `prism_proxy_peer_refusals_total{reason="${reason}"}`)).toBe(refusedBefore + 2);
    },
  );

  it("trusts a peer's X-Prism-Hops: a request at the hop limit is not forwarded again", async () => {
    const a = byId('proxy-a');
    const asB = { pki, role: 'proxy' as Role, name: 'proxy-b' };
    const mine = await tlsGet(a.url, { 'x-prism-namespace': owned('proxy-a'), 'x-prism-hops': '0' }, asB);
    expect(mine.status).toBe(200);
    expect(mine.headers['x-prism-served-by']).toBe('proxy-a');
    for (const get of [tlsGet, tlsH2Get]) {
      const r = await get(a.url, { 'x-prism-namespace': owned('proxy-c'), 'x-prism-hops': '1' }, asB);
      expect(r.status).toBe(421);
      expect(r.json.error?.code).toBe('PRISM-ROUTE-001');
    }
  });

  it('accepts a peer missing from its table once it has pulled the newer table the peer names', async () => {
    const a = byId('proxy-a');
    const current = a.proxy.state.table;
    if (!current) throw new Error('no table');
    // As if proxy-c had just joined and the push of that table had not reached proxy-a yet.
    a.proxy.state.table = {
      ...current,
      version: current.version - 1,
      proxies: current.proxies.filter((p) => p.id !== 'proxy-c'),
    };
    const asC = { pki, role: 'proxy' as Role, name: 'proxy-c' };
    const r = await tlsGet(
      a.url,
      { 'x-prism-namespace': owned('proxy-a'), 'x-prism-hops': '0', 'x-prism-table-version': String(current.version) },
      asC,
    );
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(a.proxy.state.version).toBe(current.version);
  });

  it('still takes forwards from a proxy drained out of the table: load balancers follow the table a moment later', async () => {
    const a = byId('proxy-a');
    const asC = { pki, role: 'proxy' as Role, name: 'proxy-c' };
    expect((await api(admin.http, 'POST', '/v1/proxies/proxy-c:drain')).status).toBe(200);
    try {
      await until(() => !a.proxy.state.table?.proxies.some((p) => p.id === 'proxy-c'), 15_000, 'proxy-c drained');
      const r = await tlsGet(a.url, { 'x-prism-namespace': NAMESPACES[0], 'x-prism-hops': '0' }, asC);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      // An id that was never in the table stays refused (the it.each above).
    } finally {
      expect((await api(admin.http, 'POST', '/v1/proxies/proxy-c:undrain')).status).toBe(200);
      await until(() => a.proxy.state.table?.proxies.some((p) => p.id === 'proxy-c'), 15_000, 'proxy-c back');
      router = compileRouter(a.proxy.state.table as never);
    }
  });

  it('ignores X-Prism-Table-Version from a client (it would make the proxy pull the table), not from a peer', async () => {
    const a = byId('proxy-a');
    const ns = owned('proxy-a');
    const newer = String(a.proxy.state.version + 1000);
    // The proxy pulls at most once a second for such headers: let the last pull (a test above) age,
    // so that nothing but the check would keep the client's header from making it pull.
    await new Promise((r) => setTimeout(r, 1_100));
    const before = await adminPulls(admin);
    const r = await cleartextGet(a.url, { 'x-prism-namespace': ns, 'x-prism-table-version': newer });
    expect(r.status).toBe(200);
    const tls = await tlsGet(a.url, { 'x-prism-namespace': ns, 'x-prism-table-version': newer });
    expect(tls.status).toBe(200);
    expect(await adminPulls(admin)).toBe(before);

    // The same header from a peer does make it pull (at most once a second, hence the retries).
    const asB = { pki, role: 'proxy' as Role, name: 'proxy-b' };
    await until(
      async () => {
        const fromPeer = await tlsGet(
          a.url,
          { 'x-prism-namespace': ns, 'x-prism-hops': '0', 'x-prism-table-version': newer },
          asB,
        );
        expect(fromPeer.status).toBe(200);
        return (await adminPulls(admin)) > before;
      },
      5_000,
      'a pull made by the peer',
    );
  });

  it('presents a rotated fleet certificate to new connections, peers and clients alike, and keeps forwarding', async () => {
    const b = byId('proxy-b');
    const before = b.proxy.certificates().control?.serial;
    expect(await presented(b.url, 'proxy-b.proxy.prism')).toBe(before);
    expect(await presented(b.url)).toBe(before);
    const { serial } = await pki.rotate('proxy', 'proxy-b');
    await until(async () => (await presented(b.url, 'proxy-b.proxy.prism')) === serial, 10_000, 'new peer certificate');
    expect(await presented(b.url)).toBe(serial);
    for (const p of proxies) {
      const r = await cleartextGet(p.url, { 'x-prism-namespace': owned('proxy-b') });
      expect(r.status).toBe(200);
      expect(r.headers['x-prism-served-by']).toBe('proxy-b');
    }
  });
});

describe('the forwarder checks the identity of the peer it reaches', () => {
  let admin: StartedAdmin;
  let backend: Backend;
  let a: StartedProxy;
  let fake: FakeProxy;
  /** Stands at the address the table gives for proxy-b; presents whatever certificate a test picks. */
  let impostor: HttpsServer;
  const seen = { requests: 0, bytes: 0, clientSerials: [] as string[] };
  let ns: string;

  const present = async (who: { pki: TestPki; role: Role; name: string }) => {
    const files = await who.pki.files(who.role, who.name);
    impostor.setSecureContext({
      cert: readFileSync(files.certFile),
      key: readFileSync(files.keyFile),
      ca: readFileSync(pki.caFile),
    });
  };

  beforeAll(async () => {
    admin = await startAdmin({ values: pki.admin() });
    backend = await startBackend('b1');
    const b = await pki.files('proxy', 'proxy-b');
    impostor = createHttpsServer(
      {
        cert: readFileSync(b.certFile),
        key: readFileSync(b.keyFile),
        ca: readFileSync(pki.caFile),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        seen.requests++;
        seen.clientSerials.push((req.socket as TLSSocket).getPeerCertificate().serialNumber);
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', 'x-prism-served-by': 'proxy-b' });
        res.end('{}');
      },
    );
    impostor.keepAliveTimeout = 30_000;
    impostor.on('secureConnection', (socket: TLSSocket) => {
      socket.on('data', (d: Buffer) => {
        seen.bytes += d.length;
      });
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    // Registered with proxy-b's own certificate, so the admin puts proxy-b at the impostor's port.
    fake = new FakeProxy(admin.grpc, 'proxy-b', {
      dataPort: (impostor.address() as AddressInfo).port,
      credentials: await pki.credentials('proxy', 'proxy-b'),
    });
    a = await fleetProxy('proxy-a', admin.grpc);
    for (const name of NAMESPACES) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
    await until(
      () => a.proxy.state.table?.proxies.length === 2 && a.proxy.state.advertisements.size === NAMESPACES.length,
      15_000,
      'table with proxy-b',
    );
    const router = compileRouter(a.proxy.state.table as never);
    ns = NAMESPACES.find((n) => router.route(n).owner === 'proxy-b') as string;
    expect(ns).toBeDefined();
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    if (a) removeDir(a.stateDir);
    fake?.close();
    impostor?.closeAllConnections();
    await new Promise((r) => impostor?.close(r));
    await backend?.stop();
    await admin?.stop();
  });

  it.each([
    [
      'the certificate of another proxy of the fleet',
      'pki:proxy:proxy-c',
      'it presented spiffe://prism/proxy/proxy-c, not spiffe://prism/proxy/proxy-b',
    ],
    ['a proxy-b certificate of another CA', 'stranger:proxy:proxy-b', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['an operator certificate of the fleet (clientAuth only)', 'pki:operator:ops', 'INVALID_PURPOSE'],
  ])(
    'refuses a peer that presents %s: 502 PRISM-ROUTE-002, and no request bytes reach it',
    async (_what, who, message) => {
      const [which, role, name] = who.split(':');
      await present({ pki: which === 'pki' ? pki : stranger, role: role as Role, name });
      const failedBefore = await metric(a, 'prism_forwarding_failures_total{reason="peer_tls"}');
      const r = await cleartextGet(a.url, {
        'x-prism-namespace': ns,
        authorization: 'Bearer secret-token',
        cookie: 'session=secret',
      });
      expect(r.status).toBe(502);
      expect(r.json.error?.code).toBe('PRISM-ROUTE-002');
      expect(r.json.error?.message).toContain('failed the TLS check');
      expect(r.json.error?.message).toContain(message);
      expect(seen).toMatchObject({ requests: 0, bytes: 0 });
      expect(await metric(a, 'prism_forwarding_failures_total{reason="peer_tls"}')).toBe(failedBefore + 1);
    },
  );

  it("forwards to the real proxy-b's certificate, and presents a rotated certificate on new peer connections", async () => {
    await present({ pki, role: 'proxy', name: 'proxy-b' });
    const first = await cleartextGet(a.url, { 'x-prism-namespace': ns });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.headers['x-prism-forwarded-by']).toBe('proxy-a');
    const before = a.proxy.certificates().control?.serial;
    expect(seen.clientSerials.at(-1)).toBe(before);

    const { serial } = await pki.rotate('proxy', 'proxy-a');
    await until(() => a.proxy.certificates().control?.serial === serial, 10_000, 'rotated files read');
    // The connection of the first request is still open (the impostor keeps it for 30 s): the
    // proxy's old pool may not reuse it.
    const second = await cleartextGet(a.url, { 'x-prism-namespace': ns });
    expect(second.status).toBe(200);
    expect(seen.clientSerials.at(-1)).toBe(serial);
  });
});

describe('a data port with its own certificate for clients (tls.certFile)', () => {
  let admin: StartedAdmin;
  let backend: Backend;
  const proxies: StartedProxy[] = [];
  afterAll(async () => {
    for (const p of proxies) {
      await p.stop();
      removeDir(p.stateDir);
    }
    await backend?.stop();
    await admin?.stop();
  });

  it('shows clients tls.certFile and peers the fleet certificate, so forwarding to it still verifies', async () => {
    admin = await startAdmin({ values: pki.admin() });
    backend = await startBackend('b1');
    // A certificate the fleet CA did not sign stands for one from a public CA.
    const forClients = await stranger.files('proxy', 'proxy-b');
    proxies.push(await fleetProxy('proxy-a', admin.grpc, { tls: forClients }));
    proxies.push(await fleetProxy('proxy-b', admin.grpc));
    const [a, b] = proxies;
    for (const name of NAMESPACES) await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [backend.url] });
    await until(
      () => proxies.every((p) => p.proxy.state.table?.proxies.length === 2 && p.proxy.state.advertisements.size > 0),
      15_000,
      'fleet ready',
    );
    const router = compileRouter(b.proxy.state.table as never);
    const ns = NAMESPACES.find((n) => router.route(n).owner === 'proxy-a') as string;

    expect(await presented(a.url)).toBe(a.proxy.certificates().data?.serial);
    expect(await presented(a.url, 'proxy-a.proxy.prism')).toBe(a.proxy.certificates().control?.serial);
    const r = await cleartextGet(b.url, { 'x-prism-namespace': ns });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.headers['x-prism-served-by']).toBe('proxy-a');
    expect(r.headers['x-prism-forwarded-by']).toBe('proxy-b');
  });
});

describe('the data port with tls.cleartext = false', () => {
  let p: StartedProxy;
  beforeAll(async () => {
    // No admin: the data port answers 503 without a table, which is enough to tell TLS was served.
    p = await fleetProxy('proxy-a', '127.0.0.1:1', {
      tls: { cleartext: false },
      limits: { firstBytesTimeoutMs: 500 },
    });
  });
  afterAll(async () => {
    await p?.stop();
    if (p) removeDir(p.stateDir);
  });

  it('closes cleartext connections without an answer and serves TLS', async () => {
    const port = Number(new URL(p.url).port);
    const plain = await sendRaw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: tenant-0\r\n\r\n');
    expect(plain).toMatchObject({ closed: true, status: 0 });
    expect(await metric(p, 'prism_proxy_limit_rejections_total{limit="cleartext"}')).toBe(1);
    const tls = await tlsGet(p.url, { 'x-prism-namespace': 'tenant-0' });
    expect(tls.status).toBe(503);
    expect(tls.json.error?.code).toBe('PRISM-ROUTE-004');
  });

  it('closes a TLS handshake that stalls after its first byte within firstBytesTimeoutMs', async () => {
    const port = Number(new URL(p.url).port);
    const before = await metric(p, 'prism_proxy_timeouts_total{phase="sniff"}');
    const started = Date.now();
    const stalled = await sendRaw(port, Buffer.from([0x16]), 10_000);
    expect(stalled.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await metric(p, 'prism_proxy_timeouts_total{phase="sniff"}')).toBe(before + 1);
  });
});
