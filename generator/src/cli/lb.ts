import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Io } from '../../../core/src/cli-output.js';
import { loadConfig } from '../../../core/src/config/load.js';
import { PrismError } from '../../../core/src/errors.js';
import { generate, TARGETS } from '../lb/generate.js';
import { requireAdminLevel, runtimeAddresses } from '../lb/haproxy-fleet.js';
import { followAdmin, fromAdmin, fromFiles, type LbInput } from '../lb/sources.js';
import type { FragmentOptions, Target, TargetName } from '../lb/target.js';
import { checkWithOperator, FRAGMENT_FILE, frontendLine } from '../lb/targets/haproxy-fragment.js';
import { generateNginxFragment, includeLines, nginxFragmentTarget } from '../lb/targets/nginx-fragment.js';
import { runWatch } from '../lb/watch.js';
import { buildWatchMetrics, serveWatchMetrics } from '../lb/watch-metrics.js';
import { registerLbXdsCommand } from '../lb/xds/command.js';
import { AdminClient, type AdminFlags, adminValues, withAdminFlags } from './admin-client.js';
import { untilSignal } from './until-signal.js';

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
  fragment?: boolean;
  backendName?: string;
  mapDir?: string;
  namePrefix?: string;
  includeDir?: string;
  checkWith?: string;
  runtimeSocket?: string;
  runtimeApi?: string;
  nginxPidFile?: string;
  nginxConf?: string;
}

/**
 * What `--fragment` asks for, per target (nothing without --fragment): HAProxy's fragment options
 * (the backend and maps it drives through runtime APIs), or NGINX's include-file target, whose
 * watcher options (--nginx-pid-file, --nginx-conf) are part of it: it reloads an NGINX it did not start.
 */
