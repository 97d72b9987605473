import fc from 'fast-check';
import { NAMESPACE_PATTERN } from '../../core/src/names.js';
import { RebalanceRequest, ReserveNamespaceRequest } from '../../proto/gen/prism/admin/v1/operator.js';
import { PrefixRule, TableRules } from '../../proto/gen/prism/admin/v1/partition.js';
import { httpArbitraries } from './http1.js';

/**
 * Request bodies for the operator API: JSON of random shapes (wrong types, deep nesting, huge strings
 * and numbers, `__proto__` keys, duplicate keys), built as text so that nothing a JSON encoder would
 * normalise away is lost; raw bytes; and protobuf encodings of the operator messages.
 */
export interface Body {
  contentType: string | null;
  /** latin1 text: one character per byte. */
  text: string;
}

const { latin1, printable } = httpArbitraries;
const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

export const validName = fc.stringMatching(NAMESPACE_PATTERN);

const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom(
    '0',
    '-0',
    '-1',
    '1.5',
    '3600',
    '86400',
    '604800',
    '604801',
    '4294967295',
    '4294967296',
    '9007199254740993',
    '18446744073709551616',
    '123456789012345678901234567890',
    '1e400',
    '-1e400',
    '1E+9999',
    '0.1e-400',
    '1e2',
  ),
);

const stringText = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => utf8(JSON.stringify(s))),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => utf8(JSON.stringify(s))),
  fc.constantFrom('"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"a\\nb"', '"\\r\\n"', '"%zz"', '"../.."', '""'),
  validName.map((n) => JSON.stringify(n)),
  fc.constantFrom(300, 70_000, 1_100_000).map((n) => `"${'s'.repeat(n)}"`),
);

const KEYS = [
  'name',
  'backends',
  'team',
  'leaseTtlSeconds',
  'lease_ttl_seconds',
  'config',
  'reason',
  'force',
  'strategy',
  'rules',
  'weights',
  'prefixRules',
  'namespacePins',
  'partitionPins',
  'prefix',
  'proxies',
  'namespace',
  'proxy',
  'partition',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
];

const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYS) }, fc.string({ maxLength: 12 }));

const deep = fc
  .constantFrom(100, 5_000, 200_000)
  .chain((n) =>
    fc.constantFrom(
      `${'['.repeat(n)}${']'.repeat(n)}`,
      `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`,
      `{"name":${'['.repeat(n)}${']'.repeat(n)}}`,
      `{"rules":{"prefixRules":${'['.repeat(n)}${']'.repeat(n)}}}`,
    ),
  );

/** JSON text of any shape, keys drawn mostly from the operator API's own field names. */
export const anyJson: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null'),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }).map((a) => `[${a.join(',')}]`),
  object: fc
    .array(fc.tuple(key, tie('value')), { maxLength: 6 })
    .map((kv) => `{${kv.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
})).value;

const backend = fc.oneof(
  fc.constantFrom(
    'http://127.0.0.1:9',
    'http://[::1]:80',
    'https://backend.example',
    'http://user:pass@host/',
    'ftp://x',
    'http://',
    'x',
    'http://a b',
    'http://127.0.0.1:99999',
    `http://${'h'.repeat(2040)}`,
    'javascript:alert(1)',
    'http://backend.example/path?q#f',
  ),
  fc.webUrl(),
);

const strategy = fc.constantFrom(
  '"STRATEGY_CONSISTENT_HASH"',
  '"STRATEGY_KEY_RANGE"',
  '"STRATEGY_EXPLICIT"',
  '"STRATEGY_UNSPECIFIED"',
  '"consistent_hash"',
  '1',
  '3',
  '99',
  '-1',
  '"x"',
);

const proxyId = fc.oneof(
  fc.constantFrom('fuzz-proxy', 'nobody', '', 'UPPER', 'a'.repeat(64)),
  fc.string({ maxLength: 8 }),
);

