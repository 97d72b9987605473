import { Agent, createServer, type IncomingMessage, type RequestOptions, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import proxy from 'http2-proxy';
import { Pool } from 'undici';

/**
 * One server per process, so each one's CPU time can be read from /proc:
 *   backend                  answers 16 bytes
 *   undici <backendPort>          node:http front, undici Pool.request() upstream
 *   undici-stream <backendPort>   the same with Pool.stream()
 *   undici-dispatch <backendPort> the same with Pool.dispatch() and a handler of undici's new API
 *   undici-core <backendPort>     the same with the callbacks undici's core calls (onHeaders with the
 *                                 raw header list, as prism-proxy does): the leanest Node hop here
 *   http2-proxy <backendPort> node:http front, http2-proxy with a keep-alive http.Agent upstream
 * Prints the bound port on stdout.
 */
const [role, upstreamPort] = process.argv.slice(2);
const body = Buffer.from('0123456789abcdef');
let handler: (req: IncomingMessage, res: ServerResponse) => void;

if (role === 'backend') {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  };
} else if (role === 'undici') {
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64, keepAliveTimeout: 10_000 });
  handler = (req, res) => {
    pool
      .request({
        method: req.method as 'GET',
        path: req.url ?? '/',
        headers: { 'x-prism-namespace': String(req.headers['x-prism-namespace'] ?? '') },
        body: null,
      })
      .then(
        (up) => {
          res.writeHead(up.statusCode, up.headers as Record<string, string>);
          pipeline(up.body, res, () => undefined);
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
  };
} else if (role === 'undici-stream') {
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64, keepAliveTimeout: 10_000 });
  handler = (req, res) => {
    pool.stream(
      {
        method: req.method as 'GET',
        path: req.url ?? '/',
        headers: { 'x-prism-namespace': String(req.headers['x-prism-namespace'] ?? '') },
        opaque: res,
      },
      ({ statusCode, headers, opaque }) => {
        const out = opaque as ServerResponse;
        out.writeHead(statusCode, headers as Record<string, string>);
        return out;
      },
      (err) => {
        if (err && !res.headersSent) {
          res.writeHead(502);
          res.end();
        }
      },
    );
  };
} else if (role === 'undici-dispatch') {
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64, keepAliveTimeout: 10_000 });
  handler = (req, res) => {
    pool.dispatch(
      {
        method: req.method as 'GET',
        path: req.url ?? '/',
        headers: { 'x-prism-namespace': String(req.headers['x-prism-namespace'] ?? '') },
      },
      {
        // undici takes a handler for its new API only when onRequestStart is present.
        onRequestStart() {},
        onResponseStart(_c, statusCode, headers) {
          res.writeHead(statusCode, headers as Record<string, string>);
        },
        onResponseData(c, chunk) {
          if (!res.write(chunk)) {
            c.pause();
            res.once('drain', () => c.resume());
          }
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError() {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        },
      },
    );
  };
} else if (role === 'undici-core') {
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64, keepAliveTimeout: 10_000 });
  handler = (req, res) => {
    let resume: () => void = () => undefined;
    pool.dispatch(
      {
        method: req.method as 'GET',
        path: req.url ?? '/',
        headers: ['x-prism-namespace', String(req.headers['x-prism-namespace'] ?? '')],
      },
      {
        onConnect() {},
        onHeaders(statusCode, raw, r) {
          resume = r;
          const h: string[] = [];
          for (let i = 0; i < raw.length; i += 2) {
            const key = raw[i].toString('latin1');
            if (key.length !== 10 || (key.toLowerCase() !== 'connection' && key.toLowerCase() !== 'keep-alive'))
              h.push(key, raw[i + 1].toString('latin1'));
          }
          res.writeHead(statusCode, h as unknown as Record<string, string>);
          return true;
        },
        onData(chunk) {
          if (res.write(chunk)) return true;
          res.once('drain', () => resume());
          return false;
        },
        onComplete() {
          res.end();
        },
        onError() {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        },
      },
    );
  };
} else if (role === 'http2-proxy') {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  handler = (req, res) => {
    const onReq = async (_req: IncomingMessage, options: RequestOptions) => {
      options.agent = agent;
    };
    proxy.web(req, res, { hostname: '127.0.0.1', port: Number(upstreamPort), onReq }, (err) => {
      if (err && !res.headersSent) {
        res.writeHead(502);
        res.end();
      }
    });
  };
} else {
  throw new Error(`unknown role ${role}`);
}

const server = createServer({ keepAliveTimeout: 10_000 }, handler);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
