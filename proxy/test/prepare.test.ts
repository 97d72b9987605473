import { afterEach, describe, expect, it } from 'vitest';
import { partitionOf } from '../../core/src/partition.js';
import { startFleet } from '../../test-support/lb-fleet.js';
import { until } from '../../test-support/proxy-harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('Prepare: the first phase of a move round', () => {
  it('answers Prepared with one warmed connection per backend; the backend sees a connection and no request, and the next request uses it', async () => {
    const fleet = await startFleet(['w1'], ['warm-me', 'other']);
    cleanup.push(() => fleet.stop());
    const [w1] = fleet.proxies;
    const { backend } = fleet;
    let connections = 0;
    backend.server.on('connection', () => connections++);
    const requests = backend.requests;
    const control = w1.proxy.control();
    const version = w1.proxy.state.version;

    const sentAt = Date.now();
    fleet.admin.admin.fleet.broadcast({
      prepare: { round: 7, tableVersion: version + 1, partitions: [partitionOf('warm-me')] },
    });
    const prepared = await until(() => control?.lastPrepared?.round === 7 && control.lastPrepared, 5_000, 'Prepared');
    expect(Date.now() - sentAt).toBeLessThan(2_000);
    expect(prepared).toEqual({ round: 7, ok: true, error: '', warmedBackends: 1 });
    expect(connections).toBe(1);
    expect(backend.requests).toBe(requests);

    const res = await fetch(`${w1.url}/`, { headers: { 'x-prism-namespace': 'warm-me' } });
    expect(res.status).toBe(200);
    await res.text();
    expect(backend.requests).toBe(requests + 1);
    expect(connections).toBe(1);
    const metrics = await (await fetch(`${w1.ops}/metrics`)).text();
    expect(metrics).toContain('prism_proxy_prepares_total{result="ok"} 1');
    expect(metrics).toContain('prism_proxy_warmed_backend_connections_total 1');
  });
});
