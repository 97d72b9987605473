import { createPrivateKey, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PrismError } from '../../../core/src/errors.js';
import { describe, PROXY_ID_PATTERN } from '../../../core/src/names.js';
import { type Role, spiffeId } from '../../../core/src/tls/identity.js';
import { type Extensions, opensslVersion, selfSignedCa, signedLeaf } from './openssl.js';

/**
 * The fleet PKI: one CA (ECDSA P-256) and leaf certificates whose URI SAN names the holder
 * (`spiffe://prism/<role>/<name>`). Layout of a PKI directory:
 *
 *     ca.crt  ca.key                      the CA (ca.key stays with the operator, never on a proxy)
 *     admins/<name>.crt  .key             serverAuth; DNS/IP SANs of the admin's addresses
 *     proxies/<id>.crt   .key             clientAuth and serverAuth; DNS/IP SANs of its advertise host
 *     operators/<name>.crt .key           clientAuth
 *
 * Keys are written 0600 (before openssl reads them); every file is replaced by a rename, so a
 * process that re-reads the files during a rotation sees the old or the new file, never half of one.
 */

export const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;
export const DEFAULT_DAYS = 365;
export const DEFAULT_CA_DAYS = 3_650;
const MAX_DAYS = 3_650 * 3;

const ROLE_DIRS: Record<Role, string> = { admin: 'admins', proxy: 'proxies', operator: 'operators' };

const USAGES: Record<Role, NonNullable<Extensions['extendedKeyUsage']>> = {
  admin: ['serverAuth'],
  // Proxies are clients of the admin and, once the data plane speaks TLS between peers, servers too.
  proxy: ['clientAuth', 'serverAuth'],
  operator: ['clientAuth'],
};

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export interface PkiFiles {
  certFile: string;
  keyFile: string;
}

