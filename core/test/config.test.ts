import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, PrismError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'prism-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(fn: () => unknown): PrismError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PrismError);
    return err as PrismError;
  }
  throw new Error('expected a PrismError');
}

describe('golden-path defaults (development profile, nothing given)', () => {
  it('admin: 24 h leases within 1 h..168 h, 1 h grace, 30 s heartbeats, loopback ports 8981/8982, SQLite', () => {
    const c = loadConfig('admin');
    expect(c.profile).toBe('development');
    expect(c.leases).toMatchObject({
      defaultTtlSeconds: 86_400,
      minTtlSeconds: 3_600,
      maxTtlSeconds: 604_800,
      graceSeconds: 3_600,
    });
    expect(c.leases.cleanupIntervalSeconds).toBe(60);
    expect(c.proxies.heartbeatSeconds).toBe(30);
    expect(c.grpcListen).toBe('127.0.0.1:8981');
    expect(c.httpListen).toBe('127.0.0.1:8982');
    expect(c.etcd).toMatchObject({ endpoints: [], prefix: '/prism/' });
    expect(c.strategy).toBe('consistent_hash');
  });

  it('proxy: transparent forwarding, 1 hop, 30 s timeout, 30 s pulls, auth off, ports 8980/9980', () => {
    const c = loadConfig('proxy');
    expect(c.forwarding).toEqual({ mode: 'transparent', maxHops: 1, timeoutMs: 30_000, h2: false, h2c: false });
    expect(c.controlPlane.tablePullSeconds).toBe(30);
    expect(c.controlPlane.heartbeatSeconds).toBe(30);
    expect(c.auth.required).toBe(false);
    expect(c.listen).toBe('127.0.0.1:8980');
    expect(c.opsListen).toBe('127.0.0.1:9980');
    expect(c.pools.connectionsPerPeer).toBeGreaterThan(0);
  });

  it('is frozen once loaded', () => {
    const c = loadConfig('proxy');
    expect(() => {
      (c.forwarding as { maxHops: number }).maxHops = 5;
    }).toThrow(TypeError);
  });
});

describe('profiles are data laid over the defaults', () => {
  it('production proxy requires auth and binds all interfaces', () => {
    const c = loadConfig('proxy', { values: { profile: 'production', id: 'edge-7', advertise: '10.0.0.7:8980' } });
    expect(c.auth.required).toBe(true);
    expect(c.listen).toBe('0.0.0.0:8980');
  });

  it('flags win over the config file, which wins over the profile', () => {
    const file = join(dir, 'proxy.json');
    writeFileSync(
      file,
      JSON.stringify({ profile: 'staging', advertise: 'p1:8980', forwarding: { maxHops: 2, timeoutMs: 5000 } }),
    );
    const c = loadConfig('proxy', { file, values: { forwarding: { maxHops: 3 } } });
    expect(c.profile).toBe('staging');
    expect(c.forwarding.maxHops).toBe(3);
    expect(c.forwarding.timeoutMs).toBe(5000);
    expect(c.auth.required).toBe(true);
  });
});

