import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Enum, Root, Type } from 'protobufjs';
import { PrismError } from '../../../../core/src/errors.js';

export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** Everything a Prism resource uses, with what it imports (about 370 ms to load: only `lb xds` pays it). */
const FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/router/cluster_specifiers/lua/v3/lua.proto',
  'envoy/extensions/clusters/aggregate/v3/cluster.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
];

/** A google.protobuf.Any as protobufjs takes it. */
export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

let loaded: Promise<Root> | undefined;

/**
 * Envoy's v3 protos as grpc-js-xds loads them (its deps/ folders, keepCase), loaded once on first use.
 * The common protos (descriptor.proto) come with proto-loader's addCommonProtos.
 */
export function envoyProtos(): Promise<Root> {
  loaded ??= (async () => {
    const { addCommonProtos, loadProtosWithOptionsSync } = await import('@grpc/proto-loader/build/src/util.js');
    addCommonProtos();
    const deps = join(dirname(createRequire(import.meta.url).resolve('@grpc/grpc-js-xds/package.json')), 'deps');
    const root = loadProtosWithOptionsSync(FILES, {
      keepCase: true,
      includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d)),
    });
    root.resolveAll();
    return root;
  })();
  return loaded;
}

const bad = (path: string, what: string) => new PrismError('PRISM-LB-022', `${path}: ${what}`);

/** "2s", "0.25s", "0s" (proto3 JSON) as google.protobuf.Duration. */
function duration(value: unknown, path: string) {
  const m = typeof value === 'string' ? /^(\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (!m) throw bad(path, `${JSON.stringify(value)} is not a duration like "2s"`);
  return { seconds: Number(m[1]), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

const isEnum = (t: Type | Enum): t is Enum => 'values' in t && !('fields' in t);

/**
 * Proto3 JSON as envoy.yaml writes it (snake_case names, "2s" durations, bare numbers for wrapper
 * types, "@type" in Any) to the object protobufjs encodes. An unknown field or enum value is an
 * error (PRISM-LB-022), never dropped: the Envoy would run something else than the file output.
 */
function convert(type: Type, json: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key];
    if (!field) throw bad(path, `${type.fullName.slice(1)} has no field ${key}`);
    if (field.map) throw bad(`${path}.${key}`, 'map fields are not supported');
    const one = (v: unknown, p: string): unknown => {
      const t = field.resolve().resolvedType;
      if (!t) return v;
      if (isEnum(t)) {
        const n = t.values[String(v)];
        if (n === undefined) throw bad(p, `${JSON.stringify(v)} is not a value of ${t.fullName.slice(1)}`);
        return n;
      }
      const name = t.fullName;
      if (name === '.google.protobuf.Duration') return duration(v, p);
      if (name === '.google.protobuf.Any') return anyOf(t.root as Root, v as Record<string, unknown>, p);
      if (/^\.google\.protobuf\.\w+Value$/.test(name) && 'value' in t.fields) return { value: v };
      return convert(t, v as Record<string, unknown>, p);
    };
    out[key] = field.repeated
      ? (value as unknown[]).map((v, i) => one(v, `${path}.${key}[${i}]`))
      : one(value, `${path}.${key}`);
  }
  return out;
}

/** `{ "@type": "type.googleapis.com/NAME", ...fields }` as an encoded Any. */
export function anyOf(root: Root, json: Record<string, unknown>, path = 'resource'): AnyMessage {
  const { '@type': url, ...fields } = json;
  if (typeof url !== 'string') throw bad(path, 'an Any without "@type"');
  let type: Type;
  try {
    type = root.lookupType(url.slice(url.lastIndexOf('/') + 1));
  } catch {
    throw bad(path, `${url} is not a message type of the loaded Envoy protos`);
  }
  const message = type.fromObject(convert(type, fields, `${path}<${type.name}>`));
  return { type_url: url, value: type.encode(message).finish() };
}
