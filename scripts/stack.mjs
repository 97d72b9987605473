#!/usr/bin/env node
// The main job: the local Prism Edge stack on the embedded default. An admin on SQLite, three
// proxies, a demo backend, demo namespaces, load-balancer configs for HAProxy, NGINX and Envoy, and
// HAProxy in front when it is installed. Secure by default, as in production: a fleet PKI in
// prism-local/pki (made on the first start, reused after), mTLS between the admin and the proxies,
// the operator API over HTTPS with a token. Prints what to curl; Ctrl-C stops everything.
// With --ha: a 3-member etcd cluster on loopback and three admins on it instead of the one on SQLite
// (one leads; the proxies list all three), and how to kill the leader and watch another take over.
// Usage: npm start [-- --dir prism-local] [--no-haproxy] [--ha]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent } from 'undici';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const dir = resolve(args.includes('--dir') ? args[args.indexOf('--dir') + 1] : 'prism-local');
const withHaproxy = !args.includes('--no-haproxy');
const ha = args.includes('--ha');
const children = [];
const etcdChildren = [];
const show = (p) => relative(process.cwd(), p) || '.';

const { generate } = await import(join(root, 'dist/generator/src/lb/generate.js'));
const { parseTable } = await import(join(root, 'dist/core/src/table.js'));
const { caFiles, initPki, issueCertificate, leafFiles } = await import(join(root, 'dist/generator/src/pki/pki.js'));
const PROXY_IDS = ['proxy-a', 'proxy-b', 'proxy-c'];

/** The fleet PKI in `pki`: made on the first start (prismctl certs init), reused after; missing leaves added. */
async function fleetPki(pki) {
  if (!existsSync(caFiles(pki).certFile)) {
    await initPki({ out: pki, proxies: PROXY_IDS.map((id) => ({ id })) });
    return { made: true };
  }
  for (const id of PROXY_IDS) {
    if (!existsSync(leafFiles(pki, 'proxy', id).certFile)) await issueCertificate({ ca: pki, role: 'proxy', name: id });
  }
  return { made: false };
}

/** Writes `value` as a JSON config file and returns its path. */
function configFile(path, value) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

function freePort(preferred) {
  return new Promise((res) => {
    const s = createNetServer();
    s.once('error', () => {
      const t = createNetServer();
      t.listen(0, '127.0.0.1', () => {
        const { port } = t.address();
        t.close(() => res(port));
      });
    });
    s.listen(preferred, '127.0.0.1', () => s.close(() => res(preferred)));
  });
}

/** Starts a bin/ program and resolves with the JSON log line that says it listens (and its pid). */
function startProgram(name, argv, message) {
  const child = spawn(process.execPath, [join(root, 'bin', name), ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  return new Promise((res, rej) => {
    child.once('exit', (code) => rej(new Error(`${name} exited with ${code}`)));
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === message) res({ ...entry, pid: child.pid });
        else if (entry.level >= 40) process.stderr.write(`${name}: ${entry.msg}\n`);
      } catch {
        process.stdout.write(`${line}\n`);
      }
    });
  });
}

/**
 * --ha: three etcd members on loopback (data in `haDir`, fresh on every start), with the raft timers
 * that let etcd honour a 1 s lease TTL (docs/etcd.md): the admins' leader lease, so another admin leads
 * about a second after the leader dies. Resolves with the client URLs once every member is healthy.
 */
