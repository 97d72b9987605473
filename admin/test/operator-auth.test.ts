import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, importJWK, SignJWT } from 'jose';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAdmin } from '../../admin/src/admin.js';
import { BOOTSTRAP_TOKEN_FILE } from '../../admin/src/operator-tokens.js';
import { loadConfig } from '../../core/src/config/load.js';
import { api, bootstrapToken, type StartedAdmin, startAdmin, withFleetTls } from '../../test-support/admin-harness.js';
import { FakeClock } from '../../test-support/fake-clock.js';
import { removeDir, startBackend, startProxy, until } from '../../test-support/proxy-harness.js';
import { rawRequest, rawTarget } from '../../test-support/raw-http.js';
import { runBin } from '../../test-support/run.js';
import { spawnAdmin } from '../../test-support/spawn-admin.js';

// Issue 11: before, anyone who reached the operator API could reserve, purge, apply tables and
// rotate keys, and the audit "actor" was whatever X-Prism-Actor said.

const started: StartedAdmin[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of started.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const admin = async (options: Parameters<typeof startAdmin>[0] = {}) => {
  const a = await startAdmin(options);
  started.push(a);
  return a;
};
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'prism-opauth-'));
  dirs.push(dir);
  return dir;
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const NONE = { authorization: '' };

/** A token made through the API with the bootstrap token. */
const tokenFor = async (a: StartedAdmin, role: string, name: string, ttlSeconds?: number) => {
  const r = await api(a.http, 'POST', '/v1/auth/tokens', { role, name, ttlSeconds });
  expect(r.status).toBe(201);
  return r.json as { token: string; jti: string; name: string; role: string; expiresAt: string };
};
const codeOf = (r: { status: number; json: { error?: { code: string } } }) => [r.status, r.json?.error?.code];

