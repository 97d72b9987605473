import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Io } from '../../../core/src/cli-output.js';
import { loadConfig } from '../../../core/src/config/load.js';
import { PrismError } from '../../../core/src/errors.js';
import { generate, TARGETS } from '../lb/generate.js';
import { followAdmin, fromAdmin, fromFiles, type LbInput } from '../lb/sources.js';
import type { TargetName } from '../lb/target.js';
import { runWatch } from '../lb/watch.js';
import { buildWatchMetrics, serveWatchMetrics } from '../lb/watch-metrics.js';
import { registerLbXdsCommand } from '../lb/xds/command.js';
import { AdminClient, type AdminFlags, adminValues, withAdminFlags } from './admin-client.js';

interface LbOptions extends AdminFlags {
  target: string;
  fromFile?: string;
  namespaces?: string;
  out: string;
  listen?: string;
  check?: boolean;
  missingNamespace?: string;
  hashBalanceFactor?: string;
  healthCheckIntervalMs?: string;
  njs?: boolean;
  intervalMs?: string;
  waitMs?: string;
  metricsListen?: string;
}

function target(name: string): TargetName {
  if (name in TARGETS) return name as TargetName;
  throw new PrismError('PRISM-LB-001', `target ${JSON.stringify(name)} is not one of haproxy, nginx, envoy`);
}

function settings(opts: LbOptions) {
  const config = loadConfig('prismctl', {
    values: {
      ...adminValues(opts),
      lb: {
        listen: opts.listen,
        missingNamespace: opts.missingNamespace,
        hashBalanceFactor: opts.hashBalanceFactor === undefined ? undefined : Number(opts.hashBalanceFactor),
        healthCheckIntervalMs:
          opts.healthCheckIntervalMs === undefined ? undefined : Number(opts.healthCheckIntervalMs),
        nginxNjs: opts.njs,
        watchWaitMs: opts.waitMs === undefined ? undefined : Number(opts.waitMs),
        watchIntervalMs: opts.intervalMs === undefined ? undefined : Number(opts.intervalMs),
        watchMetricsListen: opts.metricsListen,
      },
    },
  });
  return {
    config,
    model: {
      listen: config.lb.listen,
      missingNamespace: config.lb.missingNamespace,
      hashBalanceFactor: config.lb.hashBalanceFactor,
      healthCheckIntervalMs: config.lb.healthCheckIntervalMs,
      nginxNjs: config.lb.nginxNjs,
    },
  };
}

export function registerLbCommands(program: Command, io: Io): void {
  const warn = (message: string) => io.err(`prismctl: warning: ${message}\n`);
  const lb = program
    .command('lb')
    .description('render and keep live the HAProxy, NGINX and Envoy configs that route namespaces to owners');
  const common = (cmd: Command) =>
    withAdminFlags(cmd.requiredOption('--target <name>', 'haproxy | nginx | envoy'))
      .requiredOption(
        '--out <dir>',
        'output folder; it runs as it is (haproxy -f DIR/haproxy.cfg, nginx -p DIR -c nginx.conf, envoy -c DIR/envoy.yaml)',
      )
      .option('--listen <host:port>', 'address the load balancer listens on (default 127.0.0.1:8080)')
      .option(
        '--missing-namespace <mode>',
        'requests without X-Prism-Namespace: reject (coded 400, default) | any-proxy',
      )
      .option(
        '--hash-balance-factor <n>',
        'bounded-load factor for the consistent-hash fallback, e.g. 150 (default 0 = off)',
      )
      .option(
        '--health-check-interval-ms <ms>',
        "how often the load balancer checks each proxy's /readyz (default 2000; a draining proxy is out after about two)",
      )
      .option('--no-njs', 'NGINX without njs: exact map of registered namespaces plus consistent hashing');

  common(lb.command('generate'))
    .description('render the configuration for one target, check it with the real binary, write it atomically')
    .option('--from-file <table.json>', 'offline: a partition table as proto3 JSON instead of --admin')
    .option(
      '--namespaces <file>',
      'with --from-file: namespace names, one per line (NGINX without njs maps them exactly)',
    )
    .option('--check', "only validate (render and run the binary's check); write nothing")
    .action(async (opts: LbOptions) => {
      const name = target(opts.target);
      const { config, model } = settings(opts);
      let input: LbInput;
      if (opts.fromFile) input = fromFiles(opts.fromFile, opts.namespaces);
      else input = await fromAdmin(AdminClient.fromConfig(config, warn));
      const result = await generate({ ...model, ...input, target: name, outDir: opts.out, checkOnly: opts.check });
      if (result.check.skipped) io.err(`prismctl: warning: not checked: ${result.check.skipped}\n`);
      const checked = result.check.skipped ? 'not checked' : `checked by ${name}`;
      io.out(
        opts.check
          ? `table v${result.model.version}: ${result.files.size} ${name} files render and are valid (${checked}); nothing written\n`
          : `table v${result.model.version}: wrote ${result.written.join(', ')} to ${opts.out} (${checked})\n`,
      );
    });

  common(lb.command('watch'))
    .description(
      "follow the admin's table and apply each new version: HAProxy by its runtime API, NGINX by a checked reload, Envoy by a hot restart (the watcher runs Envoy)",
    )
    .option(
      '--wait-ms <ms>',
      'how long the admin holds a table request when nothing changed (long-poll; default 25000, at most 60000)',
    )
    .option('--interval-ms <ms>', 'least time between two table requests (default 200)')
    .option('--metrics-listen <host:port>', 'serve Prometheus metrics (prism_lb_watch_*) on http://HOST:PORT/metrics')
    .action(async (opts: LbOptions) => {
      const name = target(opts.target);
      const { config, model } = settings(opts);
      const client = AdminClient.fromConfig(config, warn);
      const metrics = buildWatchMetrics(name);
      const server = config.lb.watchMetricsListen
        ? await serveWatchMetrics(metrics, config.lb.watchMetricsListen)
        : undefined;
      if (server) io.out(`metrics on ${server.url}\n`);
      // SIGTERM and SIGINT end the watch; the Envoy it runs is stopped (and waited for) before prismctl exits.
      const stop = new AbortController();
      const onSignal = (signal: string) => {
        io.out(`${signal}: stopping\n`);
        stop.abort();
      };
      const onTerm = () => onSignal('SIGTERM');
      const onInt = () => onSignal('SIGINT');
      process.once('SIGTERM', onTerm);
      process.once('SIGINT', onInt);
      // The admin's status page names this watcher by host and listen address.
      const identity = { name: `${hostname()}/${model.listen}`, target: name, applied: 0 };
      try {
        await runWatch({
          target: name,
          outDir: opts.out,
          model,
          source: followAdmin(client, {
            waitMs: config.lb.watchWaitMs,
            namespaces: TARGETS[name].usesNamespaces?.(model) ?? false,
            identity: () => identity,
          }),
          onApplied: (version) => {
            identity.applied = version;
          },
          intervalMs: config.lb.watchIntervalMs,
          log: (line) => io.out(`${line}\n`),
          signal: stop.signal,
          metrics,
        });
      } finally {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        await server?.close();
      }
    });

  registerLbXdsCommand(lb, io);
}