async function startEtcd(haDir) {
  try {
    execFileSync('etcd', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('--ha needs etcd (3.4+), which is not installed: npm run setup installs it (Debian etcd-server)');
  }
  const members = [];
  for (let i = 1; i <= 3; i++) {
    members.push({
      name: `m${i}`,
      client: `http://127.0.0.1:${await freePort(i * 10_000 + 2379)}`,
      peer: `http://127.0.0.1:${await freePort(i * 10_000 + 2380)}`,
    });
  }
  const cluster = members.map((m) => `${m.name}=${m.peer}`).join(',');
  const clusterToken = `prism-local-${process.pid}-${Date.now()}`;
  for (const m of members) {
    const child = spawn(
      'etcd',
      [
        ...['--name', m.name, '--data-dir', join(haDir, 'etcd', m.name)],
        ...['--listen-client-urls', m.client, '--advertise-client-urls', m.client],
        ...['--listen-peer-urls', m.peer, '--initial-advertise-peer-urls', m.peer],
        ...['--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', clusterToken],
        ...['--heartbeat-interval', '50', '--election-timeout', '500', '--logger', 'zap', '--log-level', 'error'],
      ],
      // Its own process group: Ctrl-C reaches the admins first, and stop() ends etcd after them.
      { stdio: ['ignore', 'ignore', 'inherit'], detached: true },
    );
    children.push(child);
    etcdChildren.push(child);
    m.pid = child.pid;
  }
  for (let i = 0; ; i++) {
    const healthy = await Promise.all(
      members.map((m) =>
        fetch(`${m.client}/health`, { signal: AbortSignal.timeout(1_000) })
          .then((r) => r.json())
          .then((b) => b.health === 'true')
          .catch(() => false),
      ),
    );
    if (healthy.every(Boolean)) return members;
    if (i === 150) throw new Error('the etcd members did not become healthy within 15 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

let token = '';
let dispatcher;
async function api(base, method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body && JSON.stringify(body),
    dispatcher,
  });
  return { status: r.status, json: await r.json() };
}

/** SIGTERM to each, by PID, and waits for them to exit; SIGKILL to those still running after `graceMs`. */
async function terminate(list, graceMs = Number.POSITIVE_INFINITY) {
  const running = list.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running.reverse()) c.kill('SIGTERM');
  const late = Number.isFinite(graceMs)
    ? setTimeout(() => {
        for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }, graceMs)
    : undefined;
  await Promise.all(running.map((c) => once(c, 'exit')));
  clearTimeout(late);
}

async function stop() {
  // etcd last: the admins resign and withdraw their proxies' presence on the way out.
  await terminate(children.filter((c) => !etcdChildren.includes(c)));
  // A member stopping while the others stop too waits seconds for a leader transfer; its data is
  // thrown away at the next start anyway.
  await terminate(etcdChildren, 2_000);
  backend?.close();
  await dispatcher?.close();
}

let backend;
try {
  mkdirSync(dir, { recursive: true });
  backend = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ backend: 'demo', namespace: req.headers['x-prism-namespace'], path: req.url }));
    });
  });
  await new Promise((r) => backend.listen(0, '127.0.0.1', r));
  const backendUrl = `http://127.0.0.1:${backend.address().port}`;

  // The admin writes its first admin token into its data directory on the first start; when that file
  // is gone (deleted after a first run), it writes a new one and revokes the old.
  const pki = join(dir, 'pki');
  const { made } = await fleetPki(pki);
  // Where prismctl looks for the CA when run from the project root: prism-local/ca.crt.
  const caFile = join(dir, 'ca.crt');
  copyFileSync(caFiles(pki).certFile, caFile);
  dispatcher = new Agent({ connect: { ca: readFileSync(caFile) } });
  const ca = caFiles(pki).certFile;
  const adminCert = leafFiles(pki, 'admin', 'admin');
  const adminConfig = configFile(join(dir, 'admin.json'), {
    tls: { caFile: ca, certFile: adminCert.certFile, keyFile: adminCert.keyFile },
    // The demo fleet forms in one round; a running fleet moves partitions in rounds (docs/fleet-changes.md).
    rebalance: { maxMovePercent: 100, settleMs: 0 },
  });
  let adminData = join(dir, 'admin-data');
  let bootstrap = join(adminData, 'operator-admin.token');
  const admins = [];
  let etcdMembers = [];
  if (ha) {
    const haDir = join(dir, 'ha');
    rmSync(haDir, { recursive: true, force: true });
    etcdMembers = await startEtcd(haDir);
    adminData = join(haDir, 'admin-1');
    bootstrap = join(adminData, 'operator-admin.token');
    for (let i = 1; i <= 3; i++) {
      const config = configFile(join(dir, `admin-${i}.json`), {
        tls: { caFile: ca, certFile: adminCert.certFile, keyFile: adminCert.keyFile },
        rebalance: { maxMovePercent: 100, settleMs: 0 },
        etcd: { endpoints: etcdMembers.map((m) => m.client), adminId: `admin-${i}`, leaderTtlSeconds: 1 },
      });
      const port = await freePort(8981 + i);
      admins.push(
        await startProgram(
          'prism-admin.js',
          [
            ...['--config', config, '--data-dir', join(haDir, `admin-${i}`)],
            ...['--grpc-listen', '127.0.0.1:0', '--http-listen', `127.0.0.1:${port}`],
          ],
          'prism-admin listening',
        ),
      );
    }
  } else {
    const port = await freePort(8982);
    admins.push(
      await startProgram(
        'prism-admin.js',
        [
          '--config',
          adminConfig,
          '--data-dir',
          adminData,
          '--grpc-listen',
          '127.0.0.1:0',
          '--http-listen',
          `127.0.0.1:${port}`,
          ...(existsSync(bootstrap) ? [] : ['--new-bootstrap-token']),
        ],
        'prism-admin listening',
      ),
    );
  }
  const admin = admins[0];
  const adminHttp = admin.url ?? `http://${admin.http}`;
  token = readFileSync(bootstrap, 'utf8').trim();
  // Where prismctl looks when run from the project root: prism-local/operator.token (0600).
  const tokenFile = join(dir, 'operator.token');
  writeFileSync(`${tokenFile}.tmp`, `${token}\n`, { mode: 0o600 });
  chmodSync(`${tokenFile}.tmp`, 0o600);
  renameSync(`${tokenFile}.tmp`, tokenFile);
  const proxies = [];
  for (const [i, id] of PROXY_IDS.entries()) {
    const own = leafFiles(pki, 'proxy', id);
    const proxyConfig = configFile(join(dir, `${id}.json`), {
      controlPlane: { tls: { caFile: ca, certFile: own.certFile, keyFile: own.keyFile } },
    });
    proxies.push(
      await startProgram(
        'prism-proxy.js',
        [
          '--config',
          proxyConfig,
          '--id',
          id,
          '--listen',
          '127.0.0.1:0',
          '--ops-listen',
          '127.0.0.1:0',
          '--admin',
          // Each proxy lists every admin, starting with a different one (--ha): they fail over between them.
          admins.map((_, j) => admins[(i + j) % admins.length].grpc).join(','),
          '--state-dir',
          join(dir, id),
        ],
        'prism-proxy listening',
      ),
    );
    // One join at a time: two at once would move more than rebalance.approvalThreshold and wait for an operator.
    for (let i = 0; i < 100; i++) {
      const r = await api(adminHttp, 'GET', '/v1/partition-table');
      if (r.status === 200 && r.json.proxies?.some((p) => p.id === id)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const names = ['orders-prod', 'acme-billing', 'eu-payments', 'test-namespace', 'users', 'carts'];
  for (const name of names) {
    const r = await api(adminHttp, 'POST', '/v1/namespaces', { name, backends: [backendUrl], team: 'demo' });
    if (r.status !== 201 && r.json.error?.code !== 'PRISM-NS-004')
      throw new Error(`reserving ${name}: ${JSON.stringify(r.json)}`);
  }
  let table;
  for (let i = 0; i < 100; i++) {
    const r = await api(adminHttp, 'GET', '/v1/partition-table');
    if (r.status === 200 && r.json.proxies?.length === 3) {
      table = parseTable(r.json);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!table) throw new Error('the three proxies did not register');
  await new Promise((r) => setTimeout(r, 300));

  const listenPort = await freePort(8080);
  const model = {
    listen: `127.0.0.1:${listenPort}`,
    missingNamespace: 'reject',
    hashBalanceFactor: 0,
    healthCheckIntervalMs: 2000,
    nginxNjs: true,
  };
  const written = {};
  for (const target of ['haproxy', 'nginx', 'envoy']) {
    const out = join(dir, 'lb', target);
    const result = await generate({ ...model, table, namespaces: names, target, outDir: out });
    written[target] =
      `${show(out)} (${result.check.skipped ? `not checked: ${result.check.skipped}` : `checked by ${target}`})`;
  }
  let front = `http://${proxies[0].data}`;
  let haproxyNote = 'HAProxy is not installed (npm run setup installs it): curl a proxy directly';
  if (withHaproxy) {
    try {
      execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
      const hp = spawn('haproxy', ['-db', '-f', join(dir, 'lb', 'haproxy', 'haproxy.cfg')], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(hp);
      await new Promise((r) => setTimeout(r, 500));
      if (hp.exitCode === null) {
        front = `http://127.0.0.1:${listenPort}`;
        haproxyNote = `HAProxy (pid ${hp.pid}) routes each namespace to its owner on ${front}`;
      }
    } catch {}
  }

  // A read-only token for the status page, in the link's fragment (never sent to a server, and the
  // page takes it out of the address bar).
  const viewer = await api(adminHttp, 'POST', '/v1/auth/tokens', {
    role: 'viewer',
    name: 'status-page',
    ttlSeconds: 43_200,
  });
  const statusLink = viewer.status === 201 ? `${adminHttp}/#token=${encodeURIComponent(viewer.json.token)}` : adminHttp;

  const local = resolve(dir) === resolve('prism-local');
  let adminLines = `  admin       gRPC ${admin.grpc} (mTLS)   HTTPS ${adminHttp}   (SQLite in ${show(adminData)})`;
  let failover = '';
  if (ha) {
    let leaderId = '';
    for (let i = 0; i < 100 && !leaderId; i++) {
      const r = await api(adminHttp, 'GET', '/v1/admin/status');
      leaderId = r.status === 200 ? r.json.leaderId : '';
      if (!leaderId) await new Promise((r) => setTimeout(r, 100));
    }
    const leader = admins.find((a) => a.admin === leaderId) ?? admins[0];
    const other = admins.find((a) => a !== leader);
    adminLines = [
      ...admins.map(
        (a) =>
          `  ${a.admin.padEnd(11)} pid ${a.pid}   gRPC ${a.grpc} (mTLS)   HTTPS ${a.url}${a === leader ? '   (leader)' : ''}`,
      ),
      `  etcd        ${etcdMembers.map((m) => `${m.name} pid ${m.pid} ${m.client}`).join('   ')}`,
      `              (raft timers 50/500 ms, data in ${show(join(dir, 'ha'))}, fresh on every start; admins' leader lease 1 s)`,
    ].join('\n');
    const watchFlags = ` --admin ${other.url}${local ? '' : ` --ca ${show(caFile)} --token-file ${show(tokenFile)}`}`;
    failover = `
Failover (docs/etcd.md): kill the leader; another admin leads about a second later, the proxies that were
on it move to another admin, and reservations go on (on any admin):
  watch -n 0.5 node bin/prismctl.js admin status${watchFlags}    # in another terminal
  kill -9 ${leader.pid}                                               # ${leader.admin}, the leader
`;
  }
  const prismctlFlags = [
    adminHttp === 'https://127.0.0.1:8982' ? '' : ` --admin ${adminHttp}`,
    local ? '' : ` --ca ${show(caFile)} --token-file ${show(tokenFile)}`,
  ].join('');
  console.log(`
Prism Edge local stack is up (data in ${show(dir)})

${adminLines}
  status page ${statusLink}
              (a viewer token for 12 h; the browser warns about the fleet CA unless you trust ${show(caFile)})
  token       ${show(tokenFile)}: an admin token for the operator API (0600); ${
    local ? 'prismctl finds it when run from here' : `prismctl --token-file ${show(tokenFile)}`
  }
  CA          ${show(caFile)}: the fleet CA the admin's HTTPS certificate chains to; ${
    local ? 'prismctl finds it when run from here' : `prismctl --ca ${show(caFile)}`
  }
  PKI         ${show(pki)} (${made ? 'made now' : 'reused'}): the CA and the admin's and proxies' certificates; ca.key stays here
${proxies.map((p) => `  ${p.id.padEnd(11)} data http://${p.data}   ops http://${p.ops}`).join('\n')}
  backend     ${backendUrl}
  ${haproxyNote}

Load-balancer configs (table v${table.version}):
${Object.entries(written)
  .map(([t, w]) => `  ${t.padEnd(8)} ${w}`)
  .join('\n')}

Try:
  curl -si ${front}/hello -H 'X-Prism-Namespace: orders-prod'        # X-Prism-Served-By names the owner
  curl -si http://${proxies[0].data}/hello -H 'X-Prism-Namespace: eu-payments'   # any proxy forwards to the owner
  curl -s --cacert ${show(caFile)} ${adminHttp}/v1/partition-table -H "Authorization: Bearer $(cat ${show(tokenFile)})" | head -c 300
  node bin/prismctl.js proxies${prismctlFlags}
  node bin/prismctl.js namespace reserve my-ns --backend ${backendUrl}${prismctlFlags}
${failover}
Ctrl-C stops everything.`);
  await new Promise((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  console.log('\nstopping…');
  await stop();
} catch (err) {
  console.error(`prism local stack failed: ${err.message}`);
  await stop();
  process.exitCode = 1;
}