export function caFiles(dir: string): PkiFiles {
  return { certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key') };
}

export function leafFiles(dir: string, role: Role, name: string): PkiFiles {
  const base = join(dir, ROLE_DIRS[role], name);
  return { certFile: `${base}.crt`, keyFile: `${base}.key` };
}

export interface IssuedCertificate extends PkiFiles {
  role: Role | 'ca';
  name: string;
  /** The URI SAN (empty for the CA). */
  identity: string;
  subjectAltNames: string[];
  serial: string;
  notAfter: Date;
}

export interface LeafSpec {
  role: Role;
  name: string;
  /** DNS names and IP addresses (admins and proxies); default localhost, 127.0.0.1, ::1. */
  hosts?: readonly string[];
}

export interface InitOptions {
  out: string;
  adminHosts?: readonly string[];
  proxies?: readonly { id: string; hosts?: readonly string[] }[];
  operators?: readonly string[];
  /** Validity of the leaf certificates, in days. */
  days?: number;
  caDays?: number;
  /** Replace an existing CA (every certificate it signed stops verifying). */
  force?: boolean;
  /** The openssl executable (default: openssl on PATH). */
  openssl?: string;
}

export interface IssueOptions extends LeafSpec {
  /** Directory holding ca.crt and ca.key. */
  ca: string;
  /** Where the role directories go (default: the CA directory). */
  out?: string;
  days?: number;
  /** Replace an existing certificate and key of that name: a rotation. */
  force?: boolean;
  openssl?: string;
}

/** Creates a PKI directory: the CA, one admin certificate, and the proxies and operators asked for. */
export async function initPki(options: InitOptions): Promise<IssuedCertificate[]> {
  const openssl = options.openssl ?? 'openssl';
  const days = checkDays(options.days ?? DEFAULT_DAYS, '--days');
  const caDays = checkDays(options.caDays ?? DEFAULT_CA_DAYS, '--ca-days');
  if (days > caDays) {
    throw new PrismError('PRISM-TLS-007', `--days ${days} is longer than the CA's --ca-days ${caDays}`, {
      action: 'Give the leaf certificates a validity no longer than the CA.',
    });
  }
  const leaves: LeafSpec[] = [
    { role: 'admin', name: 'admin', hosts: options.adminHosts },
    ...(options.proxies ?? []).map((p) => ({ role: 'proxy' as const, name: p.id, hosts: p.hosts })),
    ...(options.operators ?? []).map((name) => ({ role: 'operator' as const, name })),
  ];
  const seen = new Set<string>();
  for (const leaf of leaves) {
    checkLeaf(leaf);
    const key = `${leaf.role}/${leaf.name}`;
    if (seen.has(key)) throw new PrismError('PRISM-TLS-007', `${leaf.role} ${describe(leaf.name)} is listed twice`);
    seen.add(key);
  }
  const ca = caFiles(options.out);
  if (!options.force) {
    const taken = [ca.certFile, ca.keyFile].filter((f) => existsSync(f));
    if (taken.length) {
      throw new PrismError('PRISM-TLS-002', `${options.out} already holds a CA (${taken.join(', ')})`, {
        action:
          'Use another --out, add certificates with `prismctl certs issue --ca DIR`, or pass --force to make a new CA (every certificate the old one signed stops verifying).',
      });
    }
  }
  await opensslVersion(openssl);
  await mkdir(options.out, { recursive: true, mode: 0o700 });
  await writeKey(ca.keyFile);
  const subject = `/O=Prism Edge/CN=Prism Edge fleet CA ${randomBytes(4).toString('hex')}`;
  await writeAtomically(ca.certFile, await selfSignedCa(openssl, ca.keyFile, subject, caDays), 0o644);
  const caCert = new X509Certificate(await readFile(ca.certFile));
  const issued: IssuedCertificate[] = [
    {
      role: 'ca',
      name: caCert.subject.replace(/^[\s\S]*CN=/, ''),
      ...ca,
      identity: '',
      subjectAltNames: [],
      serial: caCert.serialNumber,
      notAfter: new Date(caCert.validTo),
    },
  ];
  for (const leaf of leaves) issued.push(await issue(openssl, options.out, options.out, leaf, days, true));
  return issued;
}

/** Adds (or, with force, replaces) one admin, proxy or operator certificate signed by an existing CA. */
export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  checkLeaf(options);
  const days = checkDays(options.days ?? DEFAULT_DAYS, '--days');
  const ca = caFiles(options.ca);
  for (const file of [ca.certFile, ca.keyFile]) {
    if (!existsSync(file)) {
      throw new PrismError('PRISM-TLS-004', `${file} does not exist`, {
        action: 'Pass --ca the directory `prismctl certs init --out DIR` wrote (it holds ca.crt and ca.key).',
      });
    }
  }
  const target = leafFiles(options.out ?? options.ca, options.role, options.name);
  if (!options.force && (existsSync(target.certFile) || existsSync(target.keyFile))) {
    throw new PrismError('PRISM-TLS-002', `${target.certFile} already exists`, {
      action: 'Pass --force to replace it (a rotation: the holder picks the new files up without a restart).',
    });
  }
  const openssl = options.openssl ?? 'openssl';
  await opensslVersion(openssl);
  return issue(openssl, options.ca, options.out ?? options.ca, options, days, options.force ?? false);
}

