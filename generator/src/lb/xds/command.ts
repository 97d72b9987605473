import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Io } from '../../../../core/src/cli-output.js';
import { splitHostPort } from '../../../../core/src/config/checks.js';
import { loadConfig } from '../../../../core/src/config/load.js';
import { PrismError } from '../../../../core/src/errors.js';
import { AdminClient, type AdminFlags, adminValues, withAdminFlags } from '../../cli/admin-client.js';
import { untilSignal } from '../../cli/until-signal.js';
import { buildModel, type ModelOptions } from '../model.js';
import { followAdmin, type LbSource } from '../sources.js';
import { reasonOf, serveWatchMetrics } from '../watch-metrics.js';
import { envoyBootstrap } from './bootstrap.js';
import { buildXdsMetrics, type XdsMetrics } from './metrics.js';
import { envoyProtos } from './protos.js';
import { buildSnapshot } from './resources.js';
import type { XdsServer } from './server.js';

interface XdsOptions extends AdminFlags {
  listen?: string;
  lbListen?: string;
  nodeId?: string;
  printBootstrap?: boolean;
  missingNamespace?: string;
  hashBalanceFactor?: string;
  healthCheckIntervalMs?: string;
  intervalMs?: string;
  waitMs?: string;
  metricsListen?: string;
  tlsCert?: string;
  tlsKey?: string;
  envoyCert?: string;
  envoyKey?: string;
}

/** All of a TLS option group or none of it; PRISM-LB-024 names what is missing. */
function tlsGroup(given: Record<string, string>): boolean {
  const missing = Object.keys(given).filter((flag) => !given[flag]);
  if (missing.length === Object.keys(given).length) return false;
  if (missing.length > 0)
    throw new PrismError(
      'PRISM-LB-024',
      `${Object.keys(given)
        .filter((f) => given[f])
        .join(', ')} given without ${missing.join(', ')}`,
    );
  return true;
}

