import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PrismError } from '../errors.js';
import { describe } from '../names.js';
import { CLIENT_AUTH, identityOf, type Role, SERVER_AUTH, spiffeId } from './identity.js';

/**
 * A certificate, its key and (optionally) the CA bundle it is checked against, loaded from files,
 * checked before use, and re-read while the program runs so that rotated files take effect
 * without a restart.
 *
 * It is also a grpc-js CertificateProvider (`grpc.experimental`): the admin's gRPC server calls
 * `setSecureContext` with each update, and the proxy's channel uses the newest files for each new
 * connection. TLS authenticates at the handshake, so "reload" means: every connection opened after
 * the files changed uses (and is checked against) the new files; connections already open keep the
 * certificates they were opened with until they close.
 */

export interface CertificateSource {
  /** Each file with the option that named it, for messages. */
  cert: { option: string; path: string };
  key: { option: string; path: string };
  ca?: { option: string; path: string };
}

type KeyUsage = 'serverAuth' | 'clientAuth';

export interface CertificateRole {
  /** Extended key usage(s) the certificate must allow (a certificate without the extension allows all). */
  usage: KeyUsage | readonly KeyUsage[];
  /** The certificate must carry exactly one URI SAN spiffe://prism/<role>/<name>. */
  role: Role;
  /** ...with this name; any name when undefined. */
  name?: string;
}

export interface LoadedCertificates {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  serial: string;
  notAfter: Date;
  /** The fleet identity (spiffe://…) when a role was required, else the subject. */
  identity: string;
}

interface Buffers {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parseCertificates(pem: Buffer, option: string, path: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new PrismError('PRISM-TLS-004', `${option} = ${describe(path)} holds no PEM certificate`);
  }
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch (err) {
    throw new PrismError(
      'PRISM-TLS-004',
      `${option} = ${describe(path)} holds a certificate that cannot be parsed: ${(err as Error).message}`,
    );
  }
}

/**
 * Checks that the files make a usable identity: parseable, the key matches the certificate, the
 * certificate chains to the CA bundle and is valid at `now`, and it carries the role's key usage and
 * identity. Each failure is a coded error naming the option and the file.
 */
export function checkCertificates(
  files: Buffers,
  source: CertificateSource,
  role: CertificateRole | undefined,
  now = Date.now(),
): LoadedCertificates {
  const chain = parseCertificates(files.cert, source.cert.option, source.cert.path);
  const leaf = chain[0];
  let key: KeyObject;
  try {
    key = createPrivateKey(files.key);
  } catch (err) {
    throw new PrismError(
      'PRISM-TLS-004',
      `${source.key.option} = ${describe(source.key.path)} holds no usable private key: ${(err as Error).message}`,
    );
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new PrismError(
      'PRISM-TLS-005',
      `${source.key.option} = ${describe(source.key.path)} is not the key of ${source.cert.option} = ${describe(source.cert.path)}`,
    );
  }
  const where = `${source.cert.option} = ${describe(source.cert.path)}`;
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (now < from) throw new PrismError('PRISM-TLS-006', `${where} is not valid before ${new Date(from).toISOString()}`);
  if (now > to) throw new PrismError('PRISM-TLS-006', `${where} expired at ${new Date(to).toISOString()}`);
  if (files.ca && source.ca) {
    const roots = parseCertificates(files.ca, source.ca.option, source.ca.path);
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
        throw new PrismError('PRISM-TLS-006', `${where}: certificate ${i + 1} of the chain is not signed by the next`);
      }
    }
    const top = chain[chain.length - 1];
    if (!roots.some((ca) => top.checkIssued(ca) && top.verify(ca.publicKey))) {
      throw new PrismError(
        'PRISM-TLS-006',
        `${where} (issuer ${top.issuer.replaceAll('\n', ', ')}) is not signed by a CA in ${source.ca.option} = ${describe(source.ca.path)}`,
      );
    }
  }
  let identity = leaf.subject.replaceAll('\n', ', ');
  if (role) {
    const usages = leaf.keyUsage;
    for (const usage of typeof role.usage === 'string' ? [role.usage] : role.usage) {
      const oid = usage === 'serverAuth' ? SERVER_AUTH : CLIENT_AUTH;
      if (usages && !usages.includes(oid)) {
        throw new PrismError('PRISM-TLS-008', `${where} does not allow ${usage} (extended key usage)`);
      }
    }
    const name = identityOf(leaf.subjectAltName, role.role);
    const wanted = role.name === undefined ? `spiffe://prism/${role.role}/<name>` : spiffeId(role.role, role.name);
    if (name === undefined || (role.name !== undefined && name !== role.name)) {
      throw new PrismError(
        'PRISM-TLS-008',
        `${where} must carry the URI SAN ${wanted}; it has ${describe(leaf.subjectAltName ?? 'no subject alternative names')}`,
      );
    }
    identity = spiffeId(role.role, name);
  }
  return { ...files, serial: leaf.serialNumber, notAfter: new Date(to), identity };
}

