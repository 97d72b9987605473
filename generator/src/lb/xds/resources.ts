import { createHash } from 'node:crypto';
import type { Root } from 'protobufjs';
import { parse } from 'yaml';
import { PrismError } from '../../../../core/src/errors.js';
import type { LbModel } from '../model.js';
import { renderTarget } from '../render.js';
import { envoyTarget } from '../targets/envoy.js';
import { type AnyMessage, anyOf, CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE } from './protos.js';

/** The name of the listener and of the route configuration it takes over RDS (both "prism" in envoy.yaml). */
export const XDS_LISTENER = 'prism';
export const XDS_ROUTE = 'prism';

/** One encoded resource and a digest of its bytes (equal digests: Envoy already has it). */
export interface XdsResource {
  name: string;
  any: AnyMessage;
  digest: string;
}

/** What every Envoy should run for one table version. */
export interface XdsSnapshot {
  version: number;
  listener: XdsResource;
  route: XdsResource;
  /** By cluster name, sorted. */
  clusters: Map<string, XdsResource>;
}

type Json = Record<string, unknown>;

const resource = (name: string, any: AnyMessage): XdsResource => ({
  name,
  any,
  digest: createHash('sha256').update(any.value).digest('base64url'),
});

const missing = (what: string) => new PrismError('PRISM-LB-022', `the rendered envoy.yaml has no ${what}`);

/** The listener, its route configuration and the clusters of the envoy.yaml `lb generate --target envoy` writes. */
interface EnvoyFile {
  listener: Json;
  hcm: Json;
  routeConfig: Json;
  clusters: Json[];
}

function envoyFile(model: LbModel): EnvoyFile {
  const text = renderTarget(envoyTarget, model, { outDir: '' }).get('envoy.yaml') ?? '';
  const file = parse(text) as { static_resources?: { listeners?: Json[]; clusters?: Json[] } };
  const listener = file?.static_resources?.listeners?.find((l) => l.name === XDS_LISTENER);
  if (!listener) throw missing(`listener ${XDS_LISTENER}`);
  const chains = listener.filter_chains as { filters?: Json[] }[] | undefined;
  const hcm = chains?.[0]?.filters?.[0]?.typed_config as Json | undefined;
  const routeConfig = hcm?.route_config as Json | undefined;
  if (!hcm || !routeConfig) throw missing('route_config in the http_connection_manager of its listener');
  return { listener, hcm, routeConfig, clusters: file.static_resources?.clusters ?? [] };
}

/**
 * The Lua cluster specifier's source in the envoy.yaml that `lb generate --target envoy` renders for
 * the same model: the file output and xDS run one routing program.
 */
export function luaSource(model: LbModel): string {
  const { routeConfig } = envoyFile(model);
  const routes = (routeConfig.virtual_hosts as { routes?: Json[] }[] | undefined)?.[0]?.routes ?? [];
  const owner = routes.find((r) => r.name === 'owner')?.route as Json | undefined;
  const plugin = owner?.inline_cluster_specifier_plugin as
    | { extension?: { typed_config?: { source_code?: { inline_string?: unknown } } } }
    | undefined;
  const source = plugin?.extension?.typed_config?.source_code?.inline_string;
  if (typeof source !== 'string') throw missing('Lua block (inline_string of the owner route)');
  return source;
}

/**
 * The resources of one table version, taken from the rendered envoy.yaml itself (not a copy of the
 * template kept by hand): every field the file output has, Envoy gets over xDS. The one change is
 * the listener's routes, which come over RDS: a table version then changes only the route
 * configuration, which Envoy swaps in place without draining the listener as a listener update would.
 */
export function buildSnapshot(root: Root, model: LbModel): XdsSnapshot {
  const file = envoyFile(model);
  const { route_config: _inline, ...hcm } = file.hcm;
  const [chain, ...chains] = file.listener.filter_chains as Json[];
  const [filter, ...filters] = chain.filters as Json[];
  const listener = {
    '@type': LISTENER_TYPE,
    ...file.listener,
    filter_chains: [
      {
        ...chain,
        filters: [
          {
            ...filter,
            typed_config: {
              ...hcm,
              rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: XDS_ROUTE },
            },
          },
          ...filters,
        ],
      },
      ...chains,
    ],
  };
  const route = { '@type': ROUTE_TYPE, ...file.routeConfig, name: XDS_ROUTE };
  const cds = file.clusters
    .map((c) => resource(String(c.name), anyOf(root, { '@type': CLUSTER_TYPE, ...c }, `cluster ${c.name}`)))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    version: model.version,
    listener: resource(XDS_LISTENER, anyOf(root, listener, 'listener')),
    route: resource(XDS_ROUTE, anyOf(root, route, 'route configuration')),
    clusters: new Map(cds.map((c) => [c.name, c])),
  };
}
