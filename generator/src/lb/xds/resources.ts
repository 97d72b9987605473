import { createHash } from 'node:crypto';
import type { Root } from 'protobufjs';
import { PrismError } from '../../../../core/src/errors.js';
import type { LbModel, LbProxy } from '../model.js';
import { renderTarget } from '../render.js';
import { envoyTarget } from '../targets/envoy.js';
import { type AnyMessage, anyOf, CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE } from './protos.js';

/** The name of the listener and of the route configuration it takes over RDS. */
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

const resource = (name: string, any: AnyMessage): XdsResource => ({
  name,
  any,
  digest: createHash('sha256').update(any.value).digest('base64url'),
});

/**
 * The Lua cluster specifier's source, cut out of the envoy.yaml that `lb generate --target envoy`
 * renders for the same model: the file output and xDS run one routing program.
 */
export function luaSource(model: LbModel): string {
  const yaml = renderTarget(envoyTarget, model, { outDir: '' }).get('envoy.yaml') ?? '';
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => /^\s*inline_string: \|$/.test(l));
  if (start < 0) throw new PrismError('PRISM-LB-022', 'envoy.yaml.hbs has no Lua block (inline_string: |)');
  const outer = lines[start].search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.search(/\S/) <= outer) break;
    body.push(line);
  }
  while (body.length > 0 && body[body.length - 1].trim() === '') body.pop();
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.search(/\S/)));
  return `${body.map((l) => l.slice(indent)).join('\n')}\n`;
}

/* The objects below mirror lb-templates/envoy/envoy.yaml.hbs resource by resource (same field names,
   same values, same comments' reasons there); only the listener takes its routes over RDS. */

const HEALTH = (view: EnvoyView) => ({
  health_checks: [
    {
      timeout: view.checkTimeout,
      interval: view.checkInterval,
      no_traffic_interval: view.checkInterval,
      unhealthy_threshold: 2,
      healthy_threshold: 2,
      http_health_check: { path: '/readyz' },
    },
  ],
  outlier_detection: {
    split_external_local_origin_errors: true,
    consecutive_local_origin_failure: 2,
    enforcing_consecutive_local_origin_failure: 100,
    enforcing_consecutive_5xx: 0,
    enforcing_consecutive_gateway_failure: 0,
    enforcing_success_rate: 0,
    interval: view.checkInterval,
    base_ejection_time: view.checkInterval,
    max_ejection_percent: 100,
  },
});

/** Envoy allows 3 retries in flight per cluster by default: an owner's death would overflow it. */
const BREAKERS = { circuit_breakers: { thresholds: [{ max_retries: 1024 }] } };

const endpoint = (p: LbProxy) => ({
  address: { socket_address: { address: p.host, port_value: p.dataPort } },
  health_check_config: { port_value: p.opsPort },
});

interface EnvoyView {
  reject: boolean;
  rejectBody: string;
  fallbackCluster: string;
  checkInterval: string;
  checkTimeout: string;
  hashBalanceFactor: number;
  proxies: (LbProxy & { cluster: string; ownerCluster: string; othersCluster: string })[];
  rings: { name: string; endpoints: LbProxy[] }[];
}

function listener(model: LbModel) {
  return {
    '@type': LISTENER_TYPE,
    name: XDS_LISTENER,
    address: { socket_address: { address: model.listenHost, port_value: model.listenPort } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'prism',
              codec_type: 'AUTO',
              server_header_transformation: 'PASS_THROUGH',
              http_filters: [
                {
                  name: 'envoy.filters.http.router',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                    suppress_envoy_headers: true,
                  },
                },
              ],
              // A table version changes only the route configuration: Envoy swaps it in place, without
              // draining the listener as a listener update would.
              rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: XDS_ROUTE },
            },
          },
        ],
      },
    ],
  };
}