describe('every route of the table declares its role, and is guarded by it', () => {
  it('refuses every non-public route without a credential (401 + WWW-Authenticate) and with a weaker role (403)', async () => {
    const a = await admin();
    const viewer = (await tokenFor(a, 'viewer', 'vera')).token;
    const operator = (await tokenFor(a, 'operator', 'otto')).token;
    const weaker: Record<string, string[]> = { viewer: [], operator: [viewer], admin: [viewer, operator] };
    const table = a.admin.routeTable;
    expect(table.filter((r) => r.access === 'public').map((r) => r.path)).toEqual([
      '/',
      '/status/app.js',
      '/status/style.css',
      '/.well-known/jwks.json',
      '/metrics',
      '/healthz',
      '/readyz',
    ]);
    for (const route of table) {
      if (route.access === 'public') continue;
      const need = route.access;
      const path = route.path.replace('{name}', 'alpha').replace('{id}', 'alpha');
      const body = route.method === 'GET' ? undefined : {};
      const anonymous = await api(a.http, route.method, path, body, NONE);
      expect([route.method, route.path, ...codeOf(anonymous)]).toEqual([
        route.method,
        route.path,
        401,
        'PRISM-ACCESS-001',
      ]);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="prism-admin"');
      expect(anonymous.json.error.message).toContain(`role ${route.access}`);
      for (const token of weaker[need]) {
        const refused = await api(a.http, route.method, path, body, bearer(token));
        expect([route.method, route.path, ...codeOf(refused)]).toEqual([
          route.method,
          route.path,
          403,
          'PRISM-ACCESS-005',
        ]);
        expect(refused.json.error.message).toContain(`needs role ${route.access}`);
        expect(refused.json.error.action).toContain(`prismctl auth token create --role ${route.access}`);
      }
      // The role it declares gets past the check (to whatever the call itself answers).
      const own = { viewer, operator, admin: a.token }[need];
      const allowed = await api(a.http, route.method, path, body, bearer(own));
      expect([route.method, route.path, [401, 403].includes(allowed.status)]).toEqual([
        route.method,
        route.path,
        false,
      ]);
    }
  });

  it('a route registered without a declared access is refused at registration', async () => {
    const dir = tempDir();
    const config = loadConfig('admin', {
      values: await withFleetTls({ dataDir: dir, grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' }),
    });
    const built = await buildAdmin({ config, timers: false, logger: pino({ level: 'silent' }) });
    try {
      expect(() => built.http.get('/v1/forgotten', async () => ({}))).toThrow(/declares no access/);
    } finally {
      await built.close();
    }
  });

  it('refuses an unauthenticated POST before reading its body, and closes the connection', async () => {
    const a = await admin();
    const r = await rawRequest(
      rawTarget(a.http, a.caFile),
      'POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    expect([r.status, JSON.parse(r.body).error.code]).toEqual([401, 'PRISM-ACCESS-001']);
    expect(r.headers.connection).toBe('close');
  });
});

describe('operator tokens that must not verify', () => {
  const claims = (role = 'admin') => ({ role });
  const sign = (key: Parameters<SignJWT['sign']>[0], alg: string, aud = 'prism-operator') =>
    new SignJWT(claims())
      .setProtectedHeader({ alg, typ: 'JWT' })
      .setIssuer('prism-admin')
      .setAudience(aud)
      .setSubject('mallory')
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);

  it('alg none, HMAC keyed with the public key, another key, a tampered role, garbage: 401 PRISM-ACCESS-002', async () => {
    const a = await admin();
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: 'prism-admin',
      aud: 'prism-operator',
      sub: 'mallory',
      role: 'admin',
      jti: 'x',
      exp: now + 3600,
    };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;

    const stored = (await a.admin.store.getSetting('operator_signing_key')) as { publicJwk: string; alg: string };
    const publicPem = await exportSPKI(
      (await importJWK(JSON.parse(stored.publicJwk), stored.alg, { extractable: true })) as CryptoKey,
    );
    const hmac = await sign(new TextEncoder().encode(publicPem), 'HS256');
    const other = await sign((await generateKeyPair('ES256')).privateKey, 'ES256');

    const viewer = (await tokenFor(a, 'viewer', 'vera')).token;
    const [head, body, signature] = viewer.split('.');
    const promoted = `${head}.${b64({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), role: 'admin' })}.${signature}`;

    for (const [what, token] of [
      ['alg none', none],
      ['HMAC with the public key', hmac],
      ['another key', other],
      ['viewer promoted to admin', promoted],
      ['not a JWT', 'hello'],
    ]) {
      const r = await api(a.http, 'POST', '/v1/keys:rotate', undefined, bearer(token));
      expect([what, ...codeOf(r)]).toEqual([what, 401, 'PRISM-ACCESS-002']);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const basic = await api(a.http, 'GET', '/v1/proxies', undefined, { authorization: 'Basic YWRtaW46YWRtaW4=' });
    expect(codeOf(basic)).toEqual([401, 'PRISM-ACCESS-002']);
    expect((await api(a.http, 'GET', '/.well-known/jwks.json')).json.keys).toHaveLength(1);
  });

  it('a namespace token is not an operator token, and an operator token is refused by a proxy', async () => {
    const a = await admin();
    const reserved = await api(a.http, 'POST', '/v1/namespaces', { name: 'orders-prod' });
    const namespaceToken = reserved.json.token as string;
    const r = await api(a.http, 'GET', '/v1/namespaces/orders-prod', undefined, bearer(namespaceToken));
    expect(codeOf(r)).toEqual([401, 'PRISM-ACCESS-002']);
    expect(r.json.error.message).toContain('it is a namespace token (aud "prism", namespace "orders-prod")');

    // At a proxy that requires namespace tokens, an operator token (even the admin's own) opens nothing.
    const backend = await startBackend('b');
    const proxy = await startProxy('guard', [a.grpc], { auth: { required: true } });
    try {
      const guarded = await api(a.http, 'POST', '/v1/namespaces', { name: 'guarded', backends: [backend.url] });
      await until(
        () => proxy.proxy.state.advertisements.has('guarded') && proxy.proxy.state.jwks,
        5000,
        'advertisement',
      );
      const call = async (token: string) => {
        const res = await fetch(`${proxy.url}/`, { headers: { 'x-prism-namespace': 'guarded', ...bearer(token) } });
        return [res.status, ((await res.json()) as { error?: { code: string } }).error?.code];
      };
      expect(await call(guarded.json.token)).toEqual([200, undefined]);
      expect(await call(a.token)).toEqual([401, 'PRISM-AUTH-005']);
      const viewer = (await tokenFor(a, 'viewer', 'vera')).token;
      expect(await call(viewer)).toEqual([401, 'PRISM-AUTH-005']);
    } finally {
      await proxy.stop();
      removeDir(proxy.stateDir);
      await backend.stop();
    }
  });

  it('an expired token is 401 PRISM-ACCESS-003; a revoked one 401 PRISM-ACCESS-004, also after a restart', async () => {
    const clock = new FakeClock(Date.now());
    const dir = tempDir();
    const a = await admin({ clock, dir });
    const short = await tokenFor(a, 'viewer', 'brief', 60);
    expect((await api(a.http, 'GET', '/v1/proxies', undefined, bearer(short.token))).status).toBe(200);
    clock.advance(61_000);
    const expired = await api(a.http, 'GET', '/v1/proxies', undefined, bearer(short.token));
    expect(codeOf(expired)).toEqual([401, 'PRISM-ACCESS-003']);
    expect(expired.json.error.message).toBe('the operator token of "brief" has expired');

    const leaked = await tokenFor(a, 'operator', 'leaky');
    // Used (and so remembered as verified) before the revocation: it must stop working all the same.
    expect((await api(a.http, 'GET', '/v1/proxies', undefined, bearer(leaked.token))).status).toBe(200);
    const revoked = await api(a.http, 'POST', '/v1/auth/tokens:revoke', { jti: leaked.jti });
    expect([revoked.status, revoked.json.name, typeof revoked.json.revokedAt]).toEqual([200, 'leaky', 'string']);
    expect(codeOf(await api(a.http, 'GET', '/v1/proxies', undefined, bearer(leaked.token)))).toEqual([
      401,
      'PRISM-ACCESS-004',
    ]);
    const listed = (await api(a.http, 'GET', '/v1/auth/tokens')).json.tokens as { name: string; revokedAt?: string }[];
    expect(listed.find((t) => t.name === 'leaky')?.revokedAt).toBeDefined();
    expect(codeOf(await api(a.http, 'POST', '/v1/auth/tokens:revoke', { jti: 'nope' }))).toEqual([
      400,
      'PRISM-ACCESS-008',
    ]);

    await a.stop();
    started.splice(started.indexOf(a), 1);
    const again = await admin({ clock, dir });
    expect(codeOf(await api(again.http, 'GET', '/v1/proxies', undefined, bearer(leaked.token)))).toEqual([
      401,
      'PRISM-ACCESS-004',
    ]);
    expect((await api(again.http, 'GET', '/v1/auth/whoami')).json).toMatchObject({ principal: 'token:bootstrap' });
  });

  it('refuses token requests it cannot honour with 400 PRISM-ACCESS-008', async () => {
    const a = await admin({ values: { auth: { defaultTokenTtlSeconds: 600, maxTokenTtlSeconds: 3600 } } });
    for (const body of [
      { role: 'admin', name: 'Bad Name' },
      { role: 'admin', name: 'kim', ttlSeconds: 7200 },
      { role: 'admin', name: 'kim', ttlSeconds: 30 },
    ]) {
      expect(codeOf(await api(a.http, 'POST', '/v1/auth/tokens', body))).toEqual([400, 'PRISM-ACCESS-008']);
    }
    expect(codeOf(await api(a.http, 'POST', '/v1/auth/tokens', { role: 'root' }))).toEqual([400, 'PRISM-API-001']);
  });
});

describe('the audit log records who really called', () => {
  it('names the verified principal even when X-Prism-Actor claims someone else', async () => {
    const a = await admin();
    const alice = await tokenFor(a, 'operator', 'alice');
    const r = await api(
      a.http,
      'POST',
      '/v1/namespaces',
      { name: 'audited' },
      {
        ...bearer(alice.token),
        'x-prism-actor': 'ops:root',
      },
    );
    expect(r.status).toBe(201);
    await api(
      a.http,
      'POST',
      '/v1/namespaces/audited:revoke',
      { reason: 'test' },
      {
        ...bearer(alice.token),
        'x-prism-actor': 'ops:root',
      },
    );
    const entries = (await api(a.http, 'GET', '/v1/audit?target=audited')).json.entries as { actor: string }[];
    expect(entries.map((e) => e.actor)).toEqual(['token:alice', 'token:alice']);
    const created = (await api(a.http, 'GET', '/v1/audit?target=token:alice')).json.entries;
    expect(created[0]).toMatchObject({ actor: 'token:bootstrap', action: 'create-token', result: 'ok' });
    expect(created[0].detail).toContain(`jti=${alice.jti} role=operator`);
  });
});

describe('the bootstrap token', () => {
  it('is written once, 0600, named in the log without the token, and not rewritten on restart', async () => {
    const dir = tempDir();
    const lines: { msg: string; file?: string }[] = [];
    const raw: string[] = [];
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          raw.push(line);
          lines.push(JSON.parse(line));
        },
      },
    );
    const first = await admin({ dir, logger });
    const file = join(dir, BOOTSTRAP_TOKEN_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(lines.filter((l) => l.msg.startsWith('wrote the initial admin token'))).toMatchObject([{ file }]);
    expect(raw.join('')).not.toContain(token);
    expect((await api(first.http, 'GET', '/v1/auth/whoami')).json).toMatchObject({
      principal: 'token:bootstrap',
      role: 'admin',
      via: 'token',
    });
    const { mtimeMs } = statSync(file);
    await first.stop();
    started.splice(started.indexOf(first), 1);

    lines.length = 0;
    const second = await admin({ dir, logger });
    expect([readFileSync(file, 'utf8').trim(), statSync(file).mtimeMs]).toEqual([token, mtimeMs]);
    expect(lines.filter((l) => l.msg.startsWith('wrote the initial admin token'))).toEqual([]);
    await second.stop();
    started.splice(started.indexOf(second), 1);

    // Deleted after use (as Vault advises for its root token): a restart does not bring it back.
    rmSync(file);
    const third = await admin({ dir, logger });
    expect(existsSync(file)).toBe(false);
    await third.stop();
    started.splice(started.indexOf(third), 1);

    // Lost: --new-bootstrap-token writes a new one and the old one stops working.
    const fourth = await admin({ dir, logger, build: { newBootstrapToken: true } });
    const fresh = bootstrapToken(dir);
    expect(fresh).not.toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await api(fourth.http, 'GET', '/v1/auth/whoami', undefined, bearer(fresh))).status).toBe(200);
    expect(codeOf(await api(fourth.http, 'GET', '/v1/auth/whoami', undefined, bearer(token)))).toEqual([
      401,
      'PRISM-ACCESS-004',
    ]);
  });
});

