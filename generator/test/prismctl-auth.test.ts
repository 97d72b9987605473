import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { makeTestPki, type TestPki } from '../../test-support/pki.js';
import { runBin } from '../../test-support/run.js';

// How prismctl finds its operator credentials: --token-file, $PRISM_TOKEN, prism-local/operator.token
// in the current directory; --ca (and --cert/--key) when the admin serves HTTPS.

/** The environment without anything that would hand prismctl credentials by accident. */
const cleanEnv = (extra: Record<string, string> = {}) => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PRISM_')) env[k] = v;
  return { ...env, ...extra };
};

let a: StartedAdmin;
let cwd: string;
beforeAll(async () => {
  a = await startAdmin();
  cwd = mkdtempSync(join(tmpdir(), 'prismctl-auth-'));
});
afterAll(async () => {
  await a.stop();
  rmSync(cwd, { recursive: true, force: true });
});
const prismctl = (args: string[], env: Record<string, string> = {}, dir = cwd) =>
  runBin(
    'prismctl',
    [...args, '--admin', a.http, ...(args.includes('--ca') ? [] : ['--ca', a.caFile])],
    dir,
    cleanEnv(env),
  );

describe('prismctl finds its token', () => {
  it('with none, a coded error names the three ways to give one (exit 1)', async () => {
    const r = await prismctl(['proxies']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error PRISM-ACCESS-009: the admin at');
    expect(r.stderr).toContain(
      'fix: Give prismctl a token in one of three ways: --token-file FILE, the environment variable PRISM_TOKEN, or the file prism-local/operator.token',
    );
  });

  it('reads prism-local/operator.token in the current directory (what npm start writes), $PRISM_TOKEN over it, --token-file over both', async () => {
    const dir = mkdtempSync(join(cwd, 'project-'));
    mkdirSync(join(dir, 'prism-local'));
    writeFileSync(join(dir, 'prism-local', 'operator.token'), `${a.token}\n`, { mode: 0o600 });
    expect((await prismctl(['auth', 'whoami'], {}, dir)).stdout).toMatch(/^token:bootstrap role admin, token expires /);

    const created = await prismctl(
      ['auth', 'token', 'create', '--role', 'viewer', '--name', 'vera', '--json'],
      {},
      dir,
    );
    expect(created.code).toBe(0);
    const vera = JSON.parse(created.stdout);
    expect(vera).toMatchObject({ name: 'vera', role: 'viewer', createdBy: 'token:bootstrap' });
    expect((await prismctl(['auth', 'whoami'], { PRISM_TOKEN: vera.token }, dir)).stdout).toMatch(
      /^token:vera role viewer/,
    );
    expect(
      (await prismctl(['auth', 'whoami', '--token-file', a.tokenFile], { PRISM_TOKEN: vera.token }, dir)).stdout,
    ).toMatch(/^token:bootstrap role admin/);
    const missing = await prismctl(['proxies', '--token-file', join(dir, 'none.token')]);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringContaining('error PRISM-ACCESS-009: cannot read --token-file'),
    ]);
  });

  it('trusts prism-local/ca.crt in the current directory (what npm start writes) when no --ca or $PRISM_CA is given', async () => {
    const dir = mkdtempSync(join(cwd, 'project-'));
    mkdirSync(join(dir, 'prism-local'));
    writeFileSync(join(dir, 'prism-local', 'operator.token'), `${a.token}\n`, { mode: 0o600 });
    const bare = await runBin('prismctl', ['auth', 'whoami', '--admin', a.http], dir, cleanEnv());
    expect([bare.code, bare.stderr]).toEqual([1, expect.stringContaining('Pass --ca FILE (or $PRISM_CA)')]);
    writeFileSync(join(dir, 'prism-local', 'ca.crt'), readFileSync(a.caFile));
    const found = await runBin('prismctl', ['auth', 'whoami', '--admin', a.http], dir, cleanEnv());
    expect(found.stdout).toMatch(/^token:bootstrap role admin/);
  });
});