describe('bad configuration gets a coded error naming the option, the value and the fix', () => {
  it('a value out of range', () => {
    const err = failure(() => loadConfig('admin', { values: { leases: { minTtlSeconds: 10 } } }));
    expect(err.code).toBe('PRISM-CONFIG-001');
    expect(err.message).toContain('leases.minTtlSeconds = 10');
    expect(err.action).toContain('an integer from 60 to 31536000; default 3600');
  });

  it('an unknown option, with the known ones listed', () => {
    const err = failure(() => loadConfig('proxy', { values: { forwarding: { hops: 2 } } }));
    expect(err.code).toBe('PRISM-CONFIG-001');
    expect(err.message).toBe('unknown option forwarding.hops');
    expect(err.action).toContain('maxHops');
  });

  it('an unknown profile', () => {
    const err = failure(() => loadConfig('admin', { values: { profile: 'prod' } }));
    expect(err.code).toBe('PRISM-CONFIG-001');
    expect(err.action).toContain('development, staging, production');
  });

  it('an enum value that does not exist', () => {
    const err = failure(() => loadConfig('proxy', { values: { forwarding: { mode: 'proxy' } } }));
    expect(err.message).toContain('forwarding.mode = "proxy"');
    expect(err.action).toContain('transparent, redirect, client');
  });

  it('a role that does not exist in auth.operatorRoles', () => {
    const err = failure(() => loadConfig('admin', { values: { auth: { operatorRoles: { alice: 'root' } } } }));
    expect(err.code).toBe('PRISM-CONFIG-001');
    expect(err.message).toContain('auth.operatorRoles.alice = "root"');
    expect(err.action).toContain('one of viewer, operator, admin');
  });

  it('a port above 65535', () => {
    const err = failure(() => loadConfig('admin', { values: { grpcListen: '127.0.0.1:70000' } }));
    expect(err.code).toBe('PRISM-CONFIG-001');
    expect(err.message).toContain('grpcListen');
  });

  it.each([
    [
      { leases: { minTtlSeconds: 7200, maxTtlSeconds: 3600 } },
      'leases.minTtlSeconds = 7200 is above leases.maxTtlSeconds = 3600',
    ],
    [{ leases: { defaultTtlSeconds: 700_000 } }, 'leases.defaultTtlSeconds = 700000 is outside'],
    [
      { leases: { cleanupIntervalSeconds: 7200 } },
      'leases.cleanupIntervalSeconds = 7200 is longer than leases.graceSeconds = 3600',
    ],
    [{ proxies: { staleAfterMissed: 4, disconnectedAfterMissed: 3 } }, 'proxies.disconnectedAfterMissed = 3'],
    [{ tokens: { keyOverlapDays: 3 } }, 'tokens.keyOverlapDays = 3 is shorter than leases.maxTtlSeconds = 604800'],
    [{ grpcListen: '127.0.0.1:9000', httpListen: '127.0.0.1:9000' }, 'options grpcListen and httpListen both bind'],
    [
      { tls: { certFile: 'a.crt', keyFile: 'a.key' } },
      'tls.caFile, tls.certFile and tls.keyFile must be given together',
    ],
    [
      { limits: { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 } },
      'limits.headersTimeoutMs = 20000 is above limits.requestTimeoutMs = 10000',
    ],
    [
      { profile: 'production', insecure: true },
      'insecure = true (--insecure) contradicts profile production: the operator API would accept anyone',
    ],
    [
      { auth: { defaultTokenTtlSeconds: 7200, maxTokenTtlSeconds: 3600 } },
      'auth.defaultTokenTtlSeconds = 7200 is above auth.maxTokenTtlSeconds = 3600',
    ],
  ])('admin contradiction %j', (values, message) => {
    const err = failure(() => loadConfig('admin', { values }));
    expect(err.code).toBe('PRISM-CONFIG-002');
    expect(err.message).toContain(message);
  });

  it.each([
    [
      { profile: 'production', id: 'p1', advertise: 'p1:8980', auth: { required: false } },
      'auth.required = false contradicts profile production',
    ],
    [{ profile: 'production', advertise: 'p1:8980' }, 'profile production needs an explicit proxy id'],
    [{ listen: '0.0.0.0:8980' }, 'binds all interfaces but advertise is not set'],
    [{ tls: { certFile: 'cert.pem' } }, 'tls.certFile and tls.keyFile must be given together'],
    [{ listen: '127.0.0.1:9980' }, 'options listen and opsListen both bind'],
    [{ forwarding: { mode: 'client', h2c: true } }, 'forwarding.h2c = true has no effect'],
    [{ forwarding: { mode: 'redirect', h2: true } }, 'forwarding.h2 = true has no effect'],
    [{ tls: { cleartext: false } }, 'tls.cleartext = false leaves the data port nothing to serve'],
    [{ controlPlane: { tls: { caFile: 'ca.crt' } } }, 'neither controlPlane.tls.certFile nor tls.certFile'],
    [
      { controlPlane: { tls: { certFile: 'p.crt', keyFile: 'p.key' } } },
      'controlPlane.tls.certFile is set but controlPlane.tls.caFile is not',
    ],
    [{ controlPlane: { tls: { caFile: 'ca.crt', certFile: 'p.crt' } } }, 'must be given together'],
    [{ limits: { requestTimeoutMs: 5_000 } }, 'limits.requestTimeoutMs = 5000 is below limits.headersTimeoutMs'],
  ])('proxy contradiction %j', (values, message) => {
    const err = failure(() => loadConfig('proxy', { values }));
    expect(err.code).toBe('PRISM-CONFIG-002');
    expect(err.message).toContain(message);
  });

  it('ports 0 never conflict: both pick a free port', () => {
    expect(loadConfig('proxy', { values: { listen: '127.0.0.1:0', opsListen: '127.0.0.1:0' } }).listen).toBe(
      '127.0.0.1:0',
    );
  });

  it('a missing or broken config file', () => {
    expect(failure(() => loadConfig('admin', { file: join(dir, 'nope.json') })).code).toBe('PRISM-CONFIG-003');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "dataDir": ');
    expect(failure(() => loadConfig('admin', { file: broken })).message).toContain('is not JSON');
    const list = join(dir, 'list.json');
    writeFileSync(list, '[1, 2]');
    expect(failure(() => loadConfig('admin', { file: list })).message).toContain('must hold a JSON object');
  });
});

describe('docs/configuration.md', () => {
  it('matches the schemas and profiles (run `npm run docs` after changing them)', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderConfigDoc } = await import('../src/config/doc.js');
    expect(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')).toBe(renderConfigDoc());
  });
});
