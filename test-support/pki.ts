import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  /** The same, at once, when `name`'s certificate exists already (made up front or issued before). */
  credentialsNow(role: Role, name: string): grpc.ChannelCredentials | undefined;
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
  return openTestPki(dir, dir);
}

/** Where the PKI made once per test run (vitest globalSetup) is: every test process reads it from here. */
export const FLEET_PKI_ENV = 'PRISM_TEST_PKI';

/**
 * Proxy ids the test files use, made up front with the run's PKI (~70 ms each, in parallel); others
 * are issued on first use, by each test process that needs them.
 */
export const PRE_MADE_PROXIES = [
  ...['proxy-a', 'proxy-b', 'proxy-c', 'proxy-1', 'proxy-2', 'proxy-3', 'p1', 'p2', 'p3', 'p4', 's1', 's2'],
  ...['guard', 'guard-2', 'guarded', 'authed', 'edge', 'edge-1', 'only', 'limits', 'strict', 'small', 'solo'],
  ...['lonely', 'faults', 'acker', 'silent', 'keeps', 'quiet', 'first', 'late', 'one', 'two', 'ghost'],
  'after-garbage',
];

/** A PKI with the admin's certificate and one for each of `proxies`, issued side by side. */
export async function makeRunPki(proxies: string[]): Promise<TestPki> {
  const pki = await makeTestPki();
  await Promise.all(proxies.map((name) => issueCertificate({ ca: pki.dir, role: 'proxy', name, days: 2 })));
  return pki;
}

let fleet: Promise<TestPki> | undefined;
let fleetLoaded: TestPki | undefined;

/** The harnesses' PKI when fleetPki() has resolved already (startAdmin awaits it), else undefined. */
export const fleetPkiNow = (): TestPki | undefined => fleetLoaded;

/**
 * The PKI the harnesses use by default (startAdmin, startProxy, FakeProxy, spawnAdmin, spawnProxy):
 * the one globalSetup made for the whole run ($PRISM_TEST_PKI), or else one made for this process.
 * Certificates of ids it lacks are issued into a folder of this process, so that parallel test
 * processes never write the same file.
 */
export function fleetPki(): Promise<TestPki> {
  fleet ??= (async () => {
    const shared = process.env[FLEET_PKI_ENV];
    if (shared && existsSync(caFiles(shared).certFile))
      return openTestPki(shared, join(shared, `issued-${process.pid}`));
    const own = await makeRunPki(PRE_MADE_PROXIES);
    process.once('exit', () => own.remove());
    // Child processes (the bench's proxy swarm) use the same CA.
    process.env[FLEET_PKI_ENV] = own.dir;
    return own;
  })().then((pki) => {
    fleetLoaded = pki;
    return pki;
  });
  return fleet;
}

function openTestPki(dir: string, out: string): TestPki {
  const caFile = caFiles(dir).certFile;
  const issued = new Map<string, Promise<unknown>>();
  const existing = (role: Role, name: string) =>
    [leafFiles(dir, role, name), leafFiles(out, role, name)].find(
      (f) => existsSync(f.keyFile) && existsSync(f.certFile),
    );
  const files = async (role: Role, name: string) => {
    const made = leafFiles(dir, role, name);
    if (existsSync(made.keyFile)) return made;
    const target = leafFiles(out, role, name);
    const key = `${role}/${name}`;
    if (!issued.has(key)) {
      issued.set(
        key,
        issueCertificate({ ca: dir, out, role, name, days: 2 }).catch((err) => {
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
    credentialsNow(role, name) {
      const own = existing(role, name);
      return (
        own && grpc.credentials.createSsl(readFileSync(caFile), readFileSync(own.keyFile), readFileSync(own.certFile))
      );
    },
    async rotate(role, name) {
      if (out !== dir) throw new Error('rotate certificates of a PKI of your own (makeTestPki), not the shared one');
      await files(role, name);
      const next = await issueCertificate({ ca: dir, role, name, days: 2, force: true });
      return { serial: next.serial };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
