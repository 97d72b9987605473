import type { IncomingHttpHeaders } from 'node:http';
import { bench, describe } from 'vitest';
import { forwardRequestHeaders, forwardResponseHeaders } from '../../proxy/src/http-headers.js';
import { BENCH, sink } from './options.js';

// As node:http hands them over: lower-case names, hop-by-hop fields included.
const request: IncomingHttpHeaders = {
  host: 'edge.prism.internal:8980',
  connection: 'keep-alive',
  'x-prism-namespace': 'team-7-orders',
  authorization: `Bearer eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.${'e'.repeat(220)}.${'s'.repeat(86)}`,
  'content-type': 'application/json',
  'content-length': '348',
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
  'user-agent': 'prism-client/1.4.2 (node 20.18.1; linux x64)',
  'x-forwarded-for': '203.0.113.9, 198.51.100.20',
  'x-forwarded-proto': 'https',
  'x-request-id': '8f7c2a9e-4b1d-4c36-9d0e-2f5a6b7c8d9e',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'cache-control': 'no-cache',
};

// An upstream response, as undici's parser hands over the raw [name, value, …] list.
const responseFields: Record<string, string | string[]> = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': '1289',
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
  date: 'Tue, 14 Jan 2025 10:12:31 GMT',
  etag: 'W/"509-kqvM0a9zX2"',
  'cache-control': 'private, max-age=0',
  vary: 'accept-encoding',
  'x-prism-owner': 'proxy-03',
  'x-request-id': '8f7c2a9e-4b1d-4c36-9d0e-2f5a6b7c8d9e',
  'set-cookie': ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/'],
};
const response: Buffer[] = Object.entries(responseFields).flatMap(([k, v]) =>
  (Array.isArray(v) ? v : [v]).flatMap((x) => [Buffer.from(k), Buffer.from(x)]),
);

describe('header rewriting', () => {
  bench(
    'forwardRequestHeaders (15 headers)',
    () => {
      sink.value = forwardRequestHeaders(request, '10.0.4.17');
    },
    BENCH,
  );
  bench(
    'baseline: { ...requestHeaders }',
    () => {
      sink.value = { ...request };
    },
    BENCH,
  );
  bench(
    'forwardResponseHeaders (11 headers)',
    () => {
      sink.value = forwardResponseHeaders(response);
    },
    BENCH,
  );
  bench(
    'baseline: the values as strings',
    () => {
      sink.value = response.map((b) => b.toString('latin1'));
    },
    BENCH,
  );
});
