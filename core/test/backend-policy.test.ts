import { describe, expect, it } from 'vitest';
import { BackendPolicy, type BackendPolicyOptions } from '../src/backend-policy.js';
import { loadConfig } from '../src/config/load.js';

const defaults = loadConfig('admin').backendPolicy;
const policy = (options: Partial<BackendPolicyOptions> = {}) =>
  new BackendPolicy({ ...defaults, ...options }, () => [
    { host: '127.0.0.1', port: 8982, what: 'the admin HTTP port' },
    { host: '0.0.0.0', port: 8981, what: 'the admin gRPC port' },
    { host: '10.1.2.3', port: 9980, what: 'the ops port of proxy proxy-a' },
  ]);
const rule = (p: BackendPolicy, url: string) => p.checkUrl(new URL(url))?.rule;

describe('the backend policy (SSRF)', () => {
  it('refuses link-local and metadata addresses in every spelling the URL parser accepts', () => {
    const p = policy();
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]:80',
      'http://[::ffff:169.254.169.254]/',
      'http://0xa9fea9fe/',
      'http://2852039166/',
      'http://0.0.0.0:9000',
      'http://[::]:9000',
      'http://100.100.100.200/',
    ]) {
      expect(rule(p, url), url).toBe('deny');
    }
  });

  it("refuses the admin's own ports and a proxy's ports, on any name of this machine", () => {
    const p = policy();
    for (const url of [
      'http://127.0.0.1:8982',
      'http://0x7f000001:8982',
      'http://127.1:8982',
      'http://localhost:8982',
      'http://[::1]:8981',
      'http://[::ffff:127.0.0.1]:8981',
      'http://10.1.2.3:9980',
    ]) {
      expect(rule(p, url), url).toBe('reserved');
    }
    expect(rule(p, 'http://127.0.0.1:9000')).toBeUndefined();
    expect(rule(p, 'http://10.1.2.4:9980')).toBeUndefined();
  });

  it('allows loopback only when allowLoopback is on (development), including localhost names', () => {
    const off = policy({ allowLoopback: false });
    for (const url of ['http://127.0.0.1:9000', 'http://localhost:9000', 'http://api.localhost/', 'http://[::1]/']) {
      expect(rule(off, url), url).toBe('loopback');
      expect(rule(policy(), url), url).toBeUndefined();
    }
    expect(loadConfig('admin', { values: { profile: 'production' } }).backendPolicy.allowLoopback).toBe(false);
  });

  it('with an allowlist, admits only its CIDRs and names (suffixes with a leading dot)', () => {
    const p = policy({ allow: ['10.0.0.0/8', 'db.example.com', '.svc.cluster.local'] });
    expect(rule(p, 'http://10.9.9.9:5432')).toBeUndefined();
    expect(rule(p, 'http://db.example.com')).toBeUndefined();
    expect(rule(p, 'http://orders.prod.svc.cluster.local:8080')).toBeUndefined();
    expect(rule(p, 'http://11.0.0.1')).toBe('allow');
    expect(rule(p, 'http://evil.example.com')).toBe('allow');
    // A denied address stays denied even where the allowlist would admit it.
    expect(policy({ allow: ['169.254.0.0/16'] }).checkAddress('169.254.169.254', 80)?.rule).toBe('deny');
    // An allowed name admits what it resolves to (checked by the proxy at connect time).
    expect(p.checkAddress('192.0.2.10', 443, 'db.example.com')).toBeUndefined();
    expect(p.checkAddress('192.0.2.10', 443, 'other.example.org')?.rule).toBe('allow');
  });

  it('refuses a policy entry it cannot parse, naming the option', () => {
    expect(() => loadConfig('admin', { values: { backendPolicy: { deny: ['10.0.0.0/33'] } } })).toThrow(
      /backendPolicy.deny/,
    );
    expect(() => loadConfig('admin', { values: { backendPolicy: { allow: ['http://x'] } } })).toThrow(
      /backendPolicy.allow/,
    );
  });
});
