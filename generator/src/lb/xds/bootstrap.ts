import { splitHostPort } from '../../../../core/src/config/checks.js';
import { ev, yquote } from '../targets/envoy.js';

export const DEFAULT_NODE_ID = 'prism-envoy';

/** Files on the Envoy's host: its client certificate and key of the fleet PKI, and the fleet CA. */
export interface BootstrapTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** The prism-xds cluster's TLS: Envoy presents its certificate and checks the server's against the fleet CA. */
const transportSocket = (tls: BootstrapTls) => `      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          common_tls_context:
            alpn_protocols: [h2]
            tls_certificates:
              - certificate_chain: { filename: ${yquote(tls.certFile)} }
                private_key: { filename: ${yquote(tls.keyFile)} }
            validation_context:
              trusted_ca: { filename: ${yquote(tls.caFile)} }
`;

/**
 * The smallest Envoy bootstrap that takes everything Prism routes from `prismctl lb xds` over ADS:
 * listeners and clusters (and through them routes) come from the server at `xds` (HOST:PORT).
 * The cluster is named prism-xds: "prism-" names are Prism's derived names, no proxy id can clash.
 */
export function envoyBootstrap(xds: string, nodeId: string, tls?: BootstrapTls): string {
  const { host, port } = splitHostPort(xds);
  // A server bound to every interface is reached on this machine's loopback.
  const connect = host === '0.0.0.0' ? '127.0.0.1' : host === '::' || host === '[::]' ? '::1' : host;
  return `# Envoy bootstrap for Prism Edge over xDS, printed by prismctl lb xds --print-bootstrap.
# Envoy gets Prism's listener, routes and clusters from the xDS server at ${ev(xds)} over ADS (gRPC${tls ? ', mutual TLS' : ''});
# each partition table version reaches it as an xDS update, without a restart.
# Run: envoy -c bootstrap.yaml   (add an admin: section for Envoy's admin page if you want one)
node:
  id: "${ev(nodeId || DEFAULT_NODE_ID)}"
  cluster: "prism-lb"
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    set_node_on_first_message_only: true
    grpc_services:
      - envoy_grpc: { cluster_name: prism-xds }
  cds_config: { ads: {}, resource_api_version: V3 }
  lds_config: { ads: {}, resource_api_version: V3 }
static_resources:
  clusters:
    - name: prism-xds
      type: STRICT_DNS
      connect_timeout: 1s
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config:
            http2_protocol_options:
              connection_keepalive: { interval: 30s, timeout: 5s }
${tls ? transportSocket(tls) : ''}      load_assignment:
        cluster_name: prism-xds
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: "${ev(connect)}", port_value: ${ev(port)} }
`;
}
