import { Command } from 'commander';
import { type Io, processIo, runServerMain } from '../../core/src/cli-output.js';
import { loadConfig } from '../../core/src/config/load.js';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import { PrismError } from '../../core/src/errors.js';
import { buildProxy, type PrismProxy } from './proxy.js';

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface ProxyFlags {
  config?: string;
  profile?: string;
  id?: string;
  listen?: string;
  opsListen?: string;
  admin?: string[];
  advertise?: string;
  stateDir?: string;
  forwarding?: string;
  drainPeriodMs?: string;
  logLevel?: string;
  otlpEndpoint?: string;
  insecure?: boolean;
  printConfig?: boolean;
}

/** Maps command-line flags onto configuration keys (CONTRACT §9). */
export function proxyFlagsToValues(f: ProxyFlags): Record<string, unknown> {
  return {
    profile: f.profile,
    id: f.id,
    listen: f.listen,
    opsListen: f.opsListen,
    admin: f.admin,
    advertise: f.advertise,
    stateDir: f.stateDir,
    forwarding: f.forwarding === undefined ? undefined : { mode: f.forwarding },
    drain: f.drainPeriodMs === undefined ? undefined : { periodMs: Number(f.drainPeriodMs) },
    insecure: f.insecure,
    log: f.logLevel === undefined ? undefined : { level: f.logLevel },
    tracing: f.otlpEndpoint === undefined ? undefined : { enabled: true, otlpEndpoint: f.otlpEndpoint },
  };
}

export async function runProxyMain(argv: string[], io: Io = processIo): Promise<number> {
  const program = new Command('prism-proxy')
    .description('Prism edge proxy: serves the namespaces it owns, forwards the others to their owner')
    .option('--config <file>', 'JSON file of options (see docs/configuration.md)')
    .option('--profile <name>', 'development | staging | production (default development)')
    .option('--id <id>', 'stable proxy id (default proxy-1; required with profile production)')
    .option('--listen <host:port>', 'data plane, HTTP/1.1 and h2c (default 127.0.0.1:8980; port 0 = any free port)')
    .option('--ops-listen <host:port>', 'ops: /metrics /healthz /readyz (default 127.0.0.1:9980)')
    .option('--admin <host:port,...>', 'admin gRPC endpoints, with failover (default 127.0.0.1:8981)', list)
    .option('--advertise <host:port>', 'address peers and load balancers reach this proxy at (default: --listen)')
    .option('--state-dir <dir>', 'where the last-known-good table is kept (default ./prism-proxy-state)')
    .option('--forwarding <mode>', 'transparent | redirect | client (default transparent)')
    .option(
      '--drain-period-ms <ms>',
      'after SIGTERM: how long /readyz answers 503 while the proxy serves on (default 5000; a second SIGTERM stops at once)',
    )
    .option('--log-level <level>', 'trace | debug | info | warn | error (default info)')
    .option(
      '--otlp-endpoint <url>',
      'turn tracing on and export spans over OTLP/HTTP to this URL, e.g. http://collector:4318/v1/traces',
    )
    .option(
      '--insecure',
      'plaintext, unauthenticated control stream to an admin started with --insecure, for throwaway experiments (warned about; refused with --profile production)',
    )
    .option('--print-config', 'print the effective configuration as JSON and exit');
  return runServerMain(
    'prism-proxy',
    program,
    argv,
    io,
    (flags: ProxyFlags) => loadConfig('proxy', { file: flags.config, values: proxyFlagsToValues(flags) }),
    async (config, reload) => {
      const proxy = await buildProxy({ config });
      await proxy.listen();
      // SIGHUP re-reads the config file (the reloadable options take effect, a change to any other
      // refuses the whole reload) and the certificate files (also re-read on a timer).
      const hangup = () => {
        proxy.log.info({ signal: 'SIGHUP' }, 're-reading the config file and the certificate files');
        reloadConfig(proxy, reload);
        void proxy.reloadCertificates();
      };
      process.on('SIGHUP', hangup);
      // The first SIGTERM or SIGINT drains (proxy.drain), a second one stops at once.
      const now = new AbortController();
      let stopping = false;
      let stopped: () => void = () => undefined;
      const stop = (signal: string) => {
        if (stopping) {
          if (!now.signal.aborted) proxy.log.info({ signal }, 'prism-proxy stopping at once (second signal)');
          now.abort();
          return;
        }
        stopping = true;
        proxy.log.info({ signal }, 'prism-proxy stopping');
        proxy
          .drain(now.signal)
          .then(() => proxy.close())
          .catch((err) => proxy.log.error({ err }, 'stopping failed'))
          .finally(() => stopped());
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      await new Promise<void>((resolve) => {
        stopped = resolve;
      });
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', hangup);
      proxy.log.info('prism-proxy stopped');
      return 0;
    },
  );
}

/** One SIGHUP's config reload (the proxy logs it with the new config version), or its coded refusal: the old one stays. */
function reloadConfig(proxy: PrismProxy, reload: () => ProxyConfig): void {
  try {
    proxy.reloadConfig(reload());
  } catch (err) {
    const coded = err instanceof PrismError ? err : new PrismError('PRISM-CONFIG-001', (err as Error).message);
    proxy.log.error(
      { code: coded.code, err: coded.message, action: coded.action },
      'configuration not reloaded; running on with the previous one',
    );
  }
}
