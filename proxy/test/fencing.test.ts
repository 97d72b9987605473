import { afterEach, describe, expect, it } from 'vitest';
import { startFleet } from '../../test-support/lb-fleet.js';
import { peerFetch, type StartedProxy } from '../../test-support/proxy-harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function pair() {
  const names = Array.from({ length: 12 }, (_, i) => `fence-${i}`);
  const fleet = await startFleet(['e1', 'e2'], names);
  cleanup.push(() => fleet.stop());
  const [e1, e2] = fleet.proxies;
  const router = await fleet.router();
  const ns = names.find((n) => router.route(n).owner === 'e1') as string;
  return { e1, e2, ns, route: router.route(ns), version: e1.proxy.state.version };
}

const address = (p: StartedProxy) => p.url.replace('http://', '');

describe('fencing by partition epoch (X-Prism-Epoch)', () => {
  it('a forward carries the epoch of its table, and the owner answers with its own', async () => {
    const { e2, ns, route } = await pair();
    const res = await fetch(`${e2.url}/`, { headers: { 'x-prism-namespace': ns } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-served-by')).toBe('e1');
    expect(res.headers.get('x-prism-forwarded-by')).toBe('e2');
    expect(res.headers.get('x-prism-epoch')).toBe(String(route.epoch));
    await res.text();
  });

  it('a forward with a newer epoch than this proxy knows, even after a pull, is refused with 421 PRISM-ROUTE-009 naming the owner it knows', async () => {
    const { e1, ns, route, version } = await pair();
    const headers = { 'x-prism-namespace': ns, 'x-prism-hops': '1', 'x-prism-table-version': String(version) };
    const current = await peerFetch(`${e1.url}/`, 'e2', { ...headers, 'x-prism-epoch': String(route.epoch) });
    expect(current.status).toBe(200);

    const newer = await peerFetch(`${e1.url}/`, 'e2', { ...headers, 'x-prism-epoch': String(route.epoch + 1) });
    expect(newer.status).toBe(421);
    expect(newer.headers.get('x-prism-owner')).toBe(address(e1));
    expect((await newer.json()).error.code).toBe('PRISM-ROUTE-009');

    // A newer table version makes it pull first; the admin has nothing newer, so it still refuses.
    const ahead = await peerFetch(`${e1.url}/`, 'e2', {
      ...headers,
      'x-prism-table-version': String(version + 5),
      'x-prism-epoch': String(route.epoch + 1),
    });
    expect(ahead.status).toBe(421);
    expect((await ahead.json()).error.code).toBe('PRISM-ROUTE-009');
    const metrics = await (await fetch(`${e1.ops}/metrics`)).text();
    // At least 2: undici's fetch sends a request that got 421 once more on a new connection.
    const fenced = /prism_forwarding_failures_total\{reason="fenced"\} (\d+)/.exec(metrics);
    expect(Number(fenced?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('X-Prism-Epoch from a client that is not a fleet proxy is ignored', async () => {
    const { e1, ns, route } = await pair();
    const res = await fetch(`${e1.url}/`, {
      headers: { 'x-prism-namespace': ns, 'x-prism-epoch': String(route.epoch + 9) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-served-by')).toBe('e1');
    await res.text();
  });
});
