import type { Command } from 'commander';
import { age, clip, formatTable, type Io } from '../../../core/src/cli-output.js';
import { PrismError } from '../../../core/src/errors.js';
import { describe } from '../../../core/src/names.js';
import { isOperatorRole, OPERATOR_ROLES } from '../../../core/src/operator-roles.js';
import {
  CreateTokenResponse,
  ListTokensResponse,
  OperatorToken,
  WhoAmIResponse,
} from '../../../proto/gen/prism/admin/v1/auth.js';
import type { AdminClient } from './admin-client.js';
import { type AdminOption, adminClient, withAdmin } from './admin-commands.js';

const UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3_600, d: 86_400 };

/** `3600`, `90s`, `30m`, `12h`, `7d` in seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!m) {
    throw new PrismError('PRISM-ACCESS-008', `--ttl ${describe(text)} is not a duration such as 3600, 30m, 12h or 7d`);
  }
  return Number(m[1]) * UNITS[m[2]];
}

const iso = (d: Date | undefined) => d?.toISOString() ?? '-';

/** How much of a jti `token list` shows, as git shows a commit: enough to tell tokens apart. */
const SHORT_JTI = 8;

/** The token a jti or the start of one names (a unique prefix, as `token list` shows it). */
async function fullJti(client: AdminClient, jti: string): Promise<string> {
  if (jti.length >= 36) return jti;
  const { tokens } = ListTokensResponse.fromJSON(await client.call('GET', '/v1/auth/tokens'));
  const matches = tokens.filter((t) => t.jti.startsWith(jti));
  if (matches.length === 1) return matches[0].jti;
  throw new PrismError(
    'PRISM-CLI-003',
    matches.length === 0
      ? `no token that has not expired has a jti starting with ${describe(jti)}`
      : `${matches.length} tokens have a jti starting with ${describe(jti)}`,
  );
}

export function registerAuthCommands(program: Command, io: Io): void {
  const auth = program.command('auth').description('operator credentials: who you are, and tokens for others');
  const token = auth.command('token').description('bearer tokens for the operator API (role admin)');
  const print = (json: unknown) => io.out(`${JSON.stringify(json, null, 2)}\n`);

  withAdmin(token.command('create'))
    .description('issue a token; prints it once (stdout) and its jti, role and expiry (stderr)')
    .requiredOption('--role <role>', OPERATOR_ROLES.join(' | '))
    .option('--name <name>', 'principal name, as the audit log will show it (default: your own)')
    .option('--ttl <duration>', "lifetime: seconds, or 30m, 12h, 7d (default: the admin's, 1 day)")
    .action(async (opts: AdminOption & { role: string; name?: string; ttl?: string }) => {
      if (!isOperatorRole(opts.role)) {
        throw new PrismError(
          'PRISM-ACCESS-008',
          `--role ${describe(opts.role)} is not one of ${OPERATOR_ROLES.join(', ')}`,
        );
      }
      const json = await adminClient(opts, io).call('POST', '/v1/auth/tokens', {
        name: opts.name,
        role: opts.role,
        ttlSeconds: opts.ttl === undefined ? undefined : parseTtl(opts.ttl),
      });
      if (opts.json) return print(json);
      const created = CreateTokenResponse.fromJSON(json);
      io.out(`${created.token}\n`);
      io.err(
        `prismctl: token for ${created.name}, role ${created.role}, jti ${created.jti}, expires ${iso(created.expiresAt)} (shown once; revoke with prismctl auth token revoke ${created.jti})\n`,
      );
    });

  withAdmin(token.command('list'))
    .description('the tokens that have not expired, newest first (never the tokens themselves)')
    .action(async (opts: AdminOption) => {
      const json = await adminClient(opts, io).call('GET', '/v1/auth/tokens');
      if (opts.json) return print(json);
      const tokens = ListTokensResponse.fromJSON(json).tokens;
      if (opts.output === 'wide') {
        const rows = tokens.map((t) => [
          t.jti,
          t.name,
          t.role,
          iso(t.createdAt),
          iso(t.expiresAt),
          t.revokedAt ? `revoked ${iso(t.revokedAt)}` : 'valid',
          t.createdBy,
        ]);
        return io.out(formatTable(['JTI', 'NAME', 'ROLE', 'CREATED', 'EXPIRES', 'STATE', 'CREATED BY'], rows));
      }
      const now = Date.now();
      const rows = tokens.map((t) => [
        t.jti.slice(0, SHORT_JTI),
        clip(t.name, 24),
        t.role,
        age(t.expiresAt, now),
        t.revokedAt ? 'revoked' : 'valid',
        clip(t.createdBy, 24),
      ]);
      io.out(formatTable(['JTI', 'NAME', 'ROLE', 'EXPIRES', 'STATE', 'CREATED BY'], rows));
    });

  withAdmin(
    token
      .command('revoke')
      .argument('<jti>', `token id (from token create or token list; the first ${SHORT_JTI} characters are enough)`),
  )
    .description('refuse a token from now on')
    .action(async (jti: string, opts: AdminOption) => {
      const client = adminClient(opts, io);
      const json = await client.call('POST', '/v1/auth/tokens:revoke', { jti: await fullJti(client, jti) });
      if (opts.json) return print(json);
      const t = OperatorToken.fromJSON(json);
      io.out(`revoked ${t.jti} (${t.name}, role ${t.role}) at ${iso(t.revokedAt)}\n`);
    });

  withAdmin(auth.command('whoami'))
    .description('the principal and role the admin sees for your credentials')
    .action(async (opts: AdminOption) => {
      const json = await adminClient(opts, io).call('GET', '/v1/auth/whoami');
      if (opts.json) return print(json);
      const me = WhoAmIResponse.fromJSON(json);
      io.out(`${me.principal} role ${me.role}${me.expiresAt ? `, token expires ${iso(me.expiresAt)}` : ''}\n`);
    });
}
