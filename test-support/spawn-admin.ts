import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOTSTRAP_TOKEN_FILE } from '../admin/src/operator-tokens.js';
import { bootstrapToken, rememberAdmin, rememberPlaintext } from './admin-harness.js';
import { fleetPki } from './pki.js';
import { spawnProgram } from './spawn-program.js';

export interface AdminProcess {
  child: ChildProcess;
  pid: number;
  /** Base URL of the operator API (https:// when the admin has tls.* files). */
  http: string;
  grpc: string;
  /** The bootstrap admin token in the data directory ('' when that file is gone); api() sends it. */
  token: string;
  /** That file, for prismctl --token-file. */
  tokenFile: string;
  /** The CA of its HTTPS certificate, for prismctl --ca ('' when it serves plain HTTP). */
  caFile: string;
  /** The "prism-admin listening" log line. */
  ready: Record<string, unknown>;
  /** Its JSON log lines since then (the newest 1,000). */
  logs: Record<string, unknown>[];
  /** Stops it by PID (SIGKILL when `kill9`) and waits for the exit. */
  stop(kill9?: boolean): Promise<void>;
}

/**
 * Starts bin/prism-admin.js as its own process and waits for the line that names its ports. Without
 * `--insecure` or a `--config` of the test's own in `extra`, it gets the run's fleet certificates (a
 * config file in its data directory). Give `caFile` when a `--config` of the test's serves HTTPS, so
 * that api() trusts it.
 */
export async function spawnAdmin(
  dataDir: string,
  extra: string[] = [],
  options: { caFile?: string } = {},
): Promise<AdminProcess> {
  const insecure = extra.includes('--insecure');
  let caFile = options.caFile;
  const args = ['--data-dir', dataDir, '--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'];
  if (!insecure && !extra.includes('--config')) {
    const pki = await fleetPki();
    const config = join(dataDir, 'fleet-tls.json');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(config, JSON.stringify(pki.admin()));
    args.push('--config', config);
    caFile = pki.caFile;
  }
  const p = await spawnProgram('prism-admin.js', [...args, ...extra], 'prism-admin listening');
  const http = typeof p.ready.url === 'string' ? p.ready.url : `http://${p.ready.http}`;
  const token = bootstrapToken(dataDir);
  const forget = rememberAdmin(http, token, caFile);
  const forgetPlaintext = insecure ? rememberPlaintext(String(p.ready.grpc)) : () => undefined;
  return {
    child: p.child,
    pid: p.pid,
    http,
    grpc: String(p.ready.grpc),
    token,
    tokenFile: join(dataDir, BOOTSTRAP_TOKEN_FILE),
    caFile: caFile ?? '',
    ready: p.ready,
    logs: p.logs,
    async stop(kill9) {
      forgetPlaintext();
      await forget();
      await p.stop(kill9);
    },
  };
}