describe('prismctl auth token create, list, revoke', () => {
  it('prints the token alone on stdout, its facts on stderr; a revoked token stops working', async () => {
    const created = await prismctl([
      'auth',
      'token',
      'create',
      '--role',
      'operator',
      '--name',
      'ci',
      '--ttl',
      '2h',
      '--token-file',
      a.tokenFile,
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const jti = /jti ([0-9a-f-]{36})/.exec(created.stderr)?.[1] as string;
    expect(created.stderr).toContain('token for ci, role operator, jti');
    const ci = { PRISM_TOKEN: created.stdout.trim() };
    expect((await prismctl(['namespace', 'reserve', 'from-ci'], ci)).code).toBe(0);
    const forbidden = await prismctl(['auth', 'token', 'list'], ci);
    expect([forbidden.code, forbidden.stderr]).toEqual([
      1,
      expect.stringContaining(
        'error PRISM-ACCESS-005: GET /v1/auth/tokens needs role admin; token:ci has role operator',
      ),
    ]);

    // The default table shows the jti's first 8 characters (enough for revoke), -o wide all of it.
    const list = await prismctl(['auth', 'token', 'list', '--token-file', a.tokenFile]);
    expect(list.stdout).toMatch(
      new RegExp(`^${jti.slice(0, 8)}\\s+ci\\s+operator\\s+\\S+\\s+valid\\s+token:bootstrap$`, 'm'),
    );
    const wide = await prismctl(['auth', 'token', 'list', '-o', 'wide', '--token-file', a.tokenFile]);
    expect(wide.stdout).toMatch(
      new RegExp(`^${jti}\\s+ci\\s+operator\\s+\\S+\\s+\\S+\\s+valid\\s+token:bootstrap$`, 'm'),
    );
    const revoked = await prismctl(['auth', 'token', 'revoke', jti, '--token-file', a.tokenFile]);
    expect([revoked.code, revoked.stdout]).toEqual([
      0,
      expect.stringMatching(new RegExp(`^revoked ${jti} \\(ci, role operator\\)`)),
    ]);
    const after = await prismctl(['namespace', 'get', 'from-ci'], ci);
    expect([after.code, after.stderr]).toEqual([1, expect.stringContaining('error PRISM-ACCESS-004')]);
  }, 60_000);

  it('refuses a TTL or role it cannot use before calling the admin', async () => {
    const ttl = await prismctl([
      'auth',
      'token',
      'create',
      '--role',
      'viewer',
      '--ttl',
      '5x',
      '--token-file',
      a.tokenFile,
    ]);
    expect([ttl.code, ttl.stderr]).toEqual([
      1,
      expect.stringContaining('error PRISM-ACCESS-008: --ttl "5x" is not a duration'),
    ]);
    const role = await prismctl(['auth', 'token', 'create', '--role', 'root', '--token-file', a.tokenFile]);
    expect([role.code, role.stderr]).toEqual([1, expect.stringContaining('error PRISM-ACCESS-008: --role "root"')]);
  });
});

describe('prismctl against an admin that serves HTTPS', () => {
  let pki: TestPki;
  let secure: StartedAdmin;
  let proxy: FakeProxy;
  beforeAll(async () => {
    pki = await makeTestPki({ proxies: ['proxy-a'], operators: ['alice'] });
    secure = await startAdmin({ values: { ...pki.admin(), auth: { operatorRoles: { alice: 'admin' } } } });
    proxy = new FakeProxy(secure.grpc, 'proxy-a', { credentials: await pki.credentials('proxy', 'proxy-a') });
    await proxy.tableAt(1);
  });
  afterAll(async () => {
    proxy.kill();
    await secure.stop();
    pki.remove();
  });
  const run = (args: string[], env: Record<string, string> = {}) =>
    runBin('prismctl', [...args, '--admin', secure.http], cwd, cleanEnv(env));

  it('needs the fleet CA to trust the admin: --ca or $PRISM_CA', async () => {
    const untrusted = await run(['proxies', '--token-file', secure.tokenFile]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain(`error PRISM-CLI-001: cannot reach the admin at ${secure.http}`);
    expect(untrusted.stderr).toContain('fix: Pass --ca FILE (or $PRISM_CA) with the fleet CA');
    expect((await run(['proxies', '--token-file', secure.tokenFile, '--ca', pki.caFile])).stdout).toMatch(
      /^proxy-a\s+healthy/m,
    );
    expect((await run(['auth', 'whoami', '--token-file', secure.tokenFile], { PRISM_CA: pki.caFile })).stdout).toMatch(
      /^token:bootstrap role admin/,
    );
  });

  it('authenticates with an operator certificate alone (--cert/--key), and lb generate reads the table with it', async () => {
    const alice = await pki.files('operator', 'alice');
    const cert = ['--ca', pki.caFile, '--cert', alice.certFile, '--key', alice.keyFile];
    expect((await run(['auth', 'whoami', ...cert])).stdout).toBe('cert:alice role admin\n');
    const out = mkdtempSync(join(cwd, 'lb-'));
    const lb = await run(['lb', 'generate', '--target', 'haproxy', '--out', out, ...cert]);
    expect(lb.code).toBe(0);
    expect(lb.stdout).toMatch(/^table v\d+: wrote /);
    const half = await run(['auth', 'whoami', '--ca', pki.caFile, '--cert', alice.certFile]);
    expect([half.code, half.stderr]).toEqual([
      1,
      expect.stringContaining(
        'error PRISM-CONFIG-002: tls.certFile (--cert) and tls.keyFile (--key) must be given together',
      ),
    ]);
  });
});
