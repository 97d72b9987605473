import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';

/** `prismctl lb watch` follows the table by long-poll instead of asking every second. */
describe('GET /v1/partition-table?afterVersion=N&waitMs=M', () => {
  let a: StartedAdmin;
  const proxies: FakeProxy[] = [];
  let version: number;

  beforeAll(async () => {
    a = await startAdmin();
    proxies.push(new FakeProxy(a.grpc, 'proxy-a'));
    await proxies[0].until(() => proxies[0].tables.find((t) => t.proxies.length === 1));
    version = (await api(a.http, 'GET', '/v1/partition-table')).json.version;
  });
  afterAll(async () => {
    for (const p of proxies) p.kill();
    await a.stop();
  });

  it('answers at once when the table is newer than afterVersion', async () => {
    const t0 = Date.now();
    const r = await api(a.http, 'GET', `/v1/partition-table?afterVersion=${version - 1}&waitMs=10000`);
    expect(r.status).toBe(200);
    expect(r.json.version).toBe(version);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('holds the request for waitMs when nothing changes, then answers the current table', async () => {
    const t0 = Date.now();
    const r = await api(a.http, 'GET', `/v1/partition-table?afterVersion=${version}&waitMs=300`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(r.status).toBe(200);
    expect(r.json.version).toBe(version);
    expect(r.headers.get('x-prism-table-version')).toBe(String(version));
  });

  it('answers as soon as the table changes', async () => {
    const t0 = Date.now();
    const waiting = api(a.http, 'GET', `/v1/partition-table?afterVersion=${version}&waitMs=20000`);
    await new Promise((r) => setTimeout(r, 200));
    proxies.push(new FakeProxy(a.grpc, 'proxy-b'));
    const r = await waiting;
    expect(r.json.version).toBeGreaterThan(version);
    expect(r.json.proxies.map((p: { id: string }) => p.id).sort()).toEqual(['proxy-a', 'proxy-b']);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('refuses a wait above 60 s and a version that is not a number with a coded 400', async () => {
    for (const q of ['afterVersion=1&waitMs=60001', 'afterVersion=x', 'afterVersion=-1']) {
      const r = await api(a.http, 'GET', `/v1/partition-table?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code, q).toMatch(/^PRISM-/);
    }
  });
});