function readSync(source: CertificateSource): Buffers {
  const read = (f: { option: string; path: string }) => {
    try {
      return readFileSync(f.path);
    } catch (err) {
      throw new PrismError(
        'PRISM-TLS-004',
        `cannot read ${f.option} = ${describe(f.path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  return { cert: read(source.cert), key: read(source.key), ca: source.ca ? read(source.ca) : undefined };
}

const fingerprint = (b: Buffers) => {
  const h = createHash('sha256');
  for (const part of [b.cert, b.key, b.ca]) h.update(part ?? '').update('\0');
  return h.digest('hex');
};

export interface ReloadLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

type Listener<T> = (update: T | null) => void;
type CaUpdate = { caCertificate: Buffer };
type IdentityUpdate = { certificate: Buffer; privateKey: Buffer };

export interface CertificateFilesOptions {
  source: CertificateSource;
  role?: CertificateRole;
  /** How often the files are re-read. */
  reloadIntervalMs: number;
  log?: ReloadLog;
  /** What these files are for, in log lines ("admin gRPC", "proxy control plane"). */
  purpose: string;
}

export class CertificateFiles {
  private loaded: LoadedCertificates;
  private print: string;
  /** Why the last re-read failed; the same failure twice in a row is logged, once. */
  private refused?: string;
  private warned?: string;
  private timer?: NodeJS.Timeout;
  private readonly caListeners = new Set<Listener<CaUpdate>>();
  private readonly identityListeners = new Set<Listener<IdentityUpdate>>();
  private readonly changeListeners = new Set<(c: LoadedCertificates) => void>();

  /** Reads and checks the files now; throws a coded error when they are not usable. */
  constructor(private readonly options: CertificateFilesOptions) {
    const files = readSync(options.source);
    this.loaded = checkCertificates(files, options.source, options.role);
    this.print = fingerprint(files);
  }

  get current(): LoadedCertificates {
    return this.loaded;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.reload(), this.options.reloadIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  onChange(listener: (c: LoadedCertificates) => void): void {
    this.changeListeners.add(listener);
  }

  /**
   * Re-reads the files. New, usable files replace the current ones; files that fail the check are
   * ignored and the current ones stay. A rotation that replaces the key and then the certificate
   * is briefly a mismatched pair, so a failure is logged (once) only when it repeats.
   */
  async reload(): Promise<'unchanged' | 'reloaded' | 'refused'> {
    const { source, role, log, purpose } = this.options;
    let files: Buffers;
    let print: string;
    try {
      const [cert, key, ca] = await Promise.all([
        readFile(source.cert.path),
        readFile(source.key.path),
        source.ca ? readFile(source.ca.path) : undefined,
      ]);
      files = { cert, key, ca };
      print = fingerprint(files);
      if (print === this.print) return 'unchanged';
      this.loaded = checkCertificates(files, source, role);
    } catch (err) {
      const seen = (err as Error).message;
      if (this.refused === seen && this.warned !== seen) {
        this.warned = seen;
        log?.warn(
          { purpose, err: (err as Error).message, keeping: this.loaded.serial },
          'new certificate files are not usable; keeping the current ones',
        );
      }
      this.refused = seen;
      return 'refused';
    }
    this.print = print;
    this.refused = undefined;
    this.warned = undefined;
    log?.info(
      { purpose, serial: this.loaded.serial, identity: this.loaded.identity, notAfter: this.loaded.notAfter },
      'certificates reloaded',
    );
    for (const l of this.identityListeners) l({ certificate: this.loaded.cert, privateKey: this.loaded.key });
    if (this.loaded.ca) for (const l of this.caListeners) l({ caCertificate: this.loaded.ca });
    for (const l of this.changeListeners) l(this.loaded);
    return 'reloaded';
  }

  // grpc-js CertificateProvider. Listeners hear the current files on the next tick, as grpc-js's own
  // FileWatcherCertificateProvider does: its credentials register first and then wait for that call.

  addCaCertificateListener(listener: Listener<CaUpdate>): void {
    this.caListeners.add(listener);
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener(this.loaded.ca ? { caCertificate: this.loaded.ca } : null);
    });
  }

  removeCaCertificateListener(listener: Listener<CaUpdate>): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.identityListeners.add(listener);
    process.nextTick(() => {
      if (this.identityListeners.has(listener))
        listener({ certificate: this.loaded.cert, privateKey: this.loaded.key });
    });
  }

  removeIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.identityListeners.delete(listener);
  }
}
