import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../core/src/partition.js';
import { adminFetch, api } from '../../test-support/admin-harness.js';
import { requireBinary } from '../../test-support/lb-binaries.js';
import { startFleet } from '../../test-support/lb-fleet.js';
import { until } from '../../test-support/proxy-harness.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? 'chromium';
const haveChromium = requireBinary(CHROMIUM, ['--version'], 'apt-get install chromium');

type Fleet = Awaited<ReturnType<typeof startFleet>>;
const NAMES = ['orders-prod', 'billing', 'search-eu', 'search-us', 'audit-log'];

describe('the status page at / (real admin and proxies)', () => {
  let fleet: Fleet;
  let viewer: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    fleet = await startFleet(['proxy-a', 'proxy-b', 'proxy-c'], NAMES);
    const created = await api(fleet.admin.http, 'POST', '/v1/auth/tokens', { role: 'viewer', name: 'status-page' });
    expect(created.status).toBe(201);
    viewer = (created.json as { token: string }).token;
    if (haveChromium) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
  });

  it('serves the page publicly, with a policy that allows only its own script and style', async () => {
    const page = await adminFetch(fleet.admin.http, '/', { headers: { authorization: '' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<script src="/status/app.js"');
    const script = await adminFetch(fleet.admin.http, '/status/app.js', { headers: { authorization: '' } });
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('gives the data behind it only to operators: a viewer token is enough', async () => {
    const anonymous = await api(fleet.admin.http, 'GET', '/v1/status', undefined, { authorization: '' });
    expect(anonymous.status).toBe(401);
    const status = await api(fleet.admin.http, 'GET', '/v1/status', undefined, { authorization: `Bearer ${viewer}` });
    expect(status.status).toBe(200);
    const body = status.json as {
      table: { version: number; owners: string[]; epochs: number[] };
      proxies: { id: string; partitions: number }[];
      namespaces: { total: number; perPartition: number[]; samples: string[][] };
    };
    const table = await fleet.table();
    expect(body.table.version).toBe(table.version);
    expect(body.table.owners).toEqual(table.assignments.map((a) => a.owner));
    expect(body.proxies.map((p) => p.id)).toEqual(['proxy-a', 'proxy-b', 'proxy-c']);
    expect(body.proxies.reduce((n, p) => n + p.partitions, 0)).toBe(256);
    expect(body.namespaces.total).toBe(NAMES.length);
    const p = partitionOf('orders-prod');
    expect(body.namespaces.samples[p]).toContain('orders-prod');
  });

  it('names the load-balancer watchers that report which version they applied', async () => {
    const table = await fleet.table();
    await api(fleet.admin.http, 'GET', '/v1/partition-table', undefined, {
      'x-prism-watcher': 'lb-1; target=haproxy',
      'x-prism-applied-version': String(table.version),
    });
    const status = await api(fleet.admin.http, 'GET', '/v1/status');
    expect((status.json as { watchers: unknown[] }).watchers).toEqual([
      expect.objectContaining({ name: 'lb-1', target: 'haproxy', appliedVersion: table.version, current: true }),
    ]);
  });

  describe.runIf(haveChromium)('in headless Chromium', () => {
    it('loads without console errors, draws 256 partitions, and shows a 4th proxy within 2 s of it joining', async () => {
      const context = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 1200 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`exception: ${err.message}`));
      await page.goto(`${fleet.admin.http}/#token=${encodeURIComponent(viewer)}`);
      // The token leaves the address bar at once.
      expect(new URL(page.url()).hash).toBe('');
      await page.waitForSelector('#proxies tbody tr[data-proxy="proxy-c"]');
      expect(await page.locator('#map .cell').count()).toBe(256);
      expect(await page.locator('#map .cell.none').count()).toBe(0);
      const table = await fleet.table();
      const owner0 = table.assignments[0].owner;
      await page.locator('#map .cell').first().hover();
      await expect.poll(() => page.locator('#cell-info').textContent()).toContain(`owner ${owner0}`);

      await fleet.join('proxy-d');
      await until(
        async () =>
          ((await api(fleet.admin.http, 'GET', '/v1/proxies')).json as { proxies: { id: string }[] }).proxies.some(
            (p) => p.id === 'proxy-d',
          ),
        15_000,
        'proxy-d registered',
      );
      const joined = Date.now();
      await page.waitForSelector('#proxies tbody tr[data-proxy="proxy-d"]', { timeout: 2_000 });
      expect(Date.now() - joined).toBeLessThanOrEqual(2_000);
      if (process.env.PRISM_STATUS_SCREENSHOT) {
        await until(
          async () => (await page.locator('#legend span').count()) === 4,
          15_000,
          'proxy-d owns partitions on the page',
        );
        await page.screenshot({ path: process.env.PRISM_STATUS_SCREENSHOT, fullPage: true });
      }
      expect(problems).toEqual([]);
      await context.close();
    }, 60_000);

    it('asks for a token when it has none, and names the code when the admin refuses one', async () => {
      const context = await browser!.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(`${fleet.admin.http}/`);
      await page.waitForSelector('#login:not([hidden])');
      await page.fill('#token', 'not-a-token');
      await page.click('#login button');
      await expect.poll(() => page.locator('#login-error').textContent()).toMatch(/PRISM-ACCESS-00\d/);
      expect(await page.locator('#main').isHidden()).toBe(true);
      await context.close();
    }, 30_000);
  });
});