const rules = fc
  .record({
    prefixRules: fc.array(
      fc.record({
        prefix: fc.oneof(validName, fc.string({ maxLength: 8 })),
        proxies: fc.array(proxyId, { maxLength: 3 }),
      }),
      {
        maxLength: 3,
      },
    ),
    namespacePins: fc.array(
      fc.record({ namespace: fc.oneof(validName, fc.string({ maxLength: 8 })), proxy: proxyId }),
      { maxLength: 3 },
    ),
    partitionPins: fc.array(fc.record({ partition: fc.oneof(fc.nat(300), fc.integer()), proxy: proxyId }), {
      maxLength: 3,
    }),
  })
  .map((r) => JSON.stringify(r));

/** Fields of the operator API's requests, with plausible and wrong values. */
const FIELDS: Record<string, fc.Arbitrary<string>> = {
  name: fc.oneof(
    validName.map((n) => JSON.stringify(n)),
    stringText,
    numberText,
    fc.constant('null'),
  ),
  backends: fc.oneof(
    fc.array(backend, { maxLength: 4 }).map((b) => JSON.stringify(b)),
    anyJson,
  ),
  team: fc.oneof(stringText, numberText),
  leaseTtlSeconds: numberText,
  lease_ttl_seconds: numberText,
  config: fc.oneof(
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map((d) => JSON.stringify(d)),
    anyJson,
  ),
  reason: fc.oneof(stringText, anyJson),
  force: fc.constantFrom('true', 'false', '"true"', '1', 'null'),
  strategy,
  rules: fc.oneof(rules, anyJson),
  weights: fc.oneof(
    fc.dictionary(proxyId, fc.integer({ min: -2, max: 300 })).map((d) => JSON.stringify(d)),
    anyJson,
  ),
};

/** A JSON object with some of `fields` (plausible or wrong values), sometimes one unknown or `__proto__` key. */
export const fieldsJson = (fields: string[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.subarray(fields).chain((names) => fc.tuple(...names.map((n) => FIELDS[n].map((v) => [n, v] as const)))),
      fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'unknown', 'name'), anyJson), { freq: 4 }),
    )
    .map(([kv, extra]) => {
      const pairs = extra ? [...kv, extra] : kv;
      return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    });

const protoBytes = fc.oneof(
  fc
    .record({
      name: fc.string(),
      backends: fc.array(fc.string(), { maxLength: 3 }),
      team: fc.string(),
      leaseTtlSeconds: fc.nat(),
    })
    .map((r) => ReserveNamespaceRequest.encode(ReserveNamespaceRequest.fromPartial(r)).finish()),
  fc.record({ strategy: fc.nat(5), prefix: fc.string() }).map((r) =>
    RebalanceRequest.encode({
      expectedVersion: 0,
      strategy: r.strategy,
      rules: TableRules.fromPartial({
        prefixRules: [PrefixRule.fromPartial({ prefix: r.prefix, proxies: ['fuzz-proxy'] })],
      }),
      weights: { 'fuzz-proxy': 2 },
    }).finish(),
  ),
  fc.uint8Array({ maxLength: 64 }),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'Application/JSON',
  'application/x-protobuf',
  'application/grpc',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  '',
  ';;;',
);

/** A request body for an operator route that takes `fields`. */
export const operatorBody = (fields: string[]): fc.Arbitrary<Body> =>
  fc.oneof(
    { weight: 6, arbitrary: fieldsJson(fields).map((text) => ({ contentType: 'application/json', text })) },
    { weight: 2, arbitrary: fc.record({ contentType, text: anyJson }) },
    { weight: 1, arbitrary: deep.map((text) => ({ contentType: 'application/json', text })) },
    {
      weight: 1,
      arbitrary: fc.record({
        contentType: fc.option(contentType),
        text: fc.oneof(
          latin1(60),
          printable(60),
          fc.constantFrom('{', '{"name":', 'nul', '[1,]', '{"a":1}{"b":2}', '\ufeff{}'),
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        contentType: fc.constantFrom('application/x-protobuf', 'application/json', 'application/grpc'),
        text: protoBytes.map((b) => Buffer.from(b).toString('latin1')),
      }),
    },
  );
