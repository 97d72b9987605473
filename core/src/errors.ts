/**
 * The error catalog. Every failure a user can see carries one of these codes; callers match on
 * `code`, never on the message. docs/errors.md is generated from this table (`npm run docs:errors`)
 * and a test keeps the two in step. A retired code goes to RETIRED_CODES and is never reused.
 */

export interface CatalogEntry {
  /** HTTP status used when the error reaches an HTTP client. */
  readonly status: number;
  /** What went wrong, in general terms; the thrown message names the actual value. */
  readonly title: string;
  /** What the user should do next. */
  readonly action: string;
}

export const ERROR_CATALOG = {
  'PRISM-NS-001': {
    status: 400,
    title: 'Invalid namespace name.',
    action:
      'Use 1-63 characters of a-z, 0-9, "-" and "_", starting and ending with a letter or digit (pattern ^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$).',
  },
  'PRISM-NS-002': {
    status: 400,
    title: 'The request names no namespace.',
    action: 'Send the namespace in the X-Prism-Namespace header.',
  },
  'PRISM-NS-003': {
    status: 404,
    title: 'Unknown namespace.',
    action: 'Check the name, or reserve it with POST /v1/namespaces (prismctl namespace reserve).',
  },
  'PRISM-NS-004': {
    status: 409,
    title: 'The namespace name is already reserved.',
    action: "Pick another name, or wait until the holder's lease ends; the message says who holds it and until when.",
  },
  'PRISM-NS-005': {
    status: 400,
    title: 'Invalid namespace field.',
    action:
      'Give backends as http(s)://host:port URLs (1 to 64), team as at most 63 printable characters, config as string values.',
  },
  'PRISM-NS-006': {
    status: 409,
    title: 'The namespace still receives traffic.',
    action: 'Stop the clients first, or repeat the request with force=true to delete it anyway.',
  },
  'PRISM-NS-007': {
    status: 409,
    title: 'The namespace is not in a state that allows this operation.',
    action:
      'Read the namespace (GET /v1/namespaces/{name}) to see its state; restore a deleted namespace before refreshing it.',
  },
  'PRISM-NS-008': {
    status: 400,
    title: 'A backend address is refused by the backend policy.',
    action:
      'Name a backend the policy allows: not link-local or metadata addresses, not a port of prism-admin or of a proxy, not loopback outside the development profile, and inside backendPolicy.allow when it is set. The message names the rule.',
  },
  'PRISM-NS-009': {
    status: 403,
    title: "The team's namespace quota is used up.",
    action:
      'Delete namespaces the team no longer needs (soft-deleted ones do not count), or ask the operator to raise limits.namespacesPerTeam.',
  },
  'PRISM-LEASE-001': {
    status: 400,
    title: 'Lease TTL out of bounds.',
    action:
      'Ask for a TTL between the configured minimum and maximum (by default 3600 to 604800 seconds), or omit it for the default.',
  },
  'PRISM-AUTH-001': {
    status: 401,
    title: 'No namespace token.',
    action: 'Send Authorization: Bearer <namespace JWT>, as returned when the namespace was reserved or refreshed.',
  },
  'PRISM-AUTH-002': {
    status: 401,
    title: 'The namespace token is invalid.',
    action:
      "Use the token the admin issued, unmodified; tokens must be signed with ES256 or EdDSA by a key in the admin's JWKS.",
  },
  'PRISM-AUTH-003': {
    status: 401,
    title: 'The namespace token has expired.',
    action: 'Refresh the namespace lease (POST /v1/namespaces/{name}:refresh) to get a new token.',
  },
  'PRISM-AUTH-004': {
    status: 401,
    title: 'The namespace token was revoked.',
    action: 'Ask the namespace owner for a new token; a revoked token never becomes valid again.',
  },
  'PRISM-AUTH-005': {
    status: 401,
    title: 'The token is signed by an unknown key.',
    action:
      'Refresh the lease to get a token signed by a current key; keys retired past their overlap no longer verify.',
  },
  'PRISM-AUTH-006': {
    status: 403,
    title: 'The token is for another namespace.',
    action: 'Use the token issued for the namespace named in X-Prism-Namespace.',
  },
  'PRISM-API-001': {
    status: 400,
    title: 'The request body is not valid JSON or not the expected message.',
    action:
      'Send a JSON object in the proto3 JSON mapping of the request message (see proto/prism/admin/v1/operator.proto).',
  },
  'PRISM-API-002': {
    status: 413,
    title: 'The request body is too large.',
    action: 'Send a smaller body, or raise limits.maxBodyBytes on the admin.',
  },
  'PRISM-API-003': {
    status: 404,
    title: 'No such endpoint.',
    action: 'See the operator API in the README (GET /v1/namespaces, GET /v1/partition-table, ...).',
  },
  'PRISM-API-004': {
    status: 405,
    title: 'Method not allowed on this endpoint.',
    action: 'Use the method the README lists for this path; the Allow header names the accepted ones.',
  },
  'PRISM-API-005': {
    status: 400,
    title: 'The request is not well-formed: its URL cannot be decoded or its HTTP framing is broken.',
    action:
      'Percent-encode the path and query string (RFC 3986: "%" followed by two hex digits of UTF-8 bytes) and send one well-formed HTTP/1.1 request.',
  },
  'PRISM-API-006': {
    status: 408,
    title: 'The request did not arrive in time.',
    action:
      "Send the headers within the admin's limits.headersTimeoutMs and the whole request within limits.requestTimeoutMs, or raise them.",
  },
  'PRISM-API-007': {
    status: 431,
    title: 'The request headers are too large.',
    action:
      "Send fewer or shorter headers and a shorter URL (both count), at most the admin's limits.maxHeaderBytes in all.",
  },
  'PRISM-API-008': {
    status: 429,
    title: 'Too many requests from this principal or address.',
    action:
      "Wait the seconds Retry-After names, then retry at a slower pace; the admin's limits.operatorRequestsPerSecond and limits.operatorBurst (limits.expensivePerMinute and limits.expensiveBurst for key rotation, partition-table:apply and token creation) set the budget.",
  },
  'PRISM-INTERNAL-001': {
    status: 500,
    title: 'Internal error.',
    action: 'Retry; if it persists, report it with the log lines around this time.',
  },
  'PRISM-CLI-001': {
    status: 503,
    title: 'The admin cannot be reached.',
    action:
      'Check --admin (default https://127.0.0.1:8982; http:// for an admin started with --insecure) and that prism-admin is running; `curl --cacert CA <admin>/healthz` should answer.',
  },
  'PRISM-CLI-002': {
    status: 400,
    title: 'prismctl has no completion script for that shell.',
    action: 'Run `prismctl completion bash` (or `zsh`) and load its output: source <(prismctl completion bash).',
  },
  'PRISM-CLI-003': {
    status: 400,
    title: 'The jti prefix names no token, or more than one.',
    action:
      'Run `prismctl auth token list -o wide` for the full jtis and give enough characters to name one token (or the whole jti).',
  },
  'PRISM-ACCESS-001': {
    status: 401,
    title: 'The operator API call carries no credential.',
    action:
      'Send Authorization: Bearer <operator token> (prismctl: --token-file FILE, $PRISM_TOKEN, or prism-local/operator.token after npm start; the first token is <dataDir>/operator-admin.token), or, when the admin serves HTTPS, present an operator client certificate (spiffe://prism/operator/<name>).',
  },
  'PRISM-ACCESS-002': {
    status: 401,
    title: 'The operator token is invalid.',
    action:
      'Use an operator token this admin issued, unmodified (prismctl auth token create); namespace tokens, tokens of another admin and unsigned or HMAC tokens are refused.',
  },
  'PRISM-ACCESS-003': {
    status: 401,
    title: 'The operator token has expired.',
    action: 'Ask an admin for a new token: prismctl auth token create --role ROLE --name NAME --ttl 7d.',
  },
  'PRISM-ACCESS-004': {
    status: 401,
    title: 'The operator token was revoked.',
    action: 'Ask an admin for a new token (prismctl auth token create); a revoked token never becomes valid again.',
  },
  'PRISM-ACCESS-005': {
    status: 403,
    title: "The caller's role does not allow this call.",
    action:
      'Use a credential with the role the message names (viewer < operator < admin): a token from prismctl auth token create --role ROLE, or a certificate mapped to that role in auth.operatorRoles.',
  },
  'PRISM-ACCESS-006': {
    status: 403,
    title: 'The operator certificate is valid but no role is assigned to its name.',
    action:
      'Map the name to a role in the admin configuration, e.g. {"auth": {"operatorRoles": {"alice": "operator"}}}, and restart the admin; or use a bearer token.',
  },
  'PRISM-ACCESS-007': {
    status: 401,
    title: 'The client certificate does not authenticate an operator.',
    action:
      'Present a certificate of the fleet CA made by prismctl certs issue --operator NAME (clientAuth, URI SAN spiffe://prism/operator/NAME), within its validity; or send a bearer token instead.',
  },
  'PRISM-ACCESS-008': {
    status: 400,
    title: 'Invalid operator token request.',
    action:
      'Give name as 1-63 characters of a-z, 0-9, ".", "-", "_", role as viewer, operator or admin, and a TTL within auth.maxTokenTtlSeconds; to revoke, give the jti the token was issued with.',
  },
  'PRISM-ACCESS-009': {
    status: 401,
    title: 'prismctl has no operator token for this admin.',
    action:
      'Give prismctl a token in one of three ways: --token-file FILE, the environment variable PRISM_TOKEN, or the file prism-local/operator.token (written by npm start) in the current directory. The admin wrote the first token to <dataDir>/operator-admin.token.',
  },
  'PRISM-FLEET-001': {
    status: 409,
    title: 'The proxy id is held by a live proxy.',
    action: 'Give this proxy its own --id; the live proxy keeps the id until its stream closes.',
  },
  'PRISM-FLEET-002': {
    status: 400,
    title: 'Invalid control-plane message.',
    action: 'Open the stream with a Register message carrying a valid proxy id, address and ports.',
  },
  'PRISM-FLEET-003': {
    status: 403,
    title: "The proxy's client certificate is for another proxy id.",
    action:
      'Give the proxy the certificate made for its --id (`prismctl certs issue --ca DIR --proxy ID`); a proxy id registers only with its own certificate.',
  },
  'PRISM-FLEET-004': {
    status: 403,
    title: 'The client certificate is not a proxy certificate.',
    action:
      'Register with a proxy certificate (URI SAN spiffe://prism/proxy/<id>, from `prismctl certs`); admin and operator certificates cannot join the fleet.',
  },
  'PRISM-FLEET-005': {
    status: 404,
    title: 'Unknown proxy id.',
    action:
      'Check the id with `prismctl proxies`; only a proxy that registered with this admin can be drained or undrained.',
  },
  'PRISM-FLEET-006': {
    status: 504,
    title: 'The drained proxy still owns partitions after the wait.',
    action:
      'Check `prismctl partitions rollout` (rounds, an approval or a cooldown holding it) and `prismctl proxies`; wait longer with --timeout, or run the command again.',
  },
  'PRISM-TLS-001': {
    status: 500,
    title: 'The openssl command is not available.',
    action: 'Install OpenSSL (Debian/Ubuntu: apt-get install openssl) so that `openssl version` runs, then repeat.',
  },
  'PRISM-TLS-002': {
    status: 409,
    title: 'The output already holds a CA or the certificate to be written.',
    action:
      'Choose another --out, or pass --force to replace the files (replacing the CA makes every certificate it signed stop verifying).',
  },
  'PRISM-TLS-003': {
    status: 500,
    title: 'openssl failed to make a certificate.',
    action: 'Read the openssl message quoted; check that ca.crt and ca.key are intact, readable and belong together.',
  },
  'PRISM-TLS-004': {
    status: 400,
    title: 'A certificate, key or CA file cannot be read or parsed.',
    action:
      'Check the path and permissions of the named file and that it holds PEM (BEGIN CERTIFICATE / BEGIN PRIVATE KEY), as `prismctl certs` writes it.',
  },
  'PRISM-TLS-005': {
    status: 400,
    title: 'The certificate does not match its private key.',
    action: 'Configure the key written together with the certificate (the same base name under `prismctl certs`).',
  },
  'PRISM-TLS-006': {
    status: 400,
    title: 'The certificate is not signed by the configured CA, or is outside its validity period.',
    action:
      'Issue a new certificate from the fleet CA (`prismctl certs issue --ca DIR ...`), or point caFile at the CA that signed it.',
  },
  'PRISM-TLS-007': {
    status: 400,
    title: 'Invalid input to prismctl certs.',
    action:
      'Give proxy ids and names as 1-63 characters of a-z, 0-9, ".", "-", "_"; hosts as DNS names or IP addresses; --days as whole days within the CA validity.',
  },
  'PRISM-TLS-008': {
    status: 400,
    title: 'The certificate lacks the identity or key usage its role needs.',
    action:
      'Use the certificate `prismctl certs` made for this role and name: an admin needs serverAuth and URI spiffe://prism/admin/<name>, a proxy clientAuth and serverAuth (it serves its peers) and URI spiffe://prism/proxy/<its id>.',
  },
  'PRISM-PEER-001': {
    status: 403,
    title: 'A forwarded request (X-Prism-Hops) did not come from a proxy of the fleet.',
    action:
      'Only prism-proxies forward to each other: over mTLS, with the certificate `prismctl certs` made for their id, and only proxies in the partition table (or out of it for less than a minute). Clients must not send X-Prism-Hops. The message names what was missing: TLS, a client certificate, one from the fleet CA, a proxy identity, or a proxy in the table.',
  },
  'PRISM-STORE-001': {
    status: 503,
    title: "The admin's storage failed.",
    action:
      'Check the data directory (disk space, permissions) and the admin log; the operation was not applied and can be retried.',
  },
  'PRISM-STORE-002': {
    status: 503,
    title: 'etcd does not answer or has lost its quorum: the admin refuses writes.',
    action:
      'Bring etcd members back until a majority is up (2 of 3); `etcdctl endpoint health` names those that are down. Reads are served from a live member meanwhile, and the admin resumes by itself, without a restart; retry the operation then.',
  },
  'PRISM-STORE-003': {
    status: 503,
    title: 'prism-admin cannot reach etcd at start.',
    action:
      'Check that the --etcd endpoints are right and that etcd runs (`etcdctl --endpoints URL,... endpoint health`); for https:// endpoints give etcd.cacert (--etcd-cacert), and etcd.cert/etcd.key when etcd asks for client certificates.',
  },
  'PRISM-STORE-004': {
    status: 409,
    title: 'A newer partition table is already stored: table versions never go backwards.',
    action:
      'Another admin wrote a newer table; read it with GET /v1/partition-table. Until leader election exists, let one admin change the fleet at a time (docs/etcd.md).',
  },
  'PRISM-STORE-005': {
    status: 409,
    title: 'The admin already holds data, so the import was refused.',
    action:
      'Import into a freshly started admin (no namespaces, proxies, revocations or table), or pass --force to merge: records in the file replace those with the same name.',
  },
  'PRISM-STORE-006': {
    status: 400,
    title: 'The document is not a prism-admin export this admin can read.',
    action:
      'Pass the unchanged output of `prismctl export` (format prism-admin-export, formatVersion 1); the message names the first field that is wrong.',
  },
  'PRISM-STORE-007': {
    status: 503,
    title: "etcd refused the admin's credentials or permissions.",
    action:
      'Check etcd.user (--etcd-user) and etcd.passwordFile, the client certificate etcd.cert/etcd.key, and that the etcd role grants read and write on the key prefix (etcd.prefix).',
  },
  'PRISM-STORE-008': {
    status: 503,
    title: 'A store transaction kept conflicting with other writers.',
    action: 'Retry the operation; if it persists, look for an admin or script that rewrites the same keys in a loop.',
  },
  'PRISM-STORE-009': {
    status: 500,
    title: 'A record in etcd has a schema version this admin cannot read.',
    action:
      'A newer prism-admin wrote it: run the newer version on every admin that shares the etcd prefix, or point this one at another prefix (--etcd-prefix).',
  },
  'PRISM-HA-001': {
    status: 503,
    title: 'This admin is no longer the leader: etcd refused its leader-only write (fencing).',
    action:
      'Nothing to repair: the admin stepped down and follows the leader etcd elected. Retry the operation; GET /v1/admin/status (prismctl admin status) names the leader.',
  },
  'PRISM-HA-002': {
    status: 503,
    title: 'This admin is a follower; the operation is one only the leader runs.',
    action:
      'Send it to the leader the message names (prismctl admin status shows it), or retry in a few seconds when no admin leads yet.',
  },
  'PRISM-ROUTE-001': {
    status: 421,
    title: 'This proxy does not own the namespace and may not forward the request further.',
    action: 'Send the request to the proxy named in X-Prism-Owner, or route by GET /prism/v1/partition-table.',
  },
  'PRISM-ROUTE-002': {
    status: 502,
    title: 'The owning proxy could not be reached.',
    action: 'Retry shortly; the admin moves the partitions of a proxy that stays down. X-Prism-Owner names the owner.',
  },
  'PRISM-ROUTE-003': {
    status: 504,
    title: 'The owner or backend did not answer in time.',
    action: 'Retry; if it persists, check the named upstream or raise forwarding.timeoutMs.',
  },
  'PRISM-ROUTE-004': {
    status: 503,
    title: 'This proxy has no partition table yet.',
    action: 'Wait until the proxy has reached an admin (GET /readyz on its ops port says when), then retry.',
  },
  'PRISM-ROUTE-005': {
    status: 503,
    title: 'No backend of the namespace is available.',
    action: 'Register backends for the namespace, or bring one back; failed backends are retried after a short pause.',
  },
  'PRISM-ROUTE-006': {
    status: 502,
    title: 'The backend failed while answering.',
    action: 'Check the backend named in the message; the request can be retried if it is idempotent.',
  },
  'PRISM-ROUTE-007': {
    status: 400,
    title: 'Invalid Prism routing header.',
    action: 'Send X-Prism-Hops, X-Prism-Table-Version and X-Prism-Epoch only as non-negative integers, or not at all.',
  },
  'PRISM-REQ-001': {
    status: 400,
    title: 'The request target cannot be forwarded.',
    action:
      'Send a path starting with "/" (or an absolute http:// or https:// URL, which the proxy turns into a path); "*" (OPTIONS *) is not served: probe /healthz on the ops port instead.',
  },
  'PRISM-REQ-002': {
    status: 400,
    title: 'The request names its host more than once.',
    action: 'Send one Host header; over HTTP/2 send :authority, and a host header only if it names the same host.',
  },
  'PRISM-REQ-003': {
    status: 405,
    title: 'CONNECT is not supported.',
    action:
      'prism-proxy forwards HTTP requests to namespaces and opens no tunnels; use one of the methods the Allow header names.',
  },
  'PRISM-REQ-004': {
    status: 413,
    title: 'The request body is too large.',
    action:
      'Send a smaller body (split the upload), or ask the operator to raise limits.maxBodyBytes on the proxies or the maxBodyBytes config value of the namespace.',
  },
  'PRISM-REQ-005': {
    status: 400,
    title: 'The request cannot be forwarded as it stands.',
    action:
      'Fix the method, path or header the message names: each must be valid HTTP syntax (RFC 9110), and a plugin that rewrites the request must keep it so.',
  },
  'PRISM-ROUTE-008': {
    status: 502,
    title: "The backend's address is refused by the proxy's backend policy.",
    action:
      'Point the namespace at a backend the policy allows (the message names the rule and the address its name resolved to), or change backendPolicy in the proxy configuration.',
  },
  'PRISM-ROUTE-009': {
    status: 421,
    title: "The forwarding proxy's table gives the partition a newer epoch than this proxy knows.",
    action:
      'Retry: the proxies pull the newer table from the admin, and the request then reaches the current owner. X-Prism-Owner names the owner this proxy knows; a proxy never serves or forwards on an older ownership than the sender.',
  },
  'PRISM-CONN-001': {
    status: 408,
    title: 'The client did not send its request in time.',
    action:
      'Send the request headers within limits.headersTimeoutMs and the whole request within limits.requestTimeoutMs of the proxy; for large or slow uploads the operator can raise limits.requestTimeoutMs.',
  },
  'PRISM-CONN-002': {
    status: 429,
    title: 'The HTTP/2 client cancelled too many streams before their response started.',
    action:
      'Do not open streams only to reset them (CVE-2023-44487); open a new connection and cancel fewer requests. Sent in the debug data of a GOAWAY with ENHANCE_YOUR_CALM; the operator sets the budget with limits.h2MaxResetsPerSession.',
  },
  'PRISM-CONN-003': {
    status: 431,
    title: 'The request has too many header fields.',
    action: 'Send at most limits.maxHeadersCount header fields (100 by default); merge or drop the others.',
  },
  'PRISM-CONN-004': {
    status: 503,
    title: 'This proxy is draining: it is shutting down.',
    action:
      'Load balancers take it out of rotation (GET /readyz answers 503); send new requests to another proxy. It serves on for drain.periodMs, then finishes what is in flight and exits.',
  },
  'PRISM-PLUGIN-001': {
    status: 500,
    title: 'A proxy plugin cannot be loaded.',
    action:
      'Fix the plugin named in the message: it must export a factory returning {name, dependencies?, hooks} with hooks from onRequest, resolveNamespace, authenticate, route, onResponse, onError.',
  },
  'PRISM-PLUGIN-002': {
    status: 500,
    title: 'A proxy plugin returned a decision the proxy cannot act on (logged; the client gets PRISM-INTERNAL-001).',
    action:
      'Fix the plugin and hook named in the message (docs/plugins.md): return {type: "continue"}, {type: "respond", status, headers?, error?, outcome?, reason?} with a status from 200 to 599, or {type: "forward", target} with a backend URL or env.peerTarget(id) of a proxy in the table.',
  },
  'PRISM-PLUGIN-003': {
    status: 503,
    title: 'A proxy plugin refuses requests for this namespace for now.',
    action:
      'Retry later: the message names the plugin and why (for example a namespace under maintenance). Operators change it in the plugin options of the proxy configuration (plugins).',
  },
  'PRISM-PROXY-001': {
    status: 400,
    title: 'Invalid proxy id.',
    action: 'Use 1-63 characters of a-z, 0-9, ".", "-" and "_", starting and ending with a letter or digit.',
  },
  'PRISM-PROXY-002': {
    status: 400,
    title: 'The same proxy id is listed twice.',
    action: 'List each proxy once.',
  },
  'PRISM-PLAN-001': {
    status: 400,
    title: 'Invalid proxy weight.',
    action: 'Give each weight as an integer from 1 to 256; to take a proxy out, remove it from the proxy list instead.',
  },
  'PRISM-PLAN-002': {
    status: 400,
    title: 'Unknown assignment strategy.',
    action: 'Use one of consistent_hash, key_range, explicit.',
  },
  'PRISM-PLAN-003': {
    status: 400,
    title: 'The fleet size is out of range.',
    action: 'Give between 1 and 256 proxies.',
  },
  'PRISM-PLAN-004': {
    status: 400,
    title: 'A rule names a proxy that is not in the fleet.',
    action: 'Add the proxy to the fleet, or change or drop the rule that names it.',
  },
  'PRISM-PLAN-005': {
    status: 400,
    title: 'The rule is not allowed by the chosen strategy.',
    action: 'Prefix rules need strategy key_range; namespace and partition pins need strategy explicit.',
  },
  'PRISM-PLAN-006': {
    status: 400,
    title: 'Invalid or conflicting rule.',
    action: 'Write prefix rules as PREFIX=PROXY[+PROXY...], pins as NAMESPACE=PROXY or PARTITION=PROXY, each key once.',
  },
  'PRISM-TABLE-001': {
    status: 400,
    title: 'The partition table file cannot be read.',
    action:
      'Pass a readable file holding the proto3 JSON of a PartitionTable, e.g. the output of `prismctl partitions plan --json`.',
  },
  'PRISM-TABLE-002': {
    status: 400,
    title: 'The input is not a partition table.',
    action:
      'Pass the proto3 JSON of a PartitionTable, e.g. the output of `prismctl partitions plan --json` or `GET /v1/partition-table`.',
  },
  'PRISM-TABLE-003': {
    status: 400,
    title: 'The partition table is inconsistent.',
    action: 'Regenerate the table with `prismctl partitions plan` or fetch it from the admin; do not edit it by hand.',
  },
  'PRISM-CONFIG-004': {
    status: 400,
    title: 'The option is not supported by this build.',
    action: 'Remove the option; the message says what is used instead.',
  },
  'PRISM-TABLE-004': {
    status: 503,
    title: 'There is no partition table yet.',
    action: 'Start at least one prism-proxy against this admin; the first registration creates the table.',
  },
  'PRISM-TABLE-005': {
    status: 400,
    title: 'The plan file cannot be read or is not a plan.',
    action: 'Pass the file `prismctl partitions plan --out FILE` wrote, unchanged.',
  },
  'PRISM-TABLE-006': {
    status: 409,
    title: 'The partition table changed since the plan was made.',
    action:
      'Make a new plan against the current table (`prismctl partitions plan --out FILE`), review it, and apply that one.',
  },
  'PRISM-TABLE-007': {
    status: 409,
    title: 'There is no table change to roll back.',
    action:
      'Nothing has moved partitions since this admin created its table; `prismctl partitions show` shows the table in force.',
  },
  'PRISM-LB-001': {
    status: 400,
    title: 'The generator input cannot be placed safely into a load-balancer configuration.',
    action:
      'Fix the named field: proxy ids, namespaces and prefixes must match their patterns, addresses must be host names or IP addresses, ports 1-65535.',
  },
  'PRISM-LB-002': {
    status: 500,
    title: 'The load balancer refused the generated configuration.',
    action: 'Read the checker output in the message; nothing was written. Report it if the input was valid.',
  },
  'PRISM-LB-003': {
    status: 503,
    title: 'The running load balancer could not be updated.',
    action:
      'Check that the load balancer runs and its runtime socket or control command is reachable; watch mode retries with backoff.',
  },
  'PRISM-LB-004': {
    status: 503,
    title: "HAProxy's runtime socket does not answer.",
    action:
      'Start HAProxy from the output folder (its stats socket is DIR/haproxy.sock); watch mode keeps retrying with backoff and re-syncs every server and map once HAProxy is back.',
  },
  'PRISM-LB-005': {
    status: 502,
    title: 'The load balancer gave an answer watch mode did not expect, so the change was not assumed to be applied.',
    action:
      'Read the command and the answer in the message; watch mode re-reads the running state and tries again. Report it if it persists.',
  },
  'PRISM-LB-006': {
    status: 503,
    title: 'NGINX did not take the new configuration.',
    action:
      "Read NGINX's error log (the watcher's stderr names the cause); the old configuration keeps serving and watch mode retries.",
  },
  'PRISM-LB-007': {
    status: 503,
    title: 'The Envoy that watch mode runs did not start or exited.',
    action:
      'Read the Envoy output in the message (a port in use, a --base-id shared with another Envoy); watch mode starts it again with backoff.',
  },
  'PRISM-LB-008': {
    status: 503,
    title: 'Watch mode cannot read the partition table from the admin.',
    action:
      'The load balancer keeps the last applied table; check that the admin runs and the --admin URL and credentials are right. Watch mode retries with backoff.',
  },
  'PRISM-LB-009': {
    status: 400,
    title: 'This load-balancer target has no fragment, or the fragment options are incomplete.',
    action:
      'Use --fragment with --target haproxy or nginx (Envoy takes its routes over xDS: prismctl lb xds); lb watch --fragment needs at least one --runtime-socket PATH or --runtime-api HOST:PORT.',
  },
  'PRISM-LB-010': {
    status: 403,
    title: 'An HAProxy runtime API answers below level admin, so the watcher cannot change servers or maps.',
    action:
      "Add `level admin` to that `stats socket` line of the operator's haproxy.cfg (e.g. `stats socket /run/haproxy/admin.sock mode 660 level admin`), reload HAProxy once, then start the watcher again.",
  },
  'PRISM-LB-011': {
    status: 503,
    title: 'Some of the HAProxy instances the watcher drives do not run the current table.',
    action:
      'The message names each instance and why; the others were updated. The watcher retries the named ones with backoff and re-syncs each once it answers again.',
  },
  'PRISM-LB-012': {
    status: 400,
    title: "HAProxy refused the operator's configuration together with the written fragment.",
    action:
      "Read the checker output in the message: fix the operator's file, or render again with the --map-dir HAProxy will find the map files under (relative to the directory HAProxy runs in, unless its default-path says otherwise).",
  },
  'PRISM-LB-015': {
    status: 409,
    title: "The operator's NGINX configuration does not pass nginx -t with the new Prism fragment.",
    action:
      "Read nginx -t's output in the message. The previous fragment files were put back and NGINX was not reloaded, so it keeps serving the old configuration; fix the main file or its include lines, and watch mode applies the table on its next try.",
  },
  'PRISM-LB-016': {
    status: 503,
    title: "The operator's NGINX master could not be told to reload.",
    action:
      'Check that the pid file names a running NGINX master and that the watcher runs as the same user as the master or as root (a reload is SIGHUP), or that `nginx -s reload -c MAIN` works from its account; watch mode retries with backoff.',
  },
  'PRISM-LB-017': {
    status: 400,
    title: 'The fragment options are missing or invalid.',
    action:
      'Fix the named option: --name-prefix is a lower-case word (letters, digits, _), --include-dir a path without spaces or quotes, and lb watch --fragment --target nginx needs --nginx-pid-file FILE or --nginx-conf MAIN.',
  },
  'PRISM-LB-020': {
    status: 500,
    title: 'The xDS server cannot listen on its address.',
    action: 'Pick a free HOST:PORT for --listen (the address in the Envoy bootstrap) or stop what holds it.',
  },
  'PRISM-LB-021': {
    status: 502,
    title: 'An Envoy rejected (NACKed) a configuration from the xDS server.',
    action:
      "Read Envoy's error detail in the message; that Envoy keeps the version it had and gets the next table version. Report it with the Envoy version if it repeats.",
  },
  'PRISM-LB-022': {
    status: 500,
    title: 'The xDS server cannot build an Envoy resource from the partition table.',
    action:
      'Read the named field: the Envoy .proto files shipped with @grpc/grpc-js-xds lack it. Report it; the Envoys keep the version they have.',
  },
  'PRISM-LB-023': {
    status: 403,
    title: 'An Envoy with another node id connected to the xDS server.',
    action:
      'Give that Envoy the node id the server expects (--node-id, the node.id of the bootstrap that --print-bootstrap prints), or start the server without --node-id to serve any Envoy.',
  },
  'PRISM-LB-024': {
    status: 400,
    title: 'The TLS options of lb xds are incomplete.',
    action:
      "Serve xDS over mutual TLS with --tls-cert, --tls-key and --ca (the fleet CA the Envoys' certificates chain to) together, or with none of them (plaintext, loopback only); print a bootstrap for it with --envoy-cert, --envoy-key and --ca together.",
  },
  'PRISM-CONFIG-001': {
    status: 400,
    title: 'Invalid configuration option.',
    action: 'Fix the option as the message says; `--help` lists every option with its default.',
  },
  'PRISM-CONFIG-002': {
    status: 400,
    title: 'Configuration options contradict each other.',
    action: 'Change one of the named options as the message says.',
  },
  'PRISM-CONFIG-003': {
    status: 400,
    title: 'The configuration file cannot be read.',
    action: 'Pass a readable JSON file whose keys are the program options.',
  },
  'PRISM-CONFIG-005': {
    status: 400,
    title: 'prism-admin has no fleet certificates and was not started with --insecure.',
    action:
      'Make a fleet PKI with `prismctl certs init --out DIR --proxies ID,...` and give the admin tls.caFile = DIR/ca.crt, tls.certFile = DIR/admins/admin.crt and tls.keyFile = DIR/admins/admin.key (in its --config file); or pass --insecure for a throwaway experiment (no TLS, no authentication; refused with --profile production).',
  },
  'PRISM-CONFIG-007': {
    status: 400,
    title: 'An etcd TLS or password file cannot be read.',
    action:
      'Give readable PEM files in etcd.cacert, etcd.cert and etcd.key (--etcd-cacert, --etcd-cert, --etcd-key) and a readable etcd.passwordFile holding the password of etcd.user.',
  },
  'PRISM-CONFIG-008': {
    status: 400,
    title: 'prismctl cannot read or write the file it was given.',
    action:
      'Check the path and its permissions: `prismctl import FILE` reads a JSON file `prismctl export` wrote, `prismctl export --out FILE` writes a new file (0600) in a folder that exists.',
  },
  'PRISM-CONFIG-009': {
    status: 400,
    title: 'The reloaded configuration changes options that need a restart.',
    action:
      'SIGHUP applies only the options docs/configuration.md marks reloadable; the program keeps running with its old configuration. Restart it to apply the others (for a proxy: the rolling-restart runbook in docs/runbooks.md), or undo those changes and send SIGHUP again.',
  },
  'PRISM-CONFIG-006': {
    status: 400,
    title: 'prism-proxy has no TLS to the admin and was not started with --insecure.',
    action:
      'Give the proxy controlPlane.tls.caFile = DIR/ca.crt and its certificate controlPlane.tls.certFile = DIR/proxies/<id>.crt, controlPlane.tls.keyFile = DIR/proxies/<id>.key (in its --config file; `prismctl certs issue --ca DIR --proxy <id>` makes them); or pass --insecure for a throwaway experiment against an admin started with --insecure (refused with --profile production).',
  },
  'PRISM-CONFIG-010': {
    status: 400,
    title: 'The OTLP endpoint for traces is not an http or https URL.',
    action:
      'Set tracing.otlpEndpoint (--otlp-endpoint), or $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / $OTEL_EXPORTER_OTLP_ENDPOINT, to the collector URL, e.g. http://collector:4318/v1/traces; the message names where the value came from.',
  },
  'PRISM-CONFIG-011': {
    status: 400,
    title: 'A tracing.headers field cannot be sent in an HTTP request.',
    action:
      "Use field names made of token characters (letters, digits, !#$%&'*+-.^_`|~) and values without control characters such as CR or LF.",
  },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Codes that existed once and must never be reused. */
export const RETIRED_CODES: readonly string[] = [];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; action: string };
}

export class PrismError extends Error {
  override readonly name = 'PrismError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly action: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; action?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    const entry: CatalogEntry = ERROR_CATALOG[code];
    this.code = code;
    this.status = entry.status;
    this.action = options?.action ?? entry.action;
  }

  /** The JSON body of CONTRACT §4. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, action: this.action } };
  }
}

export function isPrismError(err: unknown): err is PrismError {
  return err instanceof PrismError;
}
