import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrismError } from '../../core/src/errors.js';
import { buildTokenVerifier } from '../../core/src/tokens.js';
import { FakeClock } from '../../test-support/fake-clock.js';
import { openSqliteStore } from '../src/sqlite-store.js';
import type { AdminStore } from '../src/store.js';
import { TokenIssuer } from '../src/tokens.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let dir: string;
let store: AdminStore;
let clock: FakeClock;
const open = (s = store) => TokenIssuer.open({ store: s, clock, algorithm: 'ES256', rotationDays: 30, overlapDays: 7 });
const request = () => ({
  namespace: 'orders-prod',
  team: 'orders',
  permissions: ['read', 'write'],
  leaseId: 'lease-1',
  expiresAt: clock.now() + DAY,
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'verified';
  } catch (err) {
    expect(err).toBeInstanceOf(PrismError);
    return (err as PrismError).code;
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'prism-tokens-'));
  store = openSqliteStore({ dataDir: dir });
  clock = new FakeClock();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('namespace JWTs', () => {
  it('carry namespace, team, permissions, lease id, jti and exp, with a kid from the JWKS', async () => {
    const issuer = await open();
    const { token, jti } = await issuer.issue(request());
    const claims = await buildTokenVerifier({ jwks: issuer.jwks(), clock })(token);
    expect(claims).toEqual({
      namespace: 'orders-prod',
      team: 'orders',
      permissions: ['read', 'write'],
      leaseId: 'lease-1',
      jti,
      exp: Math.floor((clock.now() + DAY) / 1000),
    });
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    expect(header.alg).toBe('ES256');
    expect(issuer.jwks().keys.map((k) => k.kid)).toContain(header.kid);
  });

  it('rejects alg "none"', async () => {
    const issuer = await open();
    const { token } = await issuer.issue(request());
    const [, payload] = token.split('.');
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock })(none))).toBe('PRISM-AUTH-002');
  });

  it('rejects HMAC signed with the public key (algorithm confusion)', async () => {
    const issuer = await open();
    const jwk = issuer.jwks().keys[0];
    const secret = new TextEncoder().encode(JSON.stringify(jwk));
    const forged = await new SignJWT({ ns: 'orders-prod' })
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
      .setIssuer('prism-admin')
      .setAudience('prism')
      .setJti('x')
      .setExpirationTime(Math.floor(clock.now() / 1000) + 3600)
      .sign(secret);
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock })(forged))).toBe('PRISM-AUTH-002');
  });

  it('rejects a token signed by a key with an unknown kid', async () => {
    const issuer = await open();
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = (await exportJWK(publicKey)).x;
    const foreign = await new SignJWT({ ns: 'orders-prod' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('prism-admin')
      .setAudience('prism')
      .setJti('x')
      .setExpirationTime(Math.floor(clock.now() / 1000) + 3600)
      .sign(privateKey);
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock })(foreign))).toBe('PRISM-AUTH-005');
  });

  it('rejects an expired token and a revoked one', async () => {
    const issuer = await open();
    const { token, jti } = await issuer.issue(request());
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock, isRevoked: (j) => j === jti })(token))).toBe(
      'PRISM-AUTH-004',
    );
    clock.advance(DAY + 1000);
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock })(token))).toBe('PRISM-AUTH-003');
  });

  it('rotation: old tokens verify through the overlap, then the old key is gone', async () => {
    const issuer = await open();
    const { token: old } = await issuer.issue({ ...request(), expiresAt: clock.now() + 30 * DAY });
    const oldKid = issuer.jwks().keys[0].kid;
    clock.advance(31 * DAY);
    expect(await issuer.rotateIfDue()).toBe(true);
    const { token: fresh } = await issuer.issue({ ...request(), expiresAt: clock.now() + DAY });
    const clockBefore = new FakeClock(clock.now() - 31 * DAY + DAY);
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock: clockBefore })(old))).toBe('verified');
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock })(fresh))).toBe('verified');
    expect(issuer.jwks().keys.map((k) => k.kid)).toContain(oldKid);

    clock.advance(8 * DAY);
    issuer.refresh();
    expect(issuer.jwks().keys.map((k) => k.kid)).not.toContain(oldKid);
    expect(await code(buildTokenVerifier({ jwks: issuer.jwks(), clock: clockBefore })(old))).toBe('PRISM-AUTH-005');
  });

  it('a burst of rotations keeps the JWKS bounded: the newest keys verify, the oldest stop early', async () => {
    const issuer = await open();
    const tokens: string[] = [];
    for (let i = 0; i < 200; i++) {
      tokens.push((await issuer.issue(request())).token);
      clock.advance(1000);
      await issuer.rotate();
    }
    tokens.push((await issuer.issue(request())).token);
    expect(issuer.jwks().keys).toHaveLength(4);
    const verify = buildTokenVerifier({ jwks: issuer.jwks(), clock });
    // The signing key and the three keys retired last.
    for (const t of tokens.slice(-4)) expect(await code(verify(t))).toBe('verified');
    expect(await code(verify(tokens[0]))).toBe('PRISM-AUTH-005');
    expect(await code(verify(tokens.at(-5) as string))).toBe('PRISM-AUTH-005');
    // The same four after a restart.
    const again = await open();
    expect(again.jwks().keys.map((k) => k.kid)).toEqual(issuer.jwks().keys.map((k) => k.kid));
  });

  it('keeps its keys across a restart', async () => {
    const first = await open();
    const { token } = await first.issue(request());
    await store.close();
    store = openSqliteStore({ dataDir: dir });
    const second = await open(store);
    expect(second.jwks()).toEqual(first.jwks());
    expect(await code(buildTokenVerifier({ jwks: second.jwks(), clock })(token))).toBe('verified');
  });
});
