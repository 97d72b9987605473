import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type RunResult, runBin } from '../../test-support/run.js';
import { runPrismctl } from '../src/cli/prismctl.js';

// What an operator used to kubectl expects of prismctl: every read in a table within 100 columns,
// -o wide with every column, -o json (and --json) with the admin's JSON, and exit statuses that tell
// a usage mistake (2) from an error (1).

let a: StartedAdmin;
let cwd: string;
const proxies: FakeProxy[] = [];
beforeAll(async () => {
  a = await startAdmin();
  cwd = mkdtempSync(join(tmpdir(), 'prismctl-output-'));
  // A realistic fleet: three proxies on their own addresses, one with different settings.
  const hashes = ['9f86d081884c7d65', '9f86d081884c7d65', '2c26b46b68ffc68f'];
  for (const [i, id] of ['proxy-a', 'proxy-b', 'proxy-c'].entries()) {
    proxies.push(new FakeProxy(a.grpc, id, { address: `10.40.12.${31 + i}`, configHash: hashes[i] }));
  }
  await proxies[0].until(() => proxies[0].tables.find((t) => t.proxies.length === 3));
  const namespaces: [string, string, string[]][] = [
    ['orders-prod', 'orders', ['https://orders-db-primary.eu-west-1.internal.example.com:8443']],
    ['payments-eu-west-1-prod', 'payments-platform', ['http://10.40.20.11:9000', 'http://10.40.20.12:9000']],
    ['search-catalog-staging', 'search', []],
  ];
  for (const [name, team, backends] of namespaces) {
    expect((await api(a.http, 'POST', '/v1/namespaces', { name, team, backends })).status).toBe(201);
  }
  for (const name of ['ci-deployer-platform-engineering', 'vera']) {
    expect((await api(a.http, 'POST', '/v1/auth/tokens', { name, role: 'viewer' })).status).toBeLessThan(300);
  }
});
afterAll(async () => {
  for (const p of proxies) p.kill();
  await a.stop();
  rmSync(cwd, { recursive: true, force: true });
});

/** prismctl in this process (a process per call costs seconds on a busy machine; the bin only sets exitCode). */
async function inProcess(args: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await runPrismctl(args, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
const prismctl = (...args: string[]) =>
  inProcess([...args, '--admin', a.http, '--ca', a.caFile, '--token-file', a.tokenFile]);

/** Every read prismctl has, as the operator types it. */
const READS = [
  ['proxies'],
  ['namespace', 'list'],
  ['namespace', 'get', 'payments-eu-west-1-prod'],
  ['partitions', 'show'],
  ['partitions', 'plan'],
  ['partitions', 'rollout'],
  ['admin', 'status'],
  ['auth', 'token', 'list'],
  ['auth', 'whoami'],
];

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

describe('prismctl output formats', () => {
  it('every read prints within 100 columns by default, with a realistic fleet', async () => {
    for (const read of READS) {
      const r = await prismctl(...read);
      expect(r.code, `${read.join(' ')}: ${r.stderr}`).toBe(0);
      expect(widest(r.stdout), `${read.join(' ')}:\n${r.stdout}`).toBeLessThanOrEqual(100);
    }
  }, 60_000);

  it('-o wide shows the columns the default leaves out', async () => {
    const px = await prismctl('proxies', '-o', 'wide');
    expect(px.stdout).toMatch(
      /^PROXY\s+STATUS\s+GRACE UNTIL\s+ADDRESS\s+OPS\s+WEIGHT\s+APPLIED\s+LAST SEEN\s+CONFIG$/m,
    );
    expect(px.stdout).toMatch(
      /^proxy-c\s+healthy\s+-\s+10\.40\.12\.33:8980\s+9980\s+1\s+\d+\s+20\d\d-\S+Z\s+2c26b46b68ffc68f \(differs\)$/m,
    );
    const pxDefault = await prismctl('proxies');
    expect(pxDefault.stdout).toMatch(
      /^proxy-c\s+healthy\s+10\.40\.12\.33:8980\s+1\s+\d+\s+\d+s\s+2c26b46b \(differs\)$/m,
    );
    expect(pxDefault.stdout).not.toContain('LAST SEEN');

    const ns = await prismctl('namespace', 'list', '-o', 'wide');
    expect(ns.stdout).toMatch(/GRACE UNTIL\s+TEAM\s+BACKENDS$/m);
    expect(ns.stdout).toContain('http://10.40.20.11:9000,http://10.40.20.12:9000');
    expect(ns.stdout).toContain('https://orders-db-primary.eu-west-1.internal.example.com:8443');
    const nsDefault = await prismctl('namespace', 'list');
    expect(nsDefault.stdout).toMatch(
      /^payments-eu-west-1-prod\s+\d+\s+proxy-[abc]\s+active\s+2[34]h\s+payments-platfo~\s+2$/m,
    );

    const tokens = await prismctl('auth', 'token', 'list', '-o', 'wide');
    expect(tokens.stdout).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s+ci-deployer-platform-engineering\s+viewer\s+20/m,
    );
    expect((await prismctl('auth', 'token', 'list')).stdout).toMatch(
      /^[0-9a-f]{8}\s+ci-deployer-platform-en~\s+viewer\s+2[34]h\s+valid\s+token:bootstrap$/m,
    );

    const show = await prismctl('partitions', 'show', '-o', 'wide');
    expect(show.stdout).toMatch(/^proxy-a\s+10\.40\.12\.31:8980\s+1\s+\d+\s+10\.40\.12\.31:9980\s+85\.33$/m);
  }, 60_000);

  it('-o json and --json print the same document, which is the JSON of the admin API', async () => {
    for (const read of READS) {
      const r = await prismctl(...read, '-o', 'json');
      expect(r.code, `${read.join(' ')}: ${r.stderr}`).toBe(0);
      expect(typeof JSON.parse(r.stdout), read.join(' ')).toBe('object');
    }
    const [o, j] = [await prismctl('proxies', '-o', 'json'), await prismctl('proxies', '--json')];
    expect(Object.keys(JSON.parse(o.stdout))).toEqual(Object.keys(JSON.parse(j.stdout)));
    const list = JSON.parse((await prismctl('namespace', 'list', '-o', 'json')).stdout);
    expect(list.namespaces).toEqual((await api(a.http, 'GET', '/v1/namespaces')).json.namespaces);
    const status = JSON.parse((await prismctl('admin', 'status', '-o', 'json')).stdout);
    expect(status).toEqual((await api(a.http, 'GET', '/v1/admin/status')).json);
  }, 60_000);

  it('token revoke takes the short jti that token list shows, and names a prefix that fits no token or several', async () => {
    const created = JSON.parse(
      (await prismctl('auth', 'token', 'create', '--role', 'viewer', '--name', 'short', '--json')).stdout,
    );
    const r = await prismctl('auth', 'token', 'revoke', created.jti.slice(0, 8));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`revoked ${created.jti} (short, role viewer)`);
    const none = await prismctl('auth', 'token', 'revoke', 'ffffffffx');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      'error PRISM-CLI-003: no token that has not expired has a jti starting with "ffffffffx"',
    );
    const several = await prismctl('auth', 'token', 'revoke', '');
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/error PRISM-CLI-003: \d+ tokens have a jti starting with ""/);
  }, 60_000);
});