async function issue(
  openssl: string,
  caDir: string,
  out: string,
  leaf: LeafSpec,
  days: number,
  replace: boolean,
): Promise<IssuedCertificate> {
  const ca = caFiles(caDir);
  let caCert: X509Certificate;
  try {
    caCert = new X509Certificate(await readFile(ca.certFile));
  } catch (err) {
    throw new PrismError('PRISM-TLS-004', `cannot read the CA certificate ${ca.certFile}: ${(err as Error).message}`);
  }
  const caEnd = new Date(caCert.validTo);
  if (Date.now() + days * 86_400_000 > caEnd.getTime()) {
    throw new PrismError(
      'PRISM-TLS-007',
      `a certificate valid for ${days} days would outlive the CA, which expires ${caEnd.toISOString()}`,
      { action: 'Give a shorter --days, or make a new CA with `prismctl certs init` and move the fleet to it.' },
    );
  }
  const identity = spiffeId(leaf.role, leaf.name);
  const hosts = leaf.role === 'operator' ? [] : [...(leaf.hosts?.length ? leaf.hosts : DEFAULT_HOSTS)];
  const sans = [`URI:${identity}`, ...hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h.toLowerCase()}`))];
  const files = leafFiles(out, leaf.role, leaf.name);
  await mkdir(dirname(files.certFile), { recursive: true, mode: 0o700 });
  // A new key and certificate are made next to the old pair and renamed over it only when both
  // exist, key first: a reader sees the old pair, or a new key with the old certificate for an
  // instant (which the reloaders skip as a mismatch), never a missing file.
  const staged = { certFile: `${files.certFile}.new`, keyFile: `${files.keyFile}.new` };
  await rm(staged.keyFile, { force: true });
  await writeKey(staged.keyFile);
  try {
    const pem = await signedLeaf(openssl, ca, staged.keyFile, `/CN=${leaf.name}`, days, {
      extendedKeyUsage: USAGES[leaf.role],
      subjectAltNames: sans,
    });
    const cert = new X509Certificate(pem);
    if (
      !cert.checkPrivateKey(createPrivateKey(await readFile(staged.keyFile))) ||
      !cert.verify(caCert.publicKey) ||
      !cert.subjectAltName?.includes(`URI:${identity}`)
    ) {
      throw new PrismError('PRISM-TLS-003', `openssl wrote a certificate for ${identity} that does not verify`);
    }
    if (!replace && (existsSync(files.certFile) || existsSync(files.keyFile))) {
      throw new PrismError('PRISM-TLS-002', `${files.certFile} already exists`);
    }
    await writeAtomically(staged.certFile, pem, 0o644);
    await rename(staged.keyFile, files.keyFile);
    await rename(staged.certFile, files.certFile);
    return {
      role: leaf.role,
      name: leaf.name,
      ...files,
      identity,
      subjectAltNames: cert.subjectAltName?.split(', ') ?? [],
      serial: cert.serialNumber,
      notAfter: new Date(cert.validTo),
    };
  } finally {
    await rm(staged.keyFile, { force: true });
    await rm(staged.certFile, { force: true });
  }
}

function checkLeaf(leaf: LeafSpec): void {
  if (!PROXY_ID_PATTERN.test(leaf.name)) {
    throw new PrismError('PRISM-TLS-007', `${leaf.role} name ${describe(leaf.name)} is not a valid name`);
  }
  if (leaf.role === 'operator' && leaf.hosts?.length) {
    throw new PrismError('PRISM-TLS-007', `operator certificates name no hosts; got ${leaf.hosts.join(',')}`);
  }
  for (const host of leaf.hosts ?? []) {
    if (!isIP(host) && !DNS_NAME.test(host.toLowerCase())) {
      throw new PrismError(
        'PRISM-TLS-007',
        `host ${describe(host)} of ${leaf.role} ${leaf.name} is not a DNS name or IP address`,
      );
    }
  }
}

function checkDays(days: number, option: string): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new PrismError('PRISM-TLS-007', `${option} ${describe(days)} is not a number of days from 1 to ${MAX_DAYS}`);
  }
  return days;
}

/** A new private key (PKCS#8 PEM), created with mode 0600 so that it is never readable by others. */
async function writeKey(file: string): Promise<void> {
  const { privateKey } = await promisify(generateKeyPair)('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  await rm(file, { force: true });
  await writeFile(file, privateKey, { mode: 0o600, flag: 'wx' });
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text, { mode, flag: 'wx' });
  await chmod(tmp, mode);
  await rename(tmp, file);
}