function route(model: LbModel, view: EnvoyView) {
  const hashPolicy = [{ header: { header_name: 'x-prism-namespace' } }];
  const missing = view.reject
    ? {
        direct_response: { status: 400, body: { inline_string: view.rejectBody } },
        response_headers_to_add: [
          { header: { key: 'content-type', value: 'application/json' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        ],
      }
    : { route: { cluster: view.fallbackCluster, timeout: '0s', idle_timeout: '65s', hash_policy: hashPolicy } };
  return {
    '@type': ROUTE_TYPE,
    name: XDS_ROUTE,
    virtual_hosts: [
      {
        name: 'prism',
        domains: ['*'],
        routes: [
          {
            name: 'missing-namespace',
            match: { prefix: '/', headers: [{ name: 'x-prism-namespace', present_match: true, invert_match: true }] },
            ...missing,
          },
          {
            name: 'owner',
            match: { prefix: '/' },
            route: {
              timeout: '0s',
              idle_timeout: '65s',
              hash_policy: hashPolicy,
              retry_policy: {
                retry_on: 'connect-failure,refused-stream,reset-before-request',
                num_retries: 2,
                retry_priority: {
                  name: 'envoy.retry_priorities.previous_priorities',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
                    update_frequency: 1,
                  },
                },
                retry_host_predicate: [
                  {
                    name: 'envoy.retry_host_predicates.previous_hosts',
                    typed_config: {
                      '@type':
                        'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
                    },
                  },
                ],
                host_selection_retry_max_attempts: 5,
              },
              inline_cluster_specifier_plugin: {
                extension: {
                  name: 'envoy.router.cluster_specifier_plugin.lua',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.router.cluster_specifiers.lua.v3.LuaConfig',
                    default_cluster: view.fallbackCluster,
                    source_code: { inline_string: luaSource(model) },
                  },
                },
              },
            },
          },
        ],
      },
    ],
  };
}

function clusters(view: EnvoyView): { name: string; json: Record<string, unknown> }[] {
  const out: { name: string; json: Record<string, unknown> }[] = [];
  for (const p of view.proxies) {
    out.push({
      name: p.cluster,
      json: {
        name: p.cluster,
        type: 'STATIC',
        connect_timeout: '2s',
        ...BREAKERS,
        load_assignment: { cluster_name: p.cluster, endpoints: [{ lb_endpoints: [{ endpoint: endpoint(p) }] }] },
        ...HEALTH(view),
      },
    });
    out.push({
      name: p.ownerCluster,
      json: {
        name: p.ownerCluster,
        connect_timeout: '2s',
        ...BREAKERS,
        lb_policy: 'CLUSTER_PROVIDED',
        cluster_type: {
          name: 'envoy.clusters.aggregate',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig',
            clusters: [p.cluster, p.othersCluster],
          },
        },
      },
    });
  }
  for (const ring of view.rings) {
    out.push({
      name: ring.name,
      json: {
        name: ring.name,
        type: 'STATIC',
        connect_timeout: '2s',
        ...BREAKERS,
        load_balancing_policy: {
          policies: [
            {
              typed_extension_config: {
                name: 'envoy.load_balancing_policies.ring_hash',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash',
                  ...(view.hashBalanceFactor ? { hash_balance_factor: view.hashBalanceFactor } : {}),
                },
              },
            },
          ],
        },
        load_assignment: {
          cluster_name: ring.name,
          endpoints: [
            {
              lb_endpoints: ring.endpoints.map((p) => ({ endpoint: endpoint(p), load_balancing_weight: p.weight })),
            },
          ],
        },
        ...HEALTH(view),
      },
    });
  }
  return out;
}

/** The listener, route configuration and clusters of one table version, encoded. */
export function buildSnapshot(root: Root, model: LbModel): XdsSnapshot {
  const view = envoyTarget.view(model, { outDir: '' }) as unknown as EnvoyView;
  const cds = clusters(view)
    .map((c) => resource(c.name, anyOf(root, { '@type': CLUSTER_TYPE, ...c.json }, `cluster ${c.name}`)))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    version: model.version,
    listener: resource(XDS_LISTENER, anyOf(root, listener(model), 'listener')),
    route: resource(XDS_ROUTE, anyOf(root, route(model, view), 'route configuration')),
    clusters: new Map(cds.map((c) => [c.name, c])),
  };
}