function fragmentOf(
  name: TargetName,
  opts: LbOptions,
  watching: boolean,
): { fragment?: FragmentOptions; targetImpl?: Target } {
  if (!opts.fragment) {
    const given = (
      [
        ['--backend-name', opts.backendName],
        ['--map-dir', opts.mapDir],
        ['--name-prefix', opts.namePrefix],
        ['--include-dir', opts.includeDir],
        ['--check-with', opts.checkWith],
        ['--runtime-socket', opts.runtimeSocket],
        ['--runtime-api', opts.runtimeApi],
        ['--nginx-pid-file', opts.nginxPidFile],
        ['--nginx-conf', opts.nginxConf],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (given) throw new PrismError('PRISM-LB-017', `${given[0]} applies to --fragment output only: add --fragment`);
    return {};
  }
  if (name === 'haproxy')
    return { fragment: { backendName: opts.backendName, mapDir: opts.mapDir, checkWith: opts.checkWith } };
  if (name === 'nginx') {
    if (watching && !opts.nginxPidFile && !opts.nginxConf)
      throw new PrismError(
        'PRISM-LB-017',
        'lb watch --fragment --target nginx needs --nginx-pid-file FILE (SIGHUP to that master) or --nginx-conf MAIN (nginx -s reload -c MAIN), and --nginx-conf to check the main file before each reload',
      );
    return {
      targetImpl: nginxFragmentTarget({
        namePrefix: opts.namePrefix,
        includeDir: opts.includeDir ?? opts.out,
        mainConf: opts.nginxConf,
        pidFile: opts.nginxPidFile,
      }),
    };
  }
  throw new PrismError(
    'PRISM-LB-009',
    `--fragment is not available for --target ${name} (an Envoy takes Prism's routes over xDS: prismctl lb xds)`,
  );
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
      .option('--no-njs', 'NGINX without njs: exact map of registered namespaces plus consistent hashing')
      .option(
        '--fragment',
        'only what an existing load balancer loads beside its own config (HAProxy: DIR/prism.cfg, the backend and its maps; NGINX: DIR/prism-http.conf in http, DIR/prism-location.conf in a location)',
      )
      .option('--backend-name <name>', 'HAProxy --fragment: name of the backend (default prism)')
      .option(
        '--map-dir <dir>',
        'HAProxy --fragment: folder the fragment names its map files under, as HAProxy resolves it (default: --out as given)',
      )
      .option('--name-prefix <word>', 'NGINX --fragment: prefix of every name it declares (default prism)')
      .option(
        '--include-dir <path>',
        'NGINX --fragment: the output folder as the main nginx.conf reaches it, relative to its folder or absolute (default: --out as given)',
      );

  common(lb.command('generate'))
    .description('render the configuration for one target, check it with the real binary, write it atomically')
    .option('--from-file <table.json>', 'offline: a partition table as proto3 JSON instead of --admin')
    .option(
      '--namespaces <file>',
      'with --from-file: namespace names, one per line (NGINX without njs maps them exactly)',
    )
    .option('--check', "only validate (render and run the binary's check); write nothing")
    .option(
      '--check-with <file>',
      "--fragment: the operator's main file, checked with the fragment after writing (HAProxy: haproxy -c -f FILE -f DIR/prism.cfg; NGINX: nginx -t, refused: the previous files are put back)",
    )
    .action(async (opts: LbOptions) => {
      const name = target(opts.target);
      const { config, model } = settings(opts);
      const { fragment, targetImpl } = fragmentOf(name, opts, false);
      let input: LbInput;
      if (opts.fromFile) input = fromFiles(opts.fromFile, opts.namespaces);
      else input = await fromAdmin(AdminClient.fromConfig(config, warn));
      const request = {
        ...model,
        ...input,
        target: name,
        outDir: opts.out,
        checkOnly: opts.check,
        fragment,
        targetImpl,
      };
      const result = targetImpl
        ? await generateNginxFragment({ ...request, targetImpl }, opts.checkWith)
        : await generate(request);
      if (result.check.skipped) io.err(`prismctl: warning: not checked: ${result.check.skipped}\n`);
      const checked = result.check.skipped ? 'not checked' : `checked by ${name}`;
      io.out(
        opts.check
          ? `table v${result.model.version}: ${result.files.size} ${name} files render and are valid (${checked}); nothing written\n`
          : `table v${result.model.version}: wrote ${result.written.join(', ')} to ${opts.out} (${checked}${opts.checkWith && targetImpl ? `, ${opts.checkWith} checked by nginx -t` : ''})\n`,
      );
      if (fragment && name === 'haproxy' && !opts.check) {
        if (opts.checkWith) {
          await checkWithOperator(opts.checkWith, opts.out);
          io.out(`haproxy -c -f ${opts.checkWith} -f ${opts.out}/${FRAGMENT_FILE}: valid\n`);
        }
        io.out(`load it beside your config: haproxy -f YOUR.cfg -f ${opts.out}/${FRAGMENT_FILE}\n`);
        io.out(`and add to your frontend: ${frontendLine(opts.backendName ?? 'prism')}\n`);
      }
      if (targetImpl && !opts.check) io.out(`include it: ${includeLines(opts.includeDir ?? opts.out)}\n`);
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
    .option(
      '--runtime-socket <paths>',
      'HAProxy --fragment: stats sockets (level admin) of the running HAProxy instances to drive, comma-separated',
    )
    .option(
      '--runtime-api <host:port,...>',
      'HAProxy --fragment: TCP stats sockets (stats socket ipv4@HOST:PORT level admin) to drive, comma-separated',
    )
    .option(
      '--nginx-pid-file <file>',
      'NGINX --fragment: reload the master this pid file names (SIGHUP; same user as the master, or root)',
    )
    .option(
      '--nginx-conf <main.conf>',
      'NGINX --fragment: the main file that includes the fragment: nginx -t on it before each reload (and nginx -s reload -c it without --nginx-pid-file)',
    )
    .action(async (opts: LbOptions) => {
      const name = target(opts.target);
      const { config, model } = settings(opts);
      const { fragment, targetImpl } = fragmentOf(name, opts, true);
      let runtimeApis: string[] | undefined;
      if (fragment && name === 'haproxy') {
        runtimeApis = runtimeAddresses(opts.runtimeSocket, opts.runtimeApi).map((r) => r.address);
        await requireAdminLevel(runtimeApis);
      }
      const client = AdminClient.fromConfig(config, warn);
      const metrics = buildWatchMetrics(name);
      const server = config.lb.watchMetricsListen
        ? await serveWatchMetrics(metrics, config.lb.watchMetricsListen)
        : undefined;
      if (server) io.out(`metrics on ${server.url}\n`);
      // SIGTERM and SIGINT end the watch; the Envoy it runs is stopped (and waited for) before prismctl exits.
      const stop = untilSignal(io);
      // The admin's status page names this watcher by host and listen address.
      const identity = { name: `${hostname()}/${model.listen}`, target: name, applied: 0 };
      try {
        await runWatch({
          target: name,
          targetImpl,
          outDir: opts.out,
          model,
          source: followAdmin(client, {
            waitMs: config.lb.watchWaitMs,
            namespaces: (targetImpl ?? TARGETS[name]).usesNamespaces?.(model) ?? false,
            identity: () => identity,
          }),
          onApplied: (version) => {
            identity.applied = version;
          },
          intervalMs: config.lb.watchIntervalMs,
          log: (line) => io.out(`${line}\n`),
          signal: stop.signal,
          metrics,
          fragment,
          runtimeApis,
        });
      } finally {
        stop.dispose();
        await server?.close();
      }
    });

  registerLbXdsCommand(lb, io);
}
