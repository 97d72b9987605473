import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { buildProxy } from '../../proxy/src/proxy.js';
import { api, startAdmin } from '../../test-support/admin-harness.js';
import { makeTestPki, type TestPki } from '../../test-support/pki.js';
import { removeDir, startBackend, startProxy, until } from '../../test-support/proxy-harness.js';

let pki: TestPki;
let stranger: TestPki;
beforeAll(async () => {
  [pki, stranger] = await Promise.all([makeTestPki({ proxies: ['proxy-a', 'proxy-b'] }), makeTestPki()]);
});
afterAll(() => {
  pki.remove();
  stranger.remove();
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const admin = async (options: Parameters<typeof startAdmin>[0] = {}) => {
  const a = await startAdmin({ ...options, values: { ...pki.admin(), ...options.values } });
  cleanup.push(() => a.stop());
  return a;
};
const proxy = async (
  id: string,
  admins: string[],
  values: Record<string, unknown> = {},
  tls: { reloadIntervalMs?: number } = {},
) => {
  const p = await startProxy(id, admins, { ...(await pki.proxy(id, tls)), ...values });
  cleanup.push(async () => {
    await p.stop();
    removeDir(p.stateDir);
  });
  return p;
};
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'prism-mtls-'));
  cleanup.push(() => removeDir(dir));
  return dir;
};
/** Serial of the certificate a TLS server at `port` presents to a new connection. */
const presented = (port: number) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(pki.caFile), ALPNProtocols: ['h2'] });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the proxy on an mTLS control plane', () => {
  it('registers with its certificate, gets the table and serves its namespaces', async () => {
    const a = await admin();
    const backend = await startBackend('b1');
    cleanup.push(() => backend.stop());
    const p = await proxy('proxy-a', [a.grpc]);
    await until(() => p.proxy.state.version > 0, 10_000, 'table over mTLS');
    expect(p.proxy.control()?.connected).toBe(true);
    await api(a.http, 'POST', '/v1/namespaces', { name: 'orders-prod', backends: [backend.url] });
    await until(() => p.proxy.state.advertisements.has('orders-prod'), 5_000, 'advertisement');
    const res = await fetch(`${p.url}/`, { headers: { 'x-prism-namespace': 'orders-prod' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-prism-served-by')).toBe('proxy-a');
    await res.text();
  });

  it('refuses an admin whose certificate is from another CA, and says why', async () => {
    // The admin trusts both CAs (so it would accept the proxy) but presents a certificate of the other.
    const dir = tempDir();
    const bundle = join(dir, 'both.crt');
    writeFileSync(bundle, Buffer.concat([readFileSync(pki.caFile), readFileSync(stranger.caFile)]));
    const a = await admin({ values: { tls: { ...(stranger.admin().tls as object), caFile: bundle } } });
    const p = await proxy('proxy-a', [a.grpc]);
    await until(() => p.proxy.control()?.lastError, 10_000, 'a failed attempt');
    await sleep(300);
    expect(p.proxy.state.version).toBe(0);
    expect(p.proxy.control()?.connected).toBe(false);
    expect(p.proxy.control()?.lastError).toMatch(/certificate/i);
    expect(a.admin.fleet.list()).toEqual([]);
  });

  it('refuses a server that presents a proxy certificate instead of an admin one', async () => {
    const b = await pki.files('proxy', 'proxy-b');
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createSsl(
          readFileSync(pki.caFile),
          [{ cert_chain: readFileSync(b.certFile), private_key: readFileSync(b.keyFile) }],
          true,
        ),
        (err, bound) => (err ? reject(err) : resolve(bound)),
      ),
    );
    cleanup.push(() => void server.forceShutdown());
    const p = await proxy('proxy-a', [`127.0.0.1:${port}`]);
    await until(() => p.proxy.control()?.lastError, 10_000, 'a failed attempt');
    expect(p.proxy.control()?.lastError).toContain('is not an admin certificate');
    expect(p.proxy.state.version).toBe(0);
  });

  it('picks up rotated certificate files without a restart: the next connection presents the new certificate', async () => {
    const dataDir = tempDir();
    const first = await startAdmin({ dir: dataDir, values: pki.admin() });
    const grpcPort = Number(first.grpc.split(':')[1]);
    let current = first;
    cleanup.push(() => current.stop());
    const p = await proxy('proxy-a', [first.grpc], {}, { reloadIntervalMs: 100 });
    await until(() => p.proxy.state.version > 0, 10_000, 'table');
    const before = p.proxy.certificates().control?.serial;

    const { serial } = await pki.rotate('proxy', 'proxy-a');
    expect(serial).not.toBe(before);
    await until(() => p.proxy.certificates().control?.serial === serial, 10_000, 'rotated files read');

    // The open stream keeps its handshake; an admin restart makes the proxy connect again.
    await first.admin.close();
    current = await startAdmin({ dir: dataDir, values: { ...pki.admin(), grpcListen: `127.0.0.1:${grpcPort}` } });
    await until(
      async () =>
        ((await api(current.http, 'GET', '/v1/audit?target=proxy-a')).json.entries ?? []).find(
          (e: { action: string; detail: string }) => e.action === 'register' && e.detail.includes(serial),
        ),
      15_000,
      'registration with the new certificate',
    );
    expect(p.proxy.control()?.connected).toBe(true);
  });

  it('keeps the current certificate while new files do not fit together, and takes them once they do', async () => {
    const dir = tempDir();
    const a = await admin();
    const own = await pki.files('proxy', 'proxy-b');
    const certFile = join(dir, 'proxy-b.crt');
    const keyFile = join(dir, 'proxy-b.key');
    copyFileSync(own.certFile, certFile);
    copyFileSync(own.keyFile, keyFile);
    const p = await startProxy('proxy-b', [a.grpc], {
      controlPlane: { tls: { caFile: pki.caFile, certFile, keyFile, reloadIntervalMs: 100 } },
    });
    cleanup.push(async () => {
      await p.stop();
      removeDir(p.stateDir);
    });
    const before = p.proxy.certificates().control?.serial;

    const { serial } = await pki.rotate('proxy', 'proxy-b');
    copyFileSync(own.keyFile, keyFile); // a new key next to the old certificate
    await sleep(500);
    expect(p.proxy.certificates().control?.serial).toBe(before);
    copyFileSync(own.certFile, certFile);
    await until(() => p.proxy.certificates().control?.serial === serial, 10_000, 'the complete pair');
  });

  it("reloads the data port's certificate for new TLS connections", async () => {
    const a = await admin();
    const own = await pki.files('proxy', 'proxy-b');
    const p = await proxy('proxy-b', [a.grpc], {
      tls: { certFile: own.certFile, keyFile: own.keyFile, reloadIntervalMs: 100 },
    });
    const port = Number(new URL(p.url).port);
    expect(await presented(port)).toBe(p.proxy.certificates().data?.serial);
    const { serial } = await pki.rotate('proxy', 'proxy-b');
    await until(async () => (await presented(port)) === serial, 10_000, 'the new certificate served');
  });
});

