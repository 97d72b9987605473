import { describe, expect, it } from 'vitest';
import { buildProxyMetrics, PEER_SERIES_GRACE_MS } from '../src/metrics.js';

const series = async (metrics: ReturnType<typeof buildProxyMetrics>, name: string) =>
  (await metrics.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#') && l !== '');

describe('per-peer series are bounded by the table', () => {
  it('the series of a peer that left the table stay for the grace period (to be scraped), then go', async () => {
    const metrics = buildProxyMetrics('proxy-1');
    metrics.forwarded('proxy-2', 200, 0.001);
    metrics.forwarded('proxy-3', 200, 0.001);
    metrics.failure('unreachable', { to: 'proxy-3', reason: 'unreachable' });
    const t0 = 1_000_000;
    metrics.keepPeers(new Set(['proxy-1', 'proxy-2']), t0);
    metrics.keepPeers(new Set(['proxy-1', 'proxy-2']), t0 + PEER_SERIES_GRACE_MS - 1);
    expect(await series(metrics, 'prism_forwarding_requests_total')).toEqual([
      'prism_forwarding_requests_total{from_proxy="proxy-1",to_proxy="proxy-2",status="200"} 1',
      'prism_forwarding_requests_total{from_proxy="proxy-1",to_proxy="proxy-3",status="200"} 1',
    ]);
    expect(await series(metrics, 'prism_forwarding_peer_failures_total')).toHaveLength(1);

    metrics.keepPeers(new Set(['proxy-1', 'proxy-2']), t0 + PEER_SERIES_GRACE_MS);
    expect(await series(metrics, 'prism_forwarding_requests_total')).toEqual([
      'prism_forwarding_requests_total{from_proxy="proxy-1",to_proxy="proxy-2",status="200"} 1',
    ]);
    expect((await series(metrics, 'prism_forwarding_latency_seconds')).join('\n')).not.toContain('proxy-3');
    expect(await series(metrics, 'prism_forwarding_peer_failures_total')).toEqual([]);
    // The global reason counter (CONTRACT §8) keeps counting.
    expect(await series(metrics, 'prism_forwarding_failures_total')).toEqual([
      'prism_forwarding_failures_total{reason="unreachable"} 1',
    ]);
  });

  it('a peer that comes back within the grace period keeps its series', async () => {
    const metrics = buildProxyMetrics('proxy-1');
    metrics.forwarded('proxy-2', 200, 0.001);
    metrics.keepPeers(new Set(['proxy-1']), 0);
    metrics.keepPeers(new Set(['proxy-1', 'proxy-2']), 1);
    metrics.keepPeers(new Set(['proxy-1']), PEER_SERIES_GRACE_MS);
    metrics.forwarded('proxy-2', 200, 0.001);
    expect(await series(metrics, 'prism_forwarding_requests_total')).toEqual([
      'prism_forwarding_requests_total{from_proxy="proxy-1",to_proxy="proxy-2",status="200"} 2',
    ]);
  });
});

describe('backend health series are capped', () => {
  it('prism_proxy_backend_up shows the first metrics.backendSeries backends by URL; prism_proxy_backends counts all', async () => {
    const metrics = buildProxyMetrics('proxy-1', { backendSeries: 2 });
    metrics.backendHealth(
      () =>
        new Map([
          ['http://10.0.0.3:80', true],
          ['http://10.0.0.1:80', false],
          ['http://10.0.0.2:80', true],
        ]),
    );
    expect(await series(metrics, 'prism_proxy_backend_up')).toEqual([
      'prism_proxy_backend_up{backend="http://10.0.0.1:80"} 0',
      'prism_proxy_backend_up{backend="http://10.0.0.2:80"} 1',
    ]);
    expect(await series(metrics, 'prism_proxy_backends')).toEqual([
      'prism_proxy_backends{state="up"} 2',
      'prism_proxy_backends{state="down"} 1',
    ]);
  });
});
