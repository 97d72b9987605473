import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { makeTestPki, type TestPki } from '../../test-support/pki.js';
import { removeDir } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';
import { spawnAdmin } from '../../test-support/spawn-admin.js';

let pki: TestPki;
let stranger: TestPki;
beforeAll(async () => {
  [pki, stranger] = await Promise.all([
    makeTestPki({ proxies: ['proxy-a', 'proxy-b'], operators: ['alice'] }),
    makeTestPki({ proxies: ['proxy-a'] }),
  ]);
});
afterAll(() => {
  pki.remove();
  stranger.remove();
});

const started: StartedAdmin[] = [];
const proxies: FakeProxy[] = [];
const cleanupDirs: string[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) p.kill();
  for (const a of started.splice(0)) await a.stop();
  for (const d of cleanupDirs.splice(0)) removeDir(d);
});

const admin = async (options: Parameters<typeof startAdmin>[0] = {}) => {
  const a = await startAdmin({ ...options, values: { ...pki.admin(), ...options.values } });
  started.push(a);
  return a;
};
const proxy = (a: StartedAdmin, id: string, credentials: grpc.ChannelCredentials) => {
  const p = new FakeProxy(a.grpc, id, { credentials });
  proxies.push(p);
  return p;
};
const audit = async (a: StartedAdmin, target: string) =>
  ((await api(a.http, 'GET', `/v1/audit?target=${target}`)).json.entries ?? []) as {
    actor: string;
    action: string;
    result: string;
    detail: string;
  }[];

