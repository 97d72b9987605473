import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminFetch, api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { startFleet } from '../../test-support/lb-fleet.js';
import {
  type Backend,
  peerFetch,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';
import { h2Request, type RawAnswer, sendRaw } from '../../test-support/raw-http.js';

let admin: StartedAdmin;
let backend: Backend;
/** Behind the "held" cases only, so each of them stands on its own. */
let guarded: Backend;
let proxy: StartedProxy;
let port: number;

beforeAll(async () => {
  admin = await startAdmin();
  backend = await startBackend('shared');
  guarded = await startBackend('guarded');
  // A backend marked down stays down for the whole file, so a request that wrongly counts against
  // its health shows as a 503 for the next tenant instead of depending on timing.
  proxy = await startProxy('edge', [admin.grpc], { pools: { backendRetryMs: 600_000 } });
  port = Number(new URL(proxy.url).port);
  await until(() => proxy.proxy.state.version > 0, 5000, 'table');
  for (const [name, at] of [
    ['tenant-a', backend],
    ['tenant-b', backend],
    ['held-a', guarded],
    ['held-b', guarded],
  ] as const) {
    expect((await api(admin.http, 'POST', '/v1/namespaces', { name, backends: [at.url] })).status).toBe(201);
  }
  await until(() => proxy.proxy.state.advertisements.size === 4, 5000, 'advertisements');
});

afterAll(async () => {
  await proxy.stop();
  removeDir(proxy.stateDir);
  await backend.stop();
  await guarded.stop();
  await admin.stop();
});

/** One request line and fields, exactly as written, on a connection the server closes after answering. */
const request = (line: string, ...fields: string[]) =>
  sendRaw(port, `${line}\r\n${[...fields, 'Connection: close'].join('\r\n')}\r\n\r\n`);

const code = (answer: RawAnswer) => JSON.parse(answer.body).error.code as string;

/** What the backend received for the last request it answered (it echoes method, url and headers). */
const echoed = (answer: RawAnswer) =>
  JSON.parse(answer.body) as { url: string; headers: Record<string, string | undefined> };

/** The shared backend still serves the other tenant: nothing counted against its health. */
async function otherTenantServed() {
  const res = await request('GET / HTTP/1.1', 'Host: edge', 'X-Prism-Namespace: tenant-b');
  expect(res.status, res.text).toBe(200);
}

describe('a request the proxy cannot forward is a coded 400 and never costs the backend its health', () => {
  it('OPTIONS * of one tenant no longer takes the shared backend away from another tenant', async () => {
    const before = backend.requests;
    const res = await request('OPTIONS * HTTP/1.1', 'Host: edge', 'X-Prism-Namespace: tenant-a');
    expect(res.status).toBe(400);
    expect(code(res)).toBe('PRISM-REQ-001');
    expect(backend.requests).toBe(before);
    await otherTenantServed();
  });

  it('targets undici would refuse: "*" with another method, other schemes, userinfo, a bad authority', async () => {
    for (const target of ['*', 'ftp://other.example/x', 'http://user:pw@other.example/x', 'http://a b/']) {
      const res = await request(`GET ${target} HTTP/1.1`, 'Host: edge', 'X-Prism-Namespace: tenant-a');
      // Node's own parser refuses some of these first (400 without a body); the rest get the code.
      expect(res.status, target).toBe(400);
      if (res.body) expect(code(res), target).toBe('PRISM-REQ-001');
    }
    await otherTenantServed();
  });

  it('an absolute-form target reaches the backend as origin-form, with the target host as Host', async () => {
    const res = await request('GET http://other.example/x?y=1 HTTP/1.1', 'Host: edge', 'X-Prism-Namespace: tenant-a');
    expect(res.status, res.text).toBe(200);
    expect(echoed(res).url).toBe('/x?y=1');
    expect(echoed(res).headers.host).toBe('other.example');
    const bare = await request('GET HTTP://Other.Example:8080?q HTTP/1.1', 'Host: edge', 'X-Prism-Namespace: tenant-a');
    expect(bare.status, bare.text).toBe(200);
    expect(echoed(bare).url).toBe('/?q');
    expect(echoed(bare).headers.host).toBe('Other.Example:8080');
  });

  it('two Host lines are refused before anything is forwarded', async () => {
    const before = backend.requests;
    const res = await request('GET / HTTP/1.1', 'Host: edge', 'host: other.example', 'X-Prism-Namespace: tenant-a');
    expect(res.status).toBe(400);
    expect(code(res)).toBe('PRISM-REQ-002');
    expect(backend.requests).toBe(before);
  });

  it('HTTP/2: a host field naming another host than :authority is refused', async () => {
    const before = backend.requests;
    const res = await h2Request(proxy.url, {
      ':path': '/',
      ':authority': 'edge',
      host: 'other.example',
      'x-prism-namespace': 'tenant-a',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe('PRISM-REQ-002');
    const same = await h2Request(proxy.url, {
      ':path': '/',
      ':authority': 'edge',
      host: 'EDGE',
      'x-prism-namespace': 'tenant-a',
    });
    expect(same.status).toBe(200);
    expect(backend.requests).toBe(before + 1);
  });

  it('CONNECT over HTTP/1.1 gets a coded 405 with Allow instead of a silently closed socket', async () => {
    const res = await request('CONNECT other.example:443 HTTP/1.1', 'Host: other.example:443');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(code(res)).toBe('PRISM-REQ-003');
    expect(res.closed).toBe(true);
    await otherTenantServed();
  });

  it('CONNECT over HTTP/2 gets the same coded 405', async () => {
    const res = await h2Request(proxy.url, { ':method': 'CONNECT', ':authority': 'other.example:443' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(JSON.parse(res.body).error.code).toBe('PRISM-REQ-003');
  });

  it('an Upgrade request is served as plain HTTP/1.1: the backend never sees Upgrade', async () => {
    const res = await request(
      'GET /ws HTTP/1.1',
      'Host: edge',
      'X-Prism-Namespace: tenant-a',
      'Upgrade: websocket',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
    );
    expect(res.status, res.text).toBe(200);
    expect(echoed(res).headers.upgrade).toBeUndefined();
  });
});

describe('fields only proxies set', () => {
  it('stay away from the backend, whoever sends them; the backend gets the namespace only', async () => {
    const fleet = await startFleet(['fa', 'fb'], ['field-0', 'field-1', 'field-2', 'field-3', 'field-4', 'field-5']);
    try {
      const router = await fleet.router();
      const forged = {
        'x-prism-hops': '0',
        'x-prism-table-version': '1',
        'x-prism-forwarded-by': 'evil',
        'x-prism-served-by': 'evil',
        'x-prism-owner': 'evil:1',
        'x-prism-partition': '7',
      };
      const { 'x-prism-hops': _hops, ...fromClient } = forged;
      for (const name of fleet.names) {
        const forwarded = router.route(name).owner !== 'fa';
        // From a client (X-Prism-Hops would be refused: only peers send it), and from peer fb.
        const client = await fetch(`${fleet.proxies[0].url}/`, {
          headers: { ...fromClient, 'x-prism-namespace': name },
        });
        const peer = await peerFetch(`${fleet.proxies[0].url}/`, 'fb', { ...forged, 'x-prism-namespace': name });
        for (const res of [client, peer]) {
          expect(res.status).toBe(200);
          expect(res.headers.get('x-prism-forwarded-by')).toBe(forwarded ? 'fa' : null);
          const seen = Object.keys((await res.json()).headers).filter((h) => h.startsWith('x-prism-'));
          expect(seen, name).toEqual(['x-prism-namespace']);
        }
      }
    } finally {
      await fleet.stop();
    }
  });
});

describe('a table version only peers should send', () => {
  const pulls = async () => {
    const text = await (await adminFetch(admin.http, '/metrics')).text();
    const m = /prism_admin_grpc_requests_total\{method="GetPartitionTable",status="OK"\} (\d+)/.exec(text);
    return Number(m?.[1] ?? 0);
  };

  it('makes the proxy pull the table from the admin at most once a second, however often a client sends it', async () => {
    const before = await pulls();
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const res = await request(
        'GET / HTTP/1.1',
        'Host: edge',
        'X-Prism-Namespace: tenant-a',
        'X-Prism-Table-Version: 999999999',
      );
      expect(res.status).toBe(200);
    }
    const seconds = Math.ceil((Date.now() - started) / 1000);
    // One pull per started second, plus the periodic pull that may fall into the window.
    expect(await pulls()).toBeLessThanOrEqual(before + seconds + 1);
  });
});

describe('framing and field tricks Node refuses, so nothing reaches a backend (held; keep it so)', () => {
  const cases: Record<string, string> = {
    'Content-Length and Transfer-Encoding':
      'POST / HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: held-a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: held-a\r\n\r\n',
    'two Content-Lengths':
      'POST / HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: held-a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    'Transfer-Encoding: chunked, identity':
      'POST / HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: held-a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    'obs-fold': 'GET / HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: held-a\r\n held-b\r\n\r\n',
    'bare LF line endings': 'GET / HTTP/1.1\nHost: edge\nX-Prism-Namespace: held-a\n\n',
    'NUL in X-Prism-Namespace': 'GET / HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: tenant\0a\r\n\r\n',
    'CR in X-Prism-Namespace': 'GET / HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: tenant\ra\r\n\r\n',
    'LF in X-Prism-Namespace': 'GET / HTTP/1.1\r\nHost: edge\r\nX-Prism-Namespace: tenant\na\r\n\r\n',
  };
  const heldServed = async () => {
    const res = await request('GET / HTTP/1.1', 'Host: edge', 'X-Prism-Namespace: held-b');
    expect(res.status, res.text).toBe(200);
  };
  for (const [what, bytes] of Object.entries(cases)) {
    it(what, async () => {
      const before = guarded.requests;
      const res = await sendRaw(port, bytes);
      expect(res.status).toBe(400);
      expect(res.closed).toBe(true);
      expect(guarded.requests).toBe(before);
      await heldServed();
    });
  }

  it('100 KB of headers get 431', async () => {
    const before = guarded.requests;
    const res = await request(
      'GET / HTTP/1.1',
      'Host: edge',
      'X-Prism-Namespace: held-a',
      `X-Filler: ${'y'.repeat(100_000)}`,
    );
    expect(res.status).toBe(431);
    expect(guarded.requests).toBe(before);
    await heldServed();
  });
});

describe('namespace tokens through the proxy', () => {
  let authAdmin: StartedAdmin;
  let authed: StartedProxy;
  let token: string;
  let kid: string;
  let own: { privateKey: CryptoKey; kid: string };

  beforeAll(async () => {
    authAdmin = await startAdmin();
    authed = await startProxy('guarded', [authAdmin.grpc], { auth: { required: true } });
    await until(() => authed.proxy.state.version > 0 && authed.proxy.state.jwks, 5000, 'table and keys');
    const reserved = await api(authAdmin.http, 'POST', '/v1/namespaces', { name: 'secure', backends: [backend.url] });
    token = reserved.json.token;
    await until(() => authed.proxy.state.advertisements.has('secure'), 5000);
    kid = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
    // A key of the test's own, published next to the admin's as if the admin had pushed it, to sign
    // tokens whose claims are wrong rather than their signature.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    own = { privateKey, kid: 'test-key' };
    const jwks = authed.proxy.state.jwks as { keys: object[] };
    authed.proxy.state.applyKeys({
      keys: [...jwks.keys, { ...(await exportJWK(publicKey)), kid: own.kid, alg: 'ES256', use: 'sig' }],
    });
  });
  afterAll(async () => {
    await authed.stop();
    removeDir(authed.stateDir);
    await authAdmin.stop();
  });

  const call = (authorization: string) =>
    fetch(`${authed.url}/`, { headers: { 'x-prism-namespace': 'secure', authorization } });
  const expectCode = async (res: Response, status: number, expected: string) => {
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(expected);
  };
  const signed = (claims: Record<string, unknown>) =>
    new SignJWT({ ns: 'secure', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: own.kid })
      .setJti(`jti-${Math.random()}`)
      .sign(own.privateKey);
  const hour = () => Math.floor(Date.now() / 1000) + 3600;

  it('the auth scheme is case-insensitive: bearer and BEARER work like Bearer', async () => {
    expect((await call(`Bearer ${token}`)).status).toBe(200);
    expect((await call(`bearer ${token}`)).status).toBe(200);
    expect((await call(`BEARER ${token}`)).status).toBe(200);
    await expectCode(await call(`Basic ${token}`), 401, 'PRISM-AUTH-001');
    await expectCode(await call('bearer'), 401, 'PRISM-AUTH-001');
  });

  it('refuses every forgery: alg none, HMAC keyed with the public key, an unknown kid', async () => {
    const [, payload] = token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    await expectCode(await call(`Bearer ${none}`), 401, 'PRISM-AUTH-002');

    const jwk = (authed.proxy.state.jwks as { keys: { kid: string }[] }).keys.find((k) => k.kid === kid);
    const hmac = await new SignJWT({ ns: 'secure' })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuer('prism-admin')
      .setAudience('prism')
      .setJti('forged')
      .setExpirationTime(hour())
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    await expectCode(await call(`Bearer ${hmac}`), 401, 'PRISM-AUTH-002');

    const stranger = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ ns: 'secure' })
      .setProtectedHeader({ alg: 'ES256', kid: 'nobody-knows-me' })
      .setIssuer('prism-admin')
      .setAudience('prism')
      .setJti('foreign')
      .setExpirationTime(hour())
      .sign(stranger.privateKey);
    await expectCode(await call(`Bearer ${foreign}`), 401, 'PRISM-AUTH-005');
  });

  it('refuses a trusted signature on wrong claims: audience, issuer, expiry, missing jti', async () => {
    const good = await signed({ iss: 'prism-admin', aud: 'prism', exp: hour() });
    expect((await call(`Bearer ${good}`)).status).toBe(200);
    await expectCode(
      await call(`Bearer ${await signed({ iss: 'prism-admin', aud: 'other', exp: hour() })}`),
      401,
      'PRISM-AUTH-002',
    );
    await expectCode(
      await call(`Bearer ${await signed({ iss: 'someone', aud: 'prism', exp: hour() })}`),
      401,
      'PRISM-AUTH-002',
    );
    await expectCode(
      await call(`Bearer ${await signed({ iss: 'prism-admin', aud: 'prism', exp: hour() - 7200 })}`),
      401,
      'PRISM-AUTH-003',
    );
    const noJti = await new SignJWT({ ns: 'secure', iss: 'prism-admin', aud: 'prism', exp: hour() })
      .setProtectedHeader({ alg: 'ES256', kid: own.kid })
      .sign(own.privateKey);
    await expectCode(await call(`Bearer ${noJti}`), 401, 'PRISM-AUTH-002');
  });
});