describe('prismctl exit statuses', () => {
  it('--help lists them', async () => {
    const r = await runBin('prismctl', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit status:\n\s+0\s+done\n\s+1\s+error: .*\n\s+2\s+usage: .*\n\s+70\s+internal error/);
  }, 60_000);

  it('2 for usage: an unknown command or option, a missing argument or required option, a format outside the choices', async () => {
    const cases = [
      [['nosuch'], "error: unknown command 'nosuch'"],
      [['proxies', '--bogus'], "error: unknown option '--bogus'"],
      [['namespace', 'get'], "error: missing required argument 'name'"],
      [['auth', 'token', 'create'], "error: required option '--role <role>' not specified"],
      [['proxies', '-o', 'yaml'], "argument 'yaml' is invalid. Allowed choices are table, wide, json."],
      [[], 'Usage: prismctl'],
    ] as const;
    for (const [args, message] of cases) {
      const r = await inProcess([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
  }, 60_000);

  it('1 for an error: the admin refuses, or cannot be reached', async () => {
    const refused = await prismctl('namespace', 'get', 'no-such-namespace');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^prismctl: error PRISM-NS-\d{3}: /);
    const unreachable = await runBin('prismctl', ['proxies', '--admin', 'http://127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('error PRISM-CLI-001: cannot reach the admin at http://127.0.0.1:1: bad port');
  }, 60_000);
});

describe('$PRISM_ADMIN, $PRISM_CA and the token file reach every command that calls the admin', () => {
  it('admin status, export, partitions plan and lb generate with no flags at all', async () => {
    const dir = mkdtempSync(join(cwd, 'operator-'));
    mkdirSync(join(dir, 'prism-local'));
    writeFileSync(join(dir, 'prism-local', 'operator.token'), `${a.token}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PRISM_')) env[k] = v;
    Object.assign(env, { PRISM_ADMIN: a.http, PRISM_CA: a.caFile });
    const run = (...args: string[]) => runBin('prismctl', args, dir, env);

    expect((await run('admin', 'status')).stdout).toMatch(/^role\s+leader$/m);
    const exported = await run('export');
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout).namespaces.length).toBeGreaterThanOrEqual(3);
    expect((await run('partitions', 'plan')).stdout).toMatch(/^Against v\d+: /m);
    const lb = await run('lb', 'generate', '--target', 'nginx', '--no-njs', '--out', join(dir, 'nginx'), '--check');
    expect(lb.code, lb.stderr).toBe(0);
    expect(lb.stdout).toMatch(/^table v\d+: \d+ nginx files render/);
  }, 60_000);
});