/** The serial of the certificate the admin's gRPC port presents to a new connection. */
const servedSerial = async (a: StartedAdmin, role: 'proxy', name: string) => {
  const files = await pki.files(role, name);
  const port = Number(a.grpc.split(':')[1]);
  return new Promise<string>((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(pki.caFile),
      cert: readFileSync(files.certFile),
      key: readFileSync(files.keyFile),
      ALPNProtocols: ['h2'],
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
};

describe('mTLS on the gRPC control plane', () => {
  it('lets a proxy with its own certificate register and get the table; the audit log names the certificate', async () => {
    const a = await admin();
    const p = proxy(a, 'proxy-a', await pki.credentials('proxy', 'proxy-a'));
    const table = await p.tableAt(1);
    expect(table.proxies.map((x) => x.id)).toEqual(['proxy-a']);
    const serial = new X509Certificate(readFileSync((await pki.files('proxy', 'proxy-a')).certFile)).serialNumber;
    const [entry] = await audit(a, 'proxy-a');
    expect(entry).toMatchObject({ actor: 'proxy:proxy-a', action: 'register', result: 'ok' });
    expect(entry.detail).toContain(`certificate ${serial}`);
  });

  it('refuses a connection without a client certificate in the TLS handshake', async () => {
    const a = await admin();
    const noCert = proxy(a, 'proxy-a', grpc.credentials.createSsl(readFileSync(pki.caFile)));
    const plain = proxy(a, 'proxy-b', grpc.credentials.createInsecure());
    for (const p of [noCert, plain]) {
      await p.until(() => p.error ?? p.ended);
      expect(p.error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(p.messages).toEqual([]);
    }
    expect(a.admin.fleet.list()).toEqual([]);
    expect(await audit(a, 'proxy-a')).toEqual([]);
  });

  it('refuses a certificate from another CA in the TLS handshake, even for the right id', async () => {
    const a = await admin();
    const files = await stranger.files('proxy', 'proxy-a');
    // Trusts the admin (so the failure is the admin's refusal), presents proxy-a from another CA.
    const credentials = grpc.credentials.createSsl(
      readFileSync(pki.caFile),
      readFileSync(files.keyFile),
      readFileSync(files.certFile),
    );
    const p = proxy(a, 'proxy-a', credentials);
    await p.until(() => p.error ?? p.ended);
    expect(p.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(p.messages).toEqual([]);
    expect(a.admin.fleet.list()).toEqual([]);
  });

  it("refuses proxy-b's certificate registering as proxy-a with PRISM-FLEET-003, and audits it", async () => {
    const a = await admin();
    const p = proxy(a, 'proxy-a', await pki.credentials('proxy', 'proxy-b'));
    await p.until(() => p.error ?? p.ended);
    expect(p.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(p.error?.details).toContain('PRISM-FLEET-003');
    expect(p.error?.details).toContain('"proxy-b"');
    expect(p.messages).toEqual([]);
    expect(a.admin.fleet.list()).toEqual([]);
    const [entry] = await audit(a, 'proxy-a');
    expect(entry).toMatchObject({
      actor: 'spiffe://prism/proxy/proxy-b',
      action: 'register',
      result: 'PRISM-FLEET-003',
    });
    const refused = await a.admin.metrics.registry.metrics();
    expect(refused).toContain('prism_admin_grpc_requests_total{method="Connect",status="PRISM-FLEET-003"} 1');
  });

  it('refuses an operator certificate on the control plane with PRISM-FLEET-004', async () => {
    const a = await admin();
    const p = proxy(a, 'alice', await pki.credentials('operator', 'alice'));
    await p.until(() => p.error ?? p.ended);
    expect(p.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(p.error?.details).toContain('PRISM-FLEET-004');
    expect((await audit(a, 'alice'))[0]).toMatchObject({
      actor: 'spiffe://prism/operator/alice',
      result: 'PRISM-FLEET-004',
    });
  });

  it('a rogue cannot lock a real proxy out after an admin restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-restart-'));
    cleanupDirs.push(dir);
    const first = await admin({ dir });
    const real = proxy(first, 'proxy-a', await pki.credentials('proxy', 'proxy-a'));
    const table = await real.tableAt(1);
    real.kill();
    await first.admin.close();
    started.splice(started.indexOf(first), 1);

    // The restarted admin knows proxy-a and waits for it; rogues try to take the id first.
    const second = await admin({ dir });
    const withOtherCert = proxy(second, 'proxy-a', await pki.credentials('proxy', 'proxy-b'));
    const withoutCert = proxy(second, 'proxy-a', grpc.credentials.createSsl(readFileSync(pki.caFile)));
    await withOtherCert.until(() => withOtherCert.error ?? withOtherCert.ended);
    await withoutCert.until(() => withoutCert.error ?? withoutCert.ended);
    expect(withOtherCert.error?.details).toContain('PRISM-FLEET-003');
    expect(withoutCert.error?.code).toBe(grpc.status.UNAVAILABLE);

    const back = proxy(second, 'proxy-a', await pki.credentials('proxy', 'proxy-a'));
    expect((await back.tableAt(table.version)).assignments).toEqual(table.assignments);
    expect(back.error).toBeUndefined();
  });

  it('serves rotated certificate files to new connections without a restart; open streams carry on', async () => {
    const a = await admin({ values: { tls: { ...(pki.admin().tls as object), reloadIntervalMs: 100 } } });
    const live = proxy(a, 'proxy-a', await pki.credentials('proxy', 'proxy-a'));
    const table = await live.tableAt(1);
    const before = await servedSerial(a, 'proxy', 'proxy-b');

    const { serial } = await pki.rotate('admin', 'admin');
    expect(serial).not.toBe(before);
    const deadline = Date.now() + 10_000;
    while ((await servedSerial(a, 'proxy', 'proxy-b')) !== serial && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await servedSerial(a, 'proxy', 'proxy-b')).toBe(serial);

    const joining = proxy(a, 'proxy-b', await pki.credentials('proxy', 'proxy-b'));
    await joining.until(() => joining.tables.find((t) => t.proxies.length === 2));
    live.heartbeat(table.version);
    await live.until(() => live.tables.find((t) => t.proxies.length === 2));
    expect(live.error).toBeUndefined();
    expect(live.ended).toBe(false);
  });
});

describe('prism-admin with mTLS, as a process', () => {
  it('stops with a coded error when a certificate file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-tls-'));
    cleanupDirs.push(dir);
    const config = join(dir, 'admin.json');
    writeFileSync(config, JSON.stringify({ tls: { ...(pki.admin().tls as object), keyFile: join(dir, 'none.key') } }));
    const r = await runBin('prism-admin', ['--config', config, '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-TLS-004: cannot read tls.keyFile');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('re-reads its certificate files on SIGHUP and keeps running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-admin-tls-'));
    cleanupDirs.push(dir);
    const config = join(dir, 'admin.json');
    writeFileSync(config, JSON.stringify(pki.admin()));
    const a = await spawnAdmin(dir, ['--config', config]);
    try {
      expect(a.ready.mtls).toBe('spiffe://prism/admin/admin');
      const target = { grpc: a.grpc } as StartedAdmin;
      const before = await servedSerial(target, 'proxy', 'proxy-a');
      const { serial } = await pki.rotate('admin', 'admin');
      expect(serial).not.toBe(before);
      process.kill(a.pid, 'SIGHUP');
      // tls.reloadIntervalMs is 60 s here: only the signal can make this happen in time.
      const deadline = Date.now() + 10_000;
      while ((await servedSerial(target, 'proxy', 'proxy-a')) !== serial && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await servedSerial(target, 'proxy', 'proxy-a')).toBe(serial);
      expect(a.child.exitCode).toBeNull();
      const p = proxy(target, 'proxy-a', await pki.credentials('proxy', 'proxy-a'));
      await p.tableAt(1);
    } finally {
      await a.stop();
    }
  });
});
