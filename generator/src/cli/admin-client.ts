import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Agent, fetch } from 'undici';
import type { PrismctlConfig } from '../../../core/src/config/prismctl-schema.js';
import { ERROR_CATALOG, type ErrorCode, PrismError } from '../../../core/src/errors.js';
import { describe } from '../../../core/src/names.js';

/** Where prismctl looks for a token last: the file `npm start` writes, relative to the current directory. */
export const LOCAL_TOKEN_FILE = 'prism-local/operator.token';
/** Where prismctl looks for the fleet CA last, for an https:// admin: the copy `npm start` writes. */
export const LOCAL_CA_FILE = 'prism-local/ca.crt';

/** The flags every command that talks to the admin takes. */
export interface AdminFlags {
  admin?: string;
  tokenFile?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

export const withAdminFlags = (cmd: Command) =>
  cmd
    .option(
      '--admin <url>',
      'admin operator API (default $PRISM_ADMIN or https://127.0.0.1:8982; http:// for an admin started with --insecure)',
    )
    .option(
      '--token-file <file>',
      `operator token (default $PRISM_TOKEN, else ${LOCAL_TOKEN_FILE} when it exists, as npm start writes it)`,
    )
    .option(
      '--ca <file>',
      `CA the admin's HTTPS certificate must chain to (default $PRISM_CA, else ${LOCAL_CA_FILE} when it exists, as npm start writes it)`,
    )
    .option('--cert <file>', 'operator client certificate, instead of or besides a token (default $PRISM_CERT)')
    .option('--key <file>', 'private key of --cert (default $PRISM_KEY)');

/** The configuration values the flags and the environment give (flags win). */
export function adminValues(f: AdminFlags, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  return {
    admin: f.admin ?? env.PRISM_ADMIN,
    tokenFile: f.tokenFile,
    tls: { caFile: f.ca ?? env.PRISM_CA, certFile: f.cert ?? env.PRISM_CERT, keyFile: f.key ?? env.PRISM_KEY },
  };
}

const read = (option: string, path: string, code: 'PRISM-ACCESS-009' | 'PRISM-TLS-004') => {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PrismError(
      code,
      `cannot read ${option} ${describe(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
};

/**
 * The operator token, from the first of: --token-file, $PRISM_TOKEN, prism-local/operator.token in the
 * current directory. Undefined when there is none: the admin may run with --insecure, or prismctl may
 * present a client certificate instead.
 */
export function findToken(config: Readonly<PrismctlConfig>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (config.tokenFile) return read('--token-file', config.tokenFile, 'PRISM-ACCESS-009').toString('utf8').trim();
  if (env.PRISM_TOKEN?.trim()) return env.PRISM_TOKEN.trim();
  if (existsSync(LOCAL_TOKEN_FILE))
    return read(LOCAL_TOKEN_FILE, LOCAL_TOKEN_FILE, 'PRISM-ACCESS-009').toString('utf8').trim();
  return undefined;
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/i;

export interface AdminClientOptions {
  base: string;
  timeoutMs: number;
  token?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

/** A thin HTTP client of the admin's operator API that turns coded error bodies back into PrismErrors. */
export class AdminClient {
  private readonly base: string;
  private readonly dispatcher?: Agent;

  constructor(private readonly options: AdminClientOptions) {
    this.base = options.base;
    const { tls } = options;
    if (tls && (tls.ca || tls.cert))
      this.dispatcher = new Agent({ connect: { ca: tls.ca, cert: tls.cert, key: tls.key } });
  }

  /** A client as the configuration says: token from findToken(), TLS files read now. */
  static fromConfig(config: Readonly<PrismctlConfig>, warn: (message: string) => void = () => undefined): AdminClient {
    const token = findToken(config);
    const { certFile, keyFile } = config.tls;
    const url = new URL(config.admin);
    const caFile = config.tls.caFile || (url.protocol === 'https:' && existsSync(LOCAL_CA_FILE) ? LOCAL_CA_FILE : '');
    if (token && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
      warn(`sending an operator token to ${url.origin} in clear text; give the admin its tls.* files and use https://`);
    }
    return new AdminClient({
      base: config.admin,
      timeoutMs: config.requestTimeoutMs,
      token,
      tls: {
        ca: caFile ? read('--ca', caFile, 'PRISM-TLS-004') : undefined,
        cert: certFile ? read('--cert', certFile, 'PRISM-TLS-004') : undefined,
        key: keyFile ? read('--key', keyFile, 'PRISM-TLS-004') : undefined,
      },
    });
  }

  /** One call; `options` lengthen the timeout (a long-poll) or cancel it. */
  async call(
    method: string,
    path: string,
    body?: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { ...options.headers, 'content-type': 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let res: Awaited<ReturnType<typeof fetch>>;
    try {
      res = await fetch(new URL(path, this.base), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([
          AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs),
          ...(options.signal ? [options.signal] : []),
        ]),
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      // fetch refuses some ports itself ("bad port"): its cause then has a message and no code.
      const reason = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = reason?.code ?? reason?.message ?? (err as Error).name;
      const tls = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL/.test(cause);
      throw new PrismError('PRISM-CLI-001', `cannot reach the admin at ${this.base}: ${cause}`, {
        action: tls
          ? "Pass --ca FILE (or $PRISM_CA) with the fleet CA (ca.crt from prismctl certs init), so that prismctl can verify the admin's certificate."
          : undefined,
      });
    }
    const text = await res.text();
    let value: unknown;
    try {
      value = text ? JSON.parse(text) : {};
    } catch {
      throw new PrismError(
        'PRISM-CLI-001',
        `${this.base} answered ${res.status} with a body that is not JSON; is it a prism-admin?`,
      );
    }
    const error = (value as { error?: { code?: string; message?: string; action?: string } }).error;
    if (!res.ok) {
      if (error?.code === 'PRISM-ACCESS-001' && !this.options.token) {
        throw new PrismError(
          'PRISM-ACCESS-009',
          `the admin at ${this.base} wants an operator credential: ${error.message}`,
        );
      }
      if (error?.code && error.code in ERROR_CATALOG) {
        throw new PrismError(error.code as ErrorCode, error.message ?? '', { action: error.action });
      }
      throw new PrismError('PRISM-CLI-001', `${this.base} answered ${res.status} ${res.statusText}`);
    }
    return value;
  }
}