describe('--insecure', () => {
  it('opens the API to anyone, warns at start and then every interval, and says so in /healthz', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const a = await admin({ values: { insecure: true }, logger, build: { insecureWarningMs: 50 } });
    const warnings = () => lines.filter((l) => l.level === 40 && l.msg.includes('--insecure'));
    expect(warnings().length).toBeGreaterThanOrEqual(1);
    expect(warnings()[0].msg).toContain('the plaintext gRPC port lets any process register as any proxy');
    const deadline = Date.now() + 10_000;
    while (warnings().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(warnings().length).toBeGreaterThanOrEqual(3);

    expect((await api(a.http, 'GET', '/healthz', undefined, NONE)).json).toEqual({ status: 'ok', insecure: true });
    const r = await api(a.http, 'POST', '/v1/keys:rotate', undefined, NONE);
    expect(r.status).toBe(200);
    const entries = (await api(a.http, 'GET', `/v1/audit?target=${r.json.kid}`, undefined, NONE)).json.entries;
    expect(entries[0]).toMatchObject({ actor: 'insecure:127.0.0.1', action: 'rotate-key' });
  });

  it('prism-admin --insecure says so in its listening line and in /healthz', async () => {
    const p = await spawnAdmin(tempDir(), ['--insecure']);
    try {
      expect(p.ready.insecure).toBe(true);
      expect(await (await fetch(`${p.http}/healthz`)).json()).toEqual({ status: 'ok', insecure: true });
      const open = await fetch(`${p.http}/v1/proxies`);
      expect(open.status).toBe(200);
    } finally {
      await p.stop();
    }
  });

  it('is refused with --profile production: PRISM-CONFIG-002, exit 1', async () => {
    const r = await runBin('prism-admin', ['--insecure', '--profile', 'production', '--data-dir', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-CONFIG-002: insecure = true (--insecure) contradicts profile production');
  });
});
