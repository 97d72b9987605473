import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Role } from '../core/src/tls/identity.js';
import { caFiles, initPki, issueCertificate, leafFiles } from '../generator/src/pki/pki.js';

/**
 * A fleet PKI in a temp directory, made with prismctl's own library, and the configuration values
 * that start an admin or a proxy with it:
 *
 *     const pki = await makeTestPki({ proxies: ['proxy-a'] });
 *     const admin = await startAdmin({ values: pki.admin() });
 *     const proxy = await startProxy('proxy-a', [admin.grpc], await pki.proxy('proxy-a'));
 *
 * Make one per test file (beforeAll); certificates of ids not made up front are issued on first use.
 */
export interface TestPki {
  dir: string;
  caFile: string;
  /** Admin configuration values: mTLS on the gRPC port. */
  admin(extra?: { reloadIntervalMs?: number }): Record<string, unknown>;
  /** Proxy configuration values: mTLS to the admin with this id's certificate. */
  proxy(id: string, extra?: { reloadIntervalMs?: number }): Promise<Record<string, unknown>>;
  /** Files of a certificate of this PKI (issued on first use). */
  files(role: Role, name: string): Promise<{ certFile: string; keyFile: string }>;
  /** gRPC credentials presenting `name`'s certificate, for hand-made clients (FakeProxy). */
  credentials(role: Role, name: string): Promise<grpc.ChannelCredentials>;
  /** Issues a new certificate and key for `name` over the current files (a rotation). */
  rotate(role: Role, name: string): Promise<{ serial: string }>;
  remove(): void;
}

export async function makeTestPki(options: { proxies?: string[]; operators?: string[] } = {}): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-pki-'));
  await initPki({
    out: dir,
    proxies: (options.proxies ?? []).map((id) => ({ id })),
    operators: options.operators,
    days: 2,
  });
  const caFile = caFiles(dir).certFile;
  const issued = new Map<string, Promise<unknown>>();
  const files = async (role: Role, name: string) => {
    const target = leafFiles(dir, role, name);
    const key = `${role}/${name}`;
    if (!issued.has(key)) {
      issued.set(
        key,
        issueCertificate({ ca: dir, role, name, days: 2 }).catch((err) => {
          if (err.code !== 'PRISM-TLS-002') throw err;
        }),
      );
    }
    await issued.get(key);
    return target;
  };
  return {
    dir,
    caFile,
    admin(extra = {}) {
      const admin = leafFiles(dir, 'admin', 'admin');
      return { tls: { caFile, certFile: admin.certFile, keyFile: admin.keyFile, ...extra } };
    },
    async proxy(id, extra = {}) {
      const own = await files('proxy', id);
      return { controlPlane: { tls: { caFile, certFile: own.certFile, keyFile: own.keyFile, ...extra } } };
    },
    files,
    async credentials(role, name) {
      const own = await files(role, name);
      return grpc.credentials.createSsl(readFileSync(caFile), readFileSync(own.keyFile), readFileSync(own.certFile));
    },
    async rotate(role, name) {
      await files(role, name);
      const next = await issueCertificate({ ca: dir, role, name, days: 2, force: true });
      return { serial: next.serial };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
