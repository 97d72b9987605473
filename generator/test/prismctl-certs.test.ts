import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initPki } from '../../generator/src/pki/pki.js';
import { runBin } from '../../test-support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'prismctl-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const prismctl = (...args: string[]) => runBin('prismctl', args, dir);

function expectCoded(r: { code: number; stdout: string; stderr: string }, code: string, mentions: string) {
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`error ${code}:`);
  expect(r.stderr).toContain(mentions);
  expect(r.stderr).toContain('fix: ');
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const cert = (file: string) => new X509Certificate(readFileSync(join(dir, file)));
const mode = (file: string) => statSync(join(dir, file)).mode & 0o777;
const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };

describe('prismctl certs init', () => {
  it('writes a CA and admin, proxy and operator certificates with their identities, SANs and 0600 keys', async () => {
    const r = await prismctl(
      'certs',
      'init',
      '--out',
      'pki',
      '--admin-hosts',
      'admin.internal,10.0.0.1',
      '--proxies',
      'proxy-a,proxy-b=10.0.0.12+proxy-b.internal',
      '--operators',
      'alice',
      '--days',
      '30',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pki/proxies/proxy-b.crt');
    expect(r.stdout).toContain('Keep pki/ca.key off the admins and proxies');

    expect(readdirSync(join(dir, 'pki')).sort()).toEqual(['admins', 'ca.crt', 'ca.key', 'operators', 'proxies']);
    for (const key of [
      'pki/ca.key',
      'pki/admins/admin.key',
      'pki/proxies/proxy-a.key',
      'pki/proxies/proxy-b.key',
      'pki/operators/alice.key',
    ]) {
      expect(mode(key), key).toBe(0o600);
    }
    expect(mode('pki/ca.crt')).toBe(0o644);

    const ca = cert('pki/ca.crt');
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    const leaves = {
      'pki/admins/admin': ['URI:spiffe://prism/admin/admin, DNS:admin.internal, IP Address:10.0.0.1', ['serverAuth']],
      'pki/proxies/proxy-a': [
        'URI:spiffe://prism/proxy/proxy-a, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
        ['clientAuth', 'serverAuth'],
      ],
      'pki/proxies/proxy-b': [
        'URI:spiffe://prism/proxy/proxy-b, IP Address:10.0.0.12, DNS:proxy-b.internal',
        ['clientAuth', 'serverAuth'],
      ],
      'pki/operators/alice': ['URI:spiffe://prism/operator/alice', ['clientAuth']],
    } as const;
    for (const [base, [sans, usages]] of Object.entries(leaves)) {
      const leaf = cert(`${base}.crt`);
      expect(leaf.subjectAltName, base).toBe(sans);
      expect(leaf.subject).toBe(`CN=${base.split('/').at(-1)}`);
      expect(leaf.keyUsage?.sort()).toEqual(usages.map((u) => EKU[u]).sort());
      expect(leaf.ca).toBe(false);
      expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
      expect(leaf.checkPrivateKey(createPrivateKey(readFileSync(join(dir, `${base}.key`))))).toBe(true);
      const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
      expect(days).toBe(30);
    }
    const verified = execFileSync(
      'openssl',
      ['verify', '-CAfile', 'pki/ca.crt', ...Object.keys(leaves).map((b) => `${b}.crt`)],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(verified.trim().split('\n')).toHaveLength(4);
    expect(verified).not.toContain('error');
  });

  it('refuses to replace an existing CA unless forced', async () => {
    const before = readFileSync(join(dir, 'pki/ca.crt'), 'utf8');
    expectCoded(await prismctl('certs', 'init', '--out', 'pki'), 'PRISM-TLS-002', 'already holds a CA');
    expect(readFileSync(join(dir, 'pki/ca.crt'), 'utf8')).toBe(before);
  });

  it('refuses bad input with a coded error and writes nothing', async () => {
    expectCoded(await prismctl('certs', 'init', '--out', 'bad', '--proxies', 'Proxy_A'), 'PRISM-TLS-007', '"Proxy_A"');
    expectCoded(
      await prismctl('certs', 'init', '--out', 'bad', '--admin-hosts', 'a b'),
      'PRISM-TLS-007',
      'not a DNS name or IP address',
    );
    expectCoded(await prismctl('certs', 'init', '--out', 'bad', '--days', '0'), 'PRISM-TLS-007', '--days 0');
    expect(readdirSync(dir)).not.toContain('bad');
  });

  it('says when openssl is missing', async () => {
    const err = await initPki({ out: join(dir, 'nossl'), openssl: join(dir, 'no-such-openssl') }).catch((e) => e);
    expect(err.code).toBe('PRISM-TLS-001');
  });
});

describe('prismctl certs issue', () => {
  it('adds a proxy certificate from the existing CA, and rotates it only with --force', async () => {
    const r = await prismctl('certs', 'issue', '--ca', 'pki', '--proxy', 'proxy-c', '--hosts', '10.0.0.13');
    expect(r.code).toBe(0);
    const first = cert('pki/proxies/proxy-c.crt');
    expect(first.subjectAltName).toBe('URI:spiffe://prism/proxy/proxy-c, IP Address:10.0.0.13');
    expect(first.verify(cert('pki/ca.crt').publicKey)).toBe(true);
    expect(mode('pki/proxies/proxy-c.key')).toBe(0o600);

    expectCoded(
      await prismctl('certs', 'issue', '--ca', 'pki', '--proxy', 'proxy-c'),
      'PRISM-TLS-002',
      'proxy-c.crt already exists',
    );
    const again = await prismctl('certs', 'issue', '--ca', 'pki', '--proxy', 'proxy-c', '--force', '--json');
    expect(again.code).toBe(0);
    const rotated = cert('pki/proxies/proxy-c.crt');
    expect(JSON.parse(again.stdout).serial).toBe(rotated.serialNumber);
    expect(rotated.serialNumber).not.toBe(first.serialNumber);
    expect(rotated.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'pki/proxies/proxy-c.key'))))).toBe(true);
    expect(readdirSync(join(dir, 'pki/proxies')).filter((f) => !/\.(crt|key)$/.test(f))).toEqual([]);
  });

  it('needs exactly one role and an existing CA', async () => {
    expectCoded(await prismctl('certs', 'issue', '--ca', 'pki'), 'PRISM-TLS-007', 'exactly one of');
    expectCoded(
      await prismctl('certs', 'issue', '--ca', 'nowhere', '--operator', 'bob'),
      'PRISM-TLS-004',
      'ca.crt does not exist',
    );
  });
});