const readPem = (flag: string, path: string) => {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PrismError(
      'PRISM-TLS-004',
      `cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
};

const describeError = (err: unknown) =>
  err instanceof PrismError ? `${err.code}: ${err.message}` : (err as Error).message;

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export interface XdsFollowOptions {
  source: LbSource;
  model: Omit<ModelOptions, 'namespaces'>;
  server: XdsServer;
  intervalMs: number;
  log: (line: string) => void;
  signal: AbortSignal;
  metrics?: XdsMetrics;
}

/**
 * Follows the admin's table (the long-poll `lb watch` uses) and publishes every new version to the
 * xDS server, which brings each connected Envoy to it. Failures back off; Envoys keep what they run.
 */
export async function followIntoXds(options: XdsFollowOptions): Promise<void> {
  const { log, metrics, server, signal } = options;
  let failures = 0;
  while (!signal.aborted) {
    const started = Date.now();
    try {
      const input = await options.source(server.snapshot?.version, signal);
      metrics?.desiredVersion.set(input.table.version);
      if (failures > 0) log(`following the admin again (table v${input.table.version})`);
      failures = 0;
      if (input.table.version !== server.snapshot?.version) {
        const root = await envoyProtos();
        server.publish(buildSnapshot(root, buildModel(input.table, { ...options.model, namespaces: [] })));
        log(`serving table v${input.table.version} over xDS`);
      }
    } catch (err) {
      if (signal.aborted) break;
      failures++;
      const admin = reasonOf(err) === 'PRISM-LB-008';
      (admin ? metrics?.adminFailures : metrics?.applyFailures)?.inc({ reason: reasonOf(err) });
      const delay = Math.min(5_000, options.intervalMs * 2 ** Math.min(failures, 8));
      if ((failures & (failures - 1)) === 0)
        log(
          `${admin ? 'cannot follow the admin' : 'cannot serve the table'} (${describeError(err)}); Envoys keep table v${server.snapshot?.version ?? '-'}; retrying in ${delay} ms`,
        );
      await pause(delay, signal);
      continue;
    }
    const elapsed = Date.now() - started;
    if (elapsed < options.intervalMs) await pause(options.intervalMs - elapsed, signal);
  }
}

/** `prismctl lb xds`: the one subcommand lb.ts registers for Envoy over xDS. */
export function registerLbXdsCommand(lb: Command, io: Io): void {
  const warn = (message: string) => io.err(`prismctl: warning: ${message}\n`);
  withAdminFlags(lb.command('xds'))
    .description(
      "serve the admin's table to Envoys over xDS (ADS, gRPC): each table version becomes an xDS update, no restart",
    )
    .option('--listen <host:port>', 'address the xDS server listens on (default 127.0.0.1:18000)')
    .option('--lb-listen <host:port>', 'address of the Envoy listener it serves (default 127.0.0.1:8080)')
    .option('--node-id <id>', 'serve only Envoys with this node id; the node.id --print-bootstrap writes')
    .option('--print-bootstrap', 'print an Envoy bootstrap that takes its config from this server, and exit')
    .option('--missing-namespace <mode>', 'requests without X-Prism-Namespace: reject (coded 400, default) | any-proxy')
    .option('--hash-balance-factor <n>', 'bounded-load factor for the consistent-hash fallback (default 0 = off)')
    .option('--health-check-interval-ms <ms>', "how often Envoy checks each proxy's /readyz (default 2000)")
    .option('--wait-ms <ms>', 'how long the admin holds a table request when nothing changed (default 25000)')
    .option('--interval-ms <ms>', 'least time between two table requests (default 200)')
    .option('--metrics-listen <host:port>', 'serve Prometheus metrics on http://HOST:PORT/metrics')
    .option(
      '--tls-cert <file>',
      'serve xDS over mutual TLS with this certificate (with --tls-key and --ca, the fleet CA)',
    )
    .option('--tls-key <file>', 'private key of --tls-cert')
    .option('--envoy-cert <file>', "--print-bootstrap: the Envoy's client certificate, as a path on the Envoy's host")
    .option('--envoy-key <file>', "--print-bootstrap: the Envoy's private key, as a path on the Envoy's host")
    .action(async (opts: XdsOptions) => {
      const num = (v?: string) => (v === undefined ? undefined : Number(v));
      const config = loadConfig('prismctl', {
        values: {
          ...adminValues(opts),
          lb: {
            listen: opts.lbListen,
            missingNamespace: opts.missingNamespace,
            hashBalanceFactor: num(opts.hashBalanceFactor),
            healthCheckIntervalMs: num(opts.healthCheckIntervalMs),
            watchWaitMs: num(opts.waitMs),
            watchIntervalMs: num(opts.intervalMs),
            watchMetricsListen: opts.metricsListen,
            xdsListen: opts.listen,
            xdsNodeId: opts.nodeId,
            xdsTlsCertFile: opts.tlsCert,
            xdsTlsKeyFile: opts.tlsKey,
            xdsEnvoyCertFile: opts.envoyCert,
            xdsEnvoyKeyFile: opts.envoyKey,
          },
        },
      });
      const lbc = config.lb;
      const caFile = config.tls.caFile;
      if (opts.printBootstrap) {
        const wanted = Boolean(lbc.xdsEnvoyCertFile || lbc.xdsEnvoyKeyFile);
        const group = { '--envoy-cert': lbc.xdsEnvoyCertFile, '--envoy-key': lbc.xdsEnvoyKeyFile, '--ca': caFile };
        const tls =
          wanted && tlsGroup(group)
            ? { certFile: lbc.xdsEnvoyCertFile, keyFile: lbc.xdsEnvoyKeyFile, caFile }
            : undefined;
        // --ca alone is for the admin: TLS on the xDS port is asked for by a certificate.
        io.out(envoyBootstrap(lbc.xdsListen, lbc.xdsNodeId, tls));
        return;
      }
      const tls =
        lbc.xdsTlsCertFile || lbc.xdsTlsKeyFile
          ? tlsGroup({ '--tls-cert': lbc.xdsTlsCertFile, '--tls-key': lbc.xdsTlsKeyFile, '--ca': caFile }) && {
              cert: readPem('--tls-cert', lbc.xdsTlsCertFile),
              key: readPem('--tls-key', lbc.xdsTlsKeyFile),
              ca: readPem('--ca', caFile),
            }
          : undefined;
      const client = AdminClient.fromConfig(config, warn);
      const metrics = buildXdsMetrics();
      const log = (line: string) => io.out(`${line}\n`);
      // gRPC is loaded only here: every other prismctl command starts without it (about 0.1 s, more on a busy machine).
      const { XdsServer } = await import('./server.js');
      const server = new XdsServer({
        root: await envoyProtos(),
        listen: lbc.xdsListen,
        nodeId: lbc.xdsNodeId,
        // A new cluster's first health check ends by its timeout (min(interval, 1 s), as envoy.yaml has it).
        warmMs: Math.min(lbc.healthCheckIntervalMs, 1_000) + 250,
        lingerMs: 1_000,
        log,
        metrics,
        tls: tls || undefined,
      });
      const port = await server.listen();
      const metricsServer = lbc.watchMetricsListen
        ? await serveWatchMetrics(metrics, lbc.watchMetricsListen)
        : undefined;
      io.out(`xDS (ADS${tls ? ', mutual TLS' : ''}) on ${splitHostPort(lbc.xdsListen).host}:${port}\n`);
      if (metricsServer) io.out(`metrics on ${metricsServer.url}\n`);
      const stop = untilSignal(io);
      // The admin's status page lists this server with the oldest version a connected Envoy runs.
      const identity = () => ({
        name: `${hostname()}/${lbc.xdsListen}`,
        target: 'envoy-xds',
        applied: Math.min(...server.envoys().map((e) => e.version ?? 0), server.snapshot?.version ?? 0),
      });
      try {
        await followIntoXds({
          source: followAdmin(client, { waitMs: lbc.watchWaitMs, namespaces: false, identity }),
          model: {
            listen: lbc.listen,
            missingNamespace: lbc.missingNamespace,
            hashBalanceFactor: lbc.hashBalanceFactor,
            healthCheckIntervalMs: lbc.healthCheckIntervalMs,
            nginxNjs: lbc.nginxNjs,
          },
          server,
          intervalMs: lbc.watchIntervalMs,
          log,
          signal: stop.signal,
          metrics,
        });
      } finally {
        stop.dispose();
        server.close();
        await metricsServer?.close();
      }
    });
}