describe('start-up checks of the control-plane certificate', () => {
  const build = async (files: { certFile: string; keyFile: string; caFile?: string }, id = 'proxy-a') => {
    const dir = tempDir();
    const config = loadConfig('proxy', {
      values: {
        id,
        listen: '127.0.0.1:0',
        opsListen: '127.0.0.1:0',
        stateDir: dir,
        controlPlane: { tls: { caFile: pki.caFile, ...files } },
      },
    });
    return buildProxy({ config, logger: pino({ level: 'silent' }) }).then(
      () => undefined,
      (err) => err,
    );
  };

  it.each([
    ['another proxy id', 'PRISM-TLS-008', 'must carry the URI SAN spiffe://prism/proxy/proxy-a'],
    ['a key of another certificate', 'PRISM-TLS-005', 'is not the key of controlPlane.tls.certFile'],
    ['a certificate of another CA', 'PRISM-TLS-006', 'is not signed by a CA in controlPlane.tls.caFile'],
    ['a missing file', 'PRISM-TLS-004', 'cannot read controlPlane.tls.keyFile'],
    ['an admin certificate', 'PRISM-TLS-008', 'does not allow clientAuth'],
    // Peers connect to a proxy with TLS too: its certificate must serve as well as connect.
    ['an operator certificate (clientAuth only)', 'PRISM-TLS-008', 'does not allow serverAuth'],
  ])('stops with a coded error for %s', async (what, code, message) => {
    const a = await pki.files('proxy', 'proxy-a');
    const b = await pki.files('proxy', 'proxy-b');
    const other = await stranger.files('proxy', 'proxy-a');
    const admin = await pki.files('admin', 'admin');
    const operator = await pki.files('operator', 'ops');
    const files = {
      'another proxy id': b,
      'a key of another certificate': { certFile: a.certFile, keyFile: b.keyFile },
      'a certificate of another CA': other,
      'a missing file': { certFile: a.certFile, keyFile: join(tmpdir(), 'prism-no-such-key.pem') },
      'an admin certificate': admin,
      'an operator certificate (clientAuth only)': operator,
    }[what as 'another proxy id'];
    const err = await build(files);
    expect(err?.code).toBe(code);
    expect(err?.message).toContain(message);
  });

  it('uses the data port pair when only the CA is given for the control plane', async () => {
    const a = await pki.files('proxy', 'proxy-a');
    const dir = tempDir();
    const config = loadConfig('proxy', {
      values: {
        id: 'proxy-a',
        listen: '127.0.0.1:0',
        opsListen: '127.0.0.1:0',
        stateDir: dir,
        tls: { certFile: a.certFile, keyFile: a.keyFile },
        controlPlane: { tls: { caFile: pki.caFile } },
      },
    });
    const p = await buildProxy({ config, logger: pino({ level: 'silent' }) });
    expect(p.certificates().control?.identity).toBe('spiffe://prism/proxy/proxy-a');
    await p.close();
  });
});
