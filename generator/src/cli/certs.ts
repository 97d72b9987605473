import { relative } from 'node:path';
import type { Command } from 'commander';
import type { Io } from '../../../core/src/cli-output.js';
import { PrismError } from '../../../core/src/errors.js';
import { describe } from '../../../core/src/names.js';
import type { Role } from '../../../core/src/tls/identity.js';
import { DEFAULT_CA_DAYS, DEFAULT_DAYS, type IssuedCertificate, initPki, issueCertificate } from '../pki/pki.js';

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function days(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new PrismError('PRISM-TLS-007', `${option} ${describe(text)} is not a whole number`);
  return Number(text);
}

/** `--proxies a,b=10.0.0.2+b.example`: ids, each with the hosts of its SANs after "=". */
function parseProxies(items: string[]): { id: string; hosts?: string[] }[] {
  return items.map((item) => {
    const at = item.indexOf('=');
    if (at < 0) return { id: item };
    const hosts = item
      .slice(at + 1)
      .split('+')
      .filter(Boolean);
    if (at === 0 || hosts.length === 0) {
      throw new PrismError(
        'PRISM-TLS-007',
        `--proxies entry ${describe(item)} is not of the form ID or ID=HOST[+HOST...]`,
      );
    }
    return { id: item.slice(0, at), hosts };
  });
}

function summary(issued: IssuedCertificate[], json: boolean | undefined): string {
  if (json) return `${JSON.stringify(issued, null, 2)}\n`;
  const path = (p: string) => relative(process.cwd(), p) || p;
  const rows = [
    ['ROLE', 'NAME', 'CERTIFICATE', 'KEY (0600)', 'VALID UNTIL', 'SUBJECT ALT NAMES'],
    ...issued.map((c) => [
      c.role,
      c.role === 'ca' ? '-' : c.name,
      path(c.certFile),
      path(c.keyFile),
      c.notAfter.toISOString().slice(0, 10),
      c.role === 'ca' ? `CN=${c.name}` : c.subjectAltNames.map((s) => s.replace(/^IP Address:/, 'IP:')).join(' '),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

interface InitOptions {
  out: string;
  adminHosts?: string[];
  proxies?: string[];
  operators?: string[];
  days?: string;
  caDays?: string;
  force?: boolean;
  json?: boolean;
}

interface IssueOptions {
  ca: string;
  out?: string;
  proxy?: string;
  admin?: string;
  operator?: string;
  hosts?: string[];
  days?: string;
  force?: boolean;
  json?: boolean;
}

export function registerCertsCommands(program: Command, io: Io): void {
  const certs = program
    .command('certs')
    .description('the fleet PKI: a CA and certificates for admins, proxies and operators (mTLS on the control plane)');

  certs
    .command('init')
    .description('make a CA (ECDSA P-256) and certificates for the admin, the proxies and the operators named')
    .requiredOption('--out <dir>', 'directory to write ca.crt, ca.key, admins/, proxies/, operators/ into')
    .option(
      '--admin-hosts <h1,h2>',
      "DNS names and IPs of the admin's gRPC address (default localhost,127.0.0.1,::1)",
      list,
    )
    .option('--proxies <id[=host+host],...>', 'proxy ids, each with the hosts of its advertise address', list)
    .option('--operators <name,...>', 'operator names', list)
    .option('--days <n>', `validity of the admin, proxy and operator certificates (default ${DEFAULT_DAYS})`)
    .option('--ca-days <n>', `validity of the CA (default ${DEFAULT_CA_DAYS})`)
    .option('--force', 'replace an existing CA (every certificate it signed stops verifying)')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Example:
  prismctl certs init --out pki --admin-hosts admin.internal,10.0.0.1 --proxies proxy-a=10.0.0.11,proxy-b=10.0.0.12
Then the admin gets pki/ca.crt and pki/admins/admin.{crt,key} (tls.caFile, tls.certFile, tls.keyFile),
each proxy pki/ca.crt and its pki/proxies/<id>.{crt,key} (controlPlane.tls.*); ca.key stays with you.`,
    )
    .action(async (opts: InitOptions) => {
      const issued = await initPki({
        out: opts.out,
        adminHosts: opts.adminHosts,
        proxies: parseProxies(opts.proxies ?? []),
        operators: opts.operators,
        days: days(opts.days, '--days'),
        caDays: days(opts.caDays, '--ca-days'),
        force: opts.force,
      });
      io.out(summary(issued, opts.json));
      if (!opts.json)
        io.out(
          `\nKeep ${relative(process.cwd(), issued[0].keyFile)} off the admins and proxies: they need ca.crt only.\n`,
        );
    });

  certs
    .command('issue')
    .description('add (or with --force rotate) one admin, proxy or operator certificate signed by an existing CA')
    .requiredOption('--ca <dir>', 'the directory `certs init` wrote (ca.crt and ca.key)')
    .option('--proxy <id>', 'a proxy certificate (clientAuth and serverAuth, URI spiffe://prism/proxy/<id>)')
    .option('--admin <name>', 'an admin certificate (serverAuth, URI spiffe://prism/admin/<name>)')
    .option('--operator <name>', 'an operator certificate (clientAuth, URI spiffe://prism/operator/<name>)')
    .option(
      '--hosts <h1,h2>',
      'DNS names and IPs for the SANs of an admin or proxy (default localhost,127.0.0.1,::1)',
      list,
    )
    .option('--out <dir>', 'where admins/, proxies/, operators/ go (default: the --ca directory)')
    .option('--days <n>', `validity (default ${DEFAULT_DAYS})`)
    .option('--force', 'replace the existing certificate and key of that name (a rotation)')
    .option('--json', 'print what was written as JSON')
    .action(async (opts: IssueOptions) => {
      const chosen = (['proxy', 'admin', 'operator'] as const).filter((r) => opts[r] !== undefined);
      if (chosen.length !== 1) {
        throw new PrismError('PRISM-TLS-007', 'give exactly one of --proxy ID, --admin NAME, --operator NAME');
      }
      const role: Role = chosen[0];
      const issued = await issueCertificate({
        ca: opts.ca,
        out: opts.out,
        role,
        name: opts[role] as string,
        hosts: opts.hosts,
        days: days(opts.days, '--days'),
        force: opts.force,
      });
      io.out(opts.json ? `${JSON.stringify(issued, null, 2)}\n` : summary([issued], false));
    });
}
