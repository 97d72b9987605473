import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismError } from '../../../core/src/errors.js';

/**
 * The few openssl invocations the fleet PKI needs. Keys never pass through here: Node generates
 * them and writes them 0600 before openssl reads them. Extensions come from a config file written
 * here, so the host's openssl.cnf adds nothing (and -addext duplicates cannot happen).
 */

export interface Extensions {
  /** CA:TRUE certificate, or a leaf with these extended key usages. */
  ca?: boolean;
  extendedKeyUsage?: ('serverAuth' | 'clientAuth')[];
  subjectAltNames?: string[];
}

const run = (openssl: string, args: string[], input?: string) =>
  new Promise<string>((resolve, reject) => {
    const child = execFile(openssl, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new PrismError('PRISM-TLS-001', `cannot run ${JSON.stringify(openssl)}: not found on PATH`));
      }
      const why = (stderr || err.message).trim().split('\n').slice(0, 3).join(' / ');
      reject(new PrismError('PRISM-TLS-003', `openssl ${args[0]} failed: ${why}`));
    });
    // openssl may exit without reading stdin (EPIPE); its exit status tells what happened.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });

/** Fails with PRISM-TLS-001 when openssl cannot run; returns its version line. */
export async function opensslVersion(openssl: string): Promise<string> {
  return (await run(openssl, ['version'])).trim();
}

/** A positive 127-bit serial: unique without a serial file (RFC 5280 allows up to 20 octets). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return `0x${bytes.toString('hex')}`;
}

function configText(ext: Extensions): string {
  const lines = ['[ req ]', 'distinguished_name = dn', '[ dn ]', '[ ext ]'];
  if (ext.ca) {
    lines.push(
      'basicConstraints = critical, CA:TRUE, pathlen:0',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
    );
  } else {
    lines.push(
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      `extendedKeyUsage = ${(ext.extendedKeyUsage ?? []).join(', ')}`,
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid:always',
    );
    if (ext.subjectAltNames?.length) lines.push(`subjectAltName = ${ext.subjectAltNames.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

async function withConfig<T>(ext: Extensions, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'prism-openssl-'));
  try {
    const file = join(dir, 'openssl.cnf');
    await writeFile(file, configText(ext));
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A self-signed CA certificate (PEM) for the key in `keyFile`. */
export function selfSignedCa(openssl: string, keyFile: string, subject: string, days: number): Promise<string> {
  return withConfig({ ca: true }, (config) =>
    run(openssl, [
      'req',
      '-new',
      '-x509',
      '-config',
      config,
      '-extensions',
      'ext',
      '-key',
      keyFile,
      '-subj',
      subject,
      '-days',
      String(days),
      '-sha256',
      '-set_serial',
      randomSerial(),
    ]),
  );
}

/** A leaf certificate (PEM) for the key in `keyFile`, signed by the CA. */
export function signedLeaf(
  openssl: string,
  ca: { certFile: string; keyFile: string },
  keyFile: string,
  subject: string,
  days: number,
  ext: Extensions,
): Promise<string> {
  return withConfig(ext, async (config) => {
    const csr = await run(openssl, ['req', '-new', '-config', config, '-key', keyFile, '-subj', subject]);
    return run(
      openssl,
      [
        'x509',
        '-req',
        '-CA',
        ca.certFile,
        '-CAkey',
        ca.keyFile,
        '-set_serial',
        randomSerial(),
        '-days',
        String(days),
        '-sha256',
        '-extfile',
        config,
        '-extensions',
        'ext',
      ],
      csr,
    );
  });
}
