import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { Agent, fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { makeTestPki, type TestPki } from '../../test-support/pki.js';

// With the admin's tls.* files the operator API serves HTTPS only, and an operator client certificate
// (spiffe://prism/operator/<name>) authenticates <name> with the role auth.operatorRoles gives it.

let pki: TestPki;
let stranger: TestPki;
beforeAll(async () => {
  [pki, stranger] = await Promise.all([
    makeTestPki({ proxies: ['proxy-a'], operators: ['alice', 'bob'] }),
    makeTestPki({ operators: ['alice'] }),
  ]);
});
afterAll(() => {
  pki.remove();
  stranger.remove();
});

const started: StartedAdmin[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const a of started.splice(0)) await a.stop();
  for (const g of agents.splice(0)) await g.close();
});
const admin = async () => {
  const a = await startAdmin({ values: { ...pki.admin(), auth: { operatorRoles: { alice: 'operator' } } } });
  started.push(a);
  return a;
};

/** A call presenting `files` as client certificate, trusting the fleet CA. */
const withCertificate = async (
  a: StartedAdmin,
  files: { certFile: string; keyFile: string },
  method: string,
  path: string,
  body?: unknown,
) => {
  const agent = new Agent({
    connect: { ca: readFileSync(pki.caFile), cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
  });
  agents.push(agent);
  const res = await fetch(`${a.http}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    dispatcher: agent,
  });
  const json = (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown>;
  return { status: res.status, json, code: json.error?.code };
};

describe('the operator API over HTTPS', () => {
  it('serves HTTPS only; bearer tokens work over it; plain HTTP gets no answer', async () => {
    const a = await admin();
    expect(a.http).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await api(a.http, 'GET', '/v1/auth/whoami')).json).toMatchObject({ principal: 'token:bootstrap' });
    await expect(fetch(`${a.http.replace('https:', 'http:')}/healthz`)).rejects.toThrow();
  });

  it("authenticates alice's operator certificate with the role auth.operatorRoles gives her, and audits cert:alice", async () => {
    const a = await admin();
    const alice = await pki.files('operator', 'alice');
    expect((await withCertificate(a, alice, 'GET', '/v1/auth/whoami')).json).toMatchObject({
      principal: 'cert:alice',
      role: 'operator',
      via: 'certificate',
    });
    const reserved = await withCertificate(a, alice, 'POST', '/v1/namespaces', { name: 'by-cert' });
    expect(reserved.status).toBe(201);
    const audit = (await api(a.http, 'GET', '/v1/audit?target=by-cert')).json.entries;
    expect(audit[0]).toMatchObject({ actor: 'cert:alice', action: 'reserve' });
    const rotate = await withCertificate(a, alice, 'POST', '/v1/keys:rotate');
    expect([rotate.status, rotate.code]).toEqual([403, 'PRISM-ACCESS-005']);
    expect(rotate.json.error?.message).toBe('POST /v1/keys:rotate needs role admin; cert:alice has role operator');
  });

  it('a valid certificate whose name has no role is 403 PRISM-ACCESS-006 naming auth.operatorRoles', async () => {
    const a = await admin();
    const r = await withCertificate(a, await pki.files('operator', 'bob'), 'GET', '/v1/proxies');
    expect([r.status, r.code]).toEqual([403, 'PRISM-ACCESS-006']);
    expect(r.json.error?.message).toContain('operator "bob", but auth.operatorRoles gives that name no role');
  });

  it('a certificate of another CA, or a proxy certificate, does not authenticate: 401 PRISM-ACCESS-007', async () => {
    const a = await admin();
    const foreign = await withCertificate(a, await stranger.files('operator', 'alice'), 'GET', '/v1/proxies');
    expect([foreign.status, foreign.code]).toEqual([401, 'PRISM-ACCESS-007']);
    expect(foreign.json.error?.message).toContain('does not verify against the fleet CA');
    const proxy = await withCertificate(a, await pki.files('proxy', 'proxy-a'), 'GET', '/v1/proxies');
    expect([proxy.status, proxy.code]).toEqual([401, 'PRISM-ACCESS-007']);
    expect(proxy.json.error?.message).toContain('names no operator');
  });
});

describe('certificate rotation on the HTTPS port', () => {
  it('new connections get the rotated admin certificate after a reload, without a restart', async () => {
    const a = await admin();
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: Number(new URL(a.http).port), ca: readFileSync(pki.caFile) });
        socket.once('secureConnect', () => {
          resolve(socket.getPeerCertificate().serialNumber);
          socket.destroy();
        });
        socket.once('error', reject);
      });
    const before = await served();
    const { serial } = await pki.rotate('admin', 'admin');
    expect(await a.admin.reloadCertificates()).toBe('reloaded');
    expect(serial).not.toBe(before);
    expect(await served()).toBe(serial);
    expect((await api(a.http, 'GET', '/v1/auth/whoami')).status).toBe(200);
  });
});
