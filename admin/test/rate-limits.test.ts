import { afterEach, describe, expect, it } from 'vitest';
import { TokenBucketStore } from '../../admin/src/rate-limit.js';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';

// Issue 11: "2,000 reservations in 5.5 s from one client, no 429; unbounded key rotation". Each
// principal now has a token bucket (a tighter one for the expensive calls), and bodies have limits
// per route. The limits here are small so that the floods stay short.

const started: StartedAdmin[] = [];
afterEach(async () => {
  for (const a of started.splice(0)) await a.stop();
});
const admin = async (limits: Record<string, number>) => {
  const a = await startAdmin({ values: { limits } });
  started.push(a);
  return a;
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('per-principal rate limits', () => {
  it('2,000 reservations from one client: the burst passes, then 429 PRISM-API-008 with Retry-After', async () => {
    const a = await admin({ operatorRequestsPerSecond: 10, operatorBurst: 50 });
    const viewer = (await api(a.http, 'POST', '/v1/auth/tokens', { role: 'viewer', name: 'vera' })).json.token;
    const started = Date.now();
    let next = 0;
    let ok = 0;
    let refused: Awaited<ReturnType<typeof api>> | undefined;
    const worker = async () => {
      while (!refused && next < 2000 && Date.now() - started < 20_000) {
        const r = await api(a.http, 'POST', '/v1/namespaces', { name: `flood-${next++}` });
        if (r.status === 201) ok++;
        else if (r.status === 429) refused ??= r;
        else throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.json)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const elapsedS = (Date.now() - started) / 1000;
    expect(refused?.json.error.code).toBe('PRISM-API-008');
    expect(refused?.json.error.message).toContain('token:bootstrap sent more requests than its budget (bursts of 50)');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(ok).toBeGreaterThanOrEqual(50);
    expect(ok).toBeLessThanOrEqual(50 + Math.ceil(elapsedS * 10) + 16);
    // Another principal has its own bucket.
    expect((await api(a.http, 'GET', '/v1/namespaces?pageSize=1', undefined, bearer(viewer))).status).toBe(200);
  });

  it('callers without a credential are counted by address: 401s until the burst is spent, then 429', async () => {
    const a = await admin({ operatorRequestsPerSecond: 1, operatorBurst: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 20 && !statuses.includes(429); i++) {
      statuses.push((await api(a.http, 'GET', '/v1/proxies', undefined, { authorization: '' })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    // The address's bucket is not the bootstrap token's.
    expect((await api(a.http, 'GET', '/v1/proxies')).status).toBe(200);
    // Probes never count: a load balancer keeps seeing the admin up during a flood.
    expect((await api(a.http, 'GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
  });

  it('200 key rotations: the expensive bucket refuses after its burst, token creation shares it, reads do not', async () => {
    const a = await admin({ expensivePerMinute: 60, expensiveBurst: 3 });
    let rotated = 0;
    let refused: Awaited<ReturnType<typeof api>> | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await api(a.http, 'POST', '/v1/keys:rotate');
      if (r.status === 200) rotated++;
      else refused = r;
    }
    expect(refused?.status).toBe(429);
    expect(refused?.json.error).toMatchObject({ code: 'PRISM-API-008' });
    expect(refused?.json.error.message).toContain('key rotations, table applies and token creations');
    expect(rotated).toBeGreaterThanOrEqual(3);
    expect(rotated).toBeLessThan(10);
    expect(Number(refused?.headers.get('retry-after'))).toBe(1);
    expect((await api(a.http, 'POST', '/v1/auth/tokens', { role: 'viewer' })).status).toBe(429);
    expect((await api(a.http, 'GET', '/v1/proxies')).status).toBe(200);
    // The bucket refills at 1 per second: after Retry-After, one more rotation goes through.
    await sleep(1_100);
    expect((await api(a.http, 'POST', '/v1/keys:rotate')).status).toBe(200);
  });
});

describe('body limits per route', () => {
  it('a small-message route refuses more than limits.smallBodyBytes; reserve takes up to limits.maxBodyBytes', async () => {
    const a = await admin({ smallBodyBytes: 1024, maxBodyBytes: 65_536 });
    await api(a.http, 'POST', '/v1/namespaces', { name: 'sized' });
    const big = await api(a.http, 'POST', '/v1/namespaces/sized:revoke', { reason: 'x'.repeat(2000) });
    expect([big.status, big.json.error.code]).toEqual([413, 'PRISM-API-002']);
    expect(big.json.error.message).toBe(
      'the request body exceeds 1024 bytes, the most POST /v1/namespaces/{name}:revoke takes (limits.smallBodyBytes)',
    );
    const reserve = await api(a.http, 'POST', '/v1/namespaces', {
      name: 'roomy',
      config: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`note-${i}`, 'x'.repeat(500)])),
    });
    expect(reserve.status).toBe(201);
  });
});

describe('the token bucket', () => {
  const take = (store: TokenBucketStore, key: string, timeWindow = 1000, max = 4) =>
    new Promise<{ current: number; ttl: number }>((resolve) =>
      store.incr(key, (_err, result) => resolve(result), timeWindow, max),
    );

  it('gives a burst of max, then max per timeWindow, with no fixed window to straddle', async () => {
    let now = 0;
    const store = new TokenBucketStore(undefined, () => now);
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push((await take(store, 'alice')).current);
    // 4 allowed (current <= max), the 5th refused with the time until one token is back.
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect((await take(store, 'alice')).ttl).toBe(250);
    now += 250;
    expect((await take(store, 'alice')).current).toBeLessThanOrEqual(4);
    expect((await take(store, 'alice')).current).toBe(5);
    // A fixed window would hand out a fresh budget of 4 at the window boundary; the bucket does not.
    now += 500;
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push((await take(store, 'alice')).current <= 4);
    expect(burst).toEqual([true, true, false, false]);
    expect((await take(store, 'bob')).current).toBe(1);
  });

  it('keeps at most maxKeys buckets, dropping the least recently used', async () => {
    const store = new TokenBucketStore(undefined, () => 0, 2);
    await take(store, 'a');
    await take(store, 'b');
    await take(store, 'a');
    await take(store, 'c');
    // b went (least recently used): it starts full again; a kept its count.
    expect((await take(store, 'b')).current).toBe(1);
    expect((await take(store, 'c')).current).toBe(2);
  });
});
