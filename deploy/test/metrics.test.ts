import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtool, requirePromtool } from '../../test-support/promtool.js';
import { type FleetScrapes, sampleNames, scrapeFleet } from './fleet-scrape.js';

const HAVE = requirePromtool();

let fleet: FleetScrapes;

beforeAll(async () => {
  fleet = await scrapeFleet();
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

const RUNTIME = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'process_start_time_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_version_info',
];

describe.skipIf(!HAVE)('promtool check metrics on real scrapes', () => {
  it('the admin: clean (it failed on prism_admin_proxy_count, a gauge with a histogram suffix)', async () => {
    const { status, output } = await promtool(['check', 'metrics'], fleet.admin);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('every proxy, after local, forwarded and failed requests: clean', async () => {
    expect(fleet.proxies.size).toBe(2);
    for (const [id, text] of fleet.proxies) {
      const { status, output } = await promtool(['check', 'metrics'], text);
      expect({ id, output }).toEqual({ id, output: '' });
      expect(status).toBe(0);
    }
  });
});

describe('what the scrapes hold', () => {
  it('the admin exports prism_admin_proxies{status}, saying it replaces prism_admin_proxy_count', () => {
    expect(fleet.admin).toMatch(/^prism_admin_proxies\{status="healthy"\} 3$/m);
    expect(fleet.admin).toMatch(/^# HELP prism_admin_proxies .*Replaces the memo name prism_admin_proxy_count\.$/m);
    expect(sampleNames(fleet.admin).has('prism_admin_proxy_count')).toBe(false);
  });

  it('both programs export the process and Node runtime metrics', () => {
    for (const text of [fleet.admin, ...fleet.proxies.values()]) {
      const names = sampleNames(text);
      for (const name of RUNTIME) expect(names.has(name), name).toBe(true);
    }
  });

  it('per-peer forwarding series are labelled by proxy id, failures too', () => {
    const text = fleet.proxies.get('proxy-1') as string;
    expect(text).toMatch(
      /^prism_forwarding_requests_total\{from_proxy="proxy-1",to_proxy="proxy-2",status="200"\} \d+$/m,
    );
    expect(text).toMatch(
      /^prism_forwarding_peer_failures_total\{from_proxy="proxy-1",to_proxy="proxy-3",reason="unreachable"\} [1-9]\d*$/m,
    );
  });

  it('backend health: one series per backend of a namespace the proxy serves, and counts by state', () => {
    const scrapes = [...fleet.proxies.values()].join('\n');
    // Both proxies serve namespaces of the two live backends; one serves the namespace of the closed one.
    expect(scrapes.match(/^prism_proxy_backend_up\{backend="[^"]+"\} 0$/gm)).toHaveLength(1);
    expect(scrapes.match(/^prism_proxy_backend_up\{backend="[^"]+"\} 1$/gm)).toHaveLength(4);
    expect(scrapes.match(/^prism_proxy_backends\{state="down"\} 1$/gm)).toHaveLength(1);
    expect(scrapes.match(/^prism_proxy_backends\{state="up"\} 2$/gm)).toHaveLength(2);
  });

  it('no label takes a namespace', () => {
    for (const text of [fleet.admin, ...fleet.proxies.values()]) {
      expect(text).not.toMatch(/namespace="/);
      expect(text).not.toContain('orders-prod');
    }
  });
});
