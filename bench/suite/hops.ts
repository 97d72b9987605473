import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Plain hops with no Prism logic: what one proxy hop costs in the best C proxies, on this machine, now. */
export function haproxyHopConfig(dir: string, listen: number, backendPort: number): string {
  const file = join(dir, 'haproxy-hop.cfg');
  writeFileSync(
    file,
    `global
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    http-reuse always
frontend hop
    bind 127.0.0.1:${listen}
    default_backend origin
backend origin
    server origin 127.0.0.1:${backendPort}
`,
  );
  return file;
}

/** HAProxy round robin over all proxies: no affinity, so most requests land on a non-owner. */
export function haproxyRandomConfig(dir: string, listen: number, proxies: { id: string; port: number }[]): string {
  const file = join(dir, 'haproxy-random.cfg');
  writeFileSync(
    file,
    `global
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    http-reuse always
frontend random
    bind 127.0.0.1:${listen}
    default_backend proxies
backend proxies
    balance roundrobin
${proxies.map((p) => `    server ${p.id} 127.0.0.1:${p.port}`).join('\n')}
`,
  );
  return file;
}

export function nginxHopConfig(dir: string, listen: number, backendPort: number): void {
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;
    keepalive_requests 1000000;
    upstream origin {
        server 127.0.0.1:${backendPort};
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:${listen};
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`,
  );
}

/**
 * An operator's own HAProxy, as docs/load-balancers.md has Prism join it: their defaults, a frontend
 * of theirs whose other traffic goes to a backend of theirs, and the one `use_backend` line that sends
 * Prism's traffic to the generated fragment (loaded beside it with a second -f). The global section
 * is the generated haproxy.cfg's (no nbthread): what differs from haproxy-affinity is the fragment.
 */
export function operatorHaproxyConfig(dir: string, listen: number, backendPort: number, useBackend: string): string {
  const file = join(dir, 'operator-haproxy.cfg');
  writeFileSync(
    file,
    `global
    stats timeout 30s
defaults
    mode http
    timeout connect 5s
    timeout client 65s
    timeout server 65s
    timeout http-request 10s
    timeout http-keep-alive 60s
    option http-keep-alive
frontend operator_www
    bind 127.0.0.1:${listen}
    ${useBackend}
    default_backend operator_web
backend operator_web
    server web 127.0.0.1:${backendPort}
`,
  );
  return file;
}
