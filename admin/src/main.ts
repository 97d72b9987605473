import { Command } from 'commander';
import { type Io, processIo, runServerMain } from '../../core/src/cli-output.js';
import { configFingerprint } from '../../core/src/config/fingerprint.js';
import { loadConfig } from '../../core/src/config/load.js';
import { PrismError } from '../../core/src/errors.js';
import { buildAdmin } from './admin.js';

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface AdminFlags {
  config?: string;
  profile?: string;
  dataDir?: string;
  grpcListen?: string;
  httpListen?: string;
  etcd?: string[];
  etcdPrefix?: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPasswordFile?: string;
  logLevel?: string;
  insecure?: boolean;
  newBootstrapToken?: boolean;
  printConfig?: boolean;
}

/** Maps command-line flags onto configuration keys (CONTRACT §9). */
export function adminFlagsToValues(f: AdminFlags): Record<string, unknown> {
  return {
    profile: f.profile,
    dataDir: f.dataDir,
    grpcListen: f.grpcListen,
    httpListen: f.httpListen,
    etcd: {
      endpoints: f.etcd,
      prefix: f.etcdPrefix,
      cacert: f.etcdCacert,
      cert: f.etcdCert,
      key: f.etcdKey,
      user: f.etcdUser,
      passwordFile: f.etcdPasswordFile,
    },
    insecure: f.insecure,
    log: f.logLevel === undefined ? undefined : { level: f.logLevel },
  };
}

export async function runAdminMain(argv: string[], io: Io = processIo): Promise<number> {
  const program = new Command('prism-admin')
    .description('Prism control plane: namespace registry, leases, JWTs and the partition table pushed to proxies')
    .option('--config <file>', 'JSON file of options (see docs/configuration.md)')
    .option('--profile <name>', 'development | staging | production (default development)')
    .option('--data-dir <dir>', 'SQLite data directory (default ./prism-data)')
    .option(
      '--grpc-listen <host:port>',
      'gRPC control plane for proxies (default 127.0.0.1:8981; port 0 = any free port)',
    )
    .option('--http-listen <host:port>', 'operator API, /metrics, JWKS (default 127.0.0.1:8982)')
    .option(
      '--etcd <urls>',
      'comma-separated etcd v3 endpoints (http(s)://host:port): store everything in etcd instead of SQLite',
      list,
    )
    .option('--etcd-prefix <prefix>', 'key prefix in etcd (default /prism/); admins with one prefix share data')
    .option('--etcd-cacert <file>', "CA of etcd's server certificates (as etcdctl --cacert)")
    .option('--etcd-cert <file>', 'client certificate for etcd (as etcdctl --cert)')
    .option('--etcd-key <file>', 'private key of --etcd-cert (as etcdctl --key)')
    .option('--etcd-user <name>', 'etcd user (as etcdctl --user); the password comes from --etcd-password-file')
    .option('--etcd-password-file <file>', 'file holding the password of --etcd-user')
    .option('--log-level <level>', 'trace | debug | info | warn | error (default info)')
    .option(
      '--insecure',
      'no authentication on the operator API, for throwaway experiments (warned about; refused with --profile production)',
    )
    .option(
      '--new-bootstrap-token',
      'write a new admin token to <data-dir>/operator-admin.token (0600) and revoke the previous one, e.g. after losing it',
    )
    .option('--print-config', 'print the effective configuration as JSON and exit');
  return runServerMain(
    'prism-admin',
    program,
    argv,
    io,
    (flags: AdminFlags) => loadConfig('admin', { file: flags.config, values: adminFlagsToValues(flags) }),
    async (config, reload) => {
      const admin = await buildAdmin({ config, newBootstrapToken: program.opts<AdminFlags>().newBootstrapToken });
      await admin.listen();
      // SIGHUP re-reads the config file (the reloadable options take effect, a change to any other
      // refuses the whole reload) and the certificate files (also re-read on a timer).
      const hangup = () => {
        admin.log.info({ signal: 'SIGHUP' }, 're-reading the config file and the certificate files');
        try {
          const next = reload();
          const changed = admin.reloadConfig(next);
          admin.log.info(
            { configVersion: configFingerprint(next, []), changed },
            changed.length ? 'configuration reloaded' : 'configuration reloaded: nothing changed',
          );
          // Last, so that the line above is written whatever the new level.
          if (changed.includes('log.level')) admin.log.level = next.log.level;
        } catch (err) {
          const coded = err instanceof PrismError ? err : new PrismError('PRISM-CONFIG-001', (err as Error).message);
          admin.log.error(
            { code: coded.code, err: coded.message, action: coded.action },
            'configuration not reloaded; running on with the previous one',
          );
        }
        void admin.reloadCertificates();
      };
      process.on('SIGHUP', hangup);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          admin.log.info({ signal }, 'prism-admin stopping');
          admin.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      process.off('SIGHUP', hangup);
      return 0;
    },
  );
}
