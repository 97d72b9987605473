import type { Sample } from './measure.js';

export type Results = Record<string, Record<string, Sample>>;

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r2 = (x: number) => Math.round(x * 100) / 100;
const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * The price of TLS: each TLS scenario (tls-stack.ts) and the plaintext scenario it is compared with,
 * in the order the report lists them. forward-mtls-h2 is set against `forward` because HTTP/1.1 in
 * cleartext is what peers speak without a fleet CA.
 */
export const TLS_PAIRS = [
  ['owner-tls', 'owner'],
  ['owner-tls-h2', 'owner-h2c'],
  ['forward-tls', 'forward'],
  ['forward-mtls', 'forward'],
  ['forward-mtls-h2', 'forward'],
  ['haproxy-tls-hop', 'haproxy-hop'],
  ['haproxy-tls', 'haproxy-affinity'],
] as const;

/**
 * Prism fitted into a load balancer the operator runs, each beside the config Prism owns whole:
 * the HAProxy fragment in an operator's haproxy.cfg, and Envoy fed over xDS instead of envoy.yaml.
 * Both route the same way with the same checks, so the same cost is expected.
 */
export const LB_FIT_PAIRS = [
  ['haproxy-fragment-affinity', 'haproxy-affinity'],
  ['envoy-xds-affinity', 'envoy-affinity'],
] as const;

/** The TLS scenarios (`npm run bench -- --only` takes these names too). */
export const TLS_SCENARIO_NAMES = TLS_PAIRS.map(([tls]) => tls);

/**
 * The TLS scenario `--ci` runs: the forward path of a fleet with peer mTLS exercises the proxy's own
 * TLS code (peer pools, the owner's identity check, the certificate kept per connection), where a
 * regression of this project would show; the others measure mostly Node's and OpenSSL's TLS.
 */
export const TLS_CI_SCENARIOS: readonly string[] = ['forward-mtls'];

/** The owner path with tracing on (traced.ts), set against `owner`, the same path with tracing off. */
export const TRACED_SCENARIO = 'owner-traced';

/** The figures the seed's claims are compared with, each a difference or ratio from the same run. */
export function derive(results: Results, loaded: string) {
  const get = (s: string, c: string) => results[s]?.[c];
  const diff = (a: string, b: string, c: string, k: 'p50_ms' | 'p99_ms') => {
    const x = get(a, c);
    const y = get(b, c);
    return x && y ? r3(x[k] - y[k]) : null;
  };
  const ratio = (a: string, b: string, c: string) => {
    const x = get(a, c);
    const y = get(b, c);
    return x && y && y.cpu_us_per_req > 0 ? Math.round((x.cpu_us_per_req / y.cpu_us_per_req) * 100) / 100 : null;
  };
  /** a ÷ b of any figure, when both ran. */
  const times = (a: string, b: string, c: string, k: 'p50_ms' | 'p99_ms' | 'rps') => {
    const x = get(a, c);
    const y = get(b, c);
    return x && y && y[k] > 0 ? r2(x[k] / y[k]) : null;
  };
  const cpuAdded = (a: string, b: string, c: string) => {
    const x = get(a, c);
    const y = get(b, c);
    return x && y ? r1(x.cpu_us_per_req - y.cpu_us_per_req) : null;
  };
  const termination = {
    prism: cpuAdded('owner-tls', 'owner', loaded),
    haproxy: cpuAdded('haproxy-tls-hop', 'haproxy-hop', loaded),
  };
  return {
    forwarding_overhead_ms: {
      c1: { p50: diff('forward', 'owner', 'c1', 'p50_ms'), p99: diff('forward', 'owner', 'c1', 'p99_ms') },
      loaded: { p50: diff('forward', 'owner', loaded, 'p50_ms'), p99: diff('forward', 'owner', loaded, 'p99_ms') },
      h2c_c1: {
        p50: diff('forward-h2c', 'owner-h2c', 'c1', 'p50_ms'),
        p99: diff('forward-h2c', 'owner-h2c', 'c1', 'p99_ms'),
      },
      seed_claim: '1-2 ms per extra hop',
    },
    affinity_gain_ms: {
      c1: {
        p50: diff('random-lb', 'haproxy-affinity', 'c1', 'p50_ms'),
        p99: diff('random-lb', 'haproxy-affinity', 'c1', 'p99_ms'),
      },
      loaded: {
        p50: diff('random-lb', 'haproxy-affinity', loaded, 'p50_ms'),
        p99: diff('random-lb', 'haproxy-affinity', loaded, 'p99_ms'),
      },
      seed_claim: 'P50 = 0.25*0.3 + 0.75*(0.3 + 1.5) = 1.4 ms with random balancing',
    },
    prism_hop_vs_haproxy_hop: {
      added_p50_ms_c1: {
        prism: diff('owner', 'direct', 'c1', 'p50_ms'),
        haproxy: diff('haproxy-hop', 'direct', 'c1', 'p50_ms'),
        nginx: diff('nginx-hop', 'direct', 'c1', 'p50_ms'),
      },
      cpu_ratio_loaded: ratio('owner', 'haproxy-hop', loaded),
      forward_cpu_ratio_loaded: ratio('forward', 'haproxy-hop', loaded),
      /** The forward path is two prism-proxy hops: its CPU per request ÷ two HAProxy hops. */
      forward_cpu_ratio_per_hop_loaded: (() => {
        const r = ratio('forward', 'haproxy-hop', loaded);
        return r === null ? null : Math.round((r / 2) * 100) / 100;
      })(),
    },
    node_floor: {
      added_p50_ms_c1: diff('node-hop', 'direct', 'c1', 'p50_ms'),
      node_hop_vs_haproxy_cpu_ratio_loaded: ratio('node-hop', 'haproxy-hop', loaded),
      prism_vs_node_hop_cpu_ratio_loaded: ratio('owner', 'node-hop', loaded),
      prism_minus_node_hop_cpu_us_loaded:
        get('owner', loaded) && get('node-hop', loaded)
          ? r1(get('owner', loaded).cpu_us_per_req - get('node-hop', loaded).cpu_us_per_req)
          : null,
    },
    /** Each LB_FIT_PAIRS scenario ÷ the whole-config scenario beside it. */
    lb_fit: Object.fromEntries(
      LB_FIT_PAIRS.map(([fit, whole]) => [
        fit,
        {
          vs: whole,
          c1: { p50: times(fit, whole, 'c1', 'p50_ms'), p99: times(fit, whole, 'c1', 'p99_ms') },
          loaded: { p50: times(fit, whole, loaded, 'p50_ms'), p99: times(fit, whole, loaded, 'p99_ms') },
          rps_loaded: times(fit, whole, loaded, 'rps'),
          cpu_loaded: ratio(fit, whole, loaded),
        },
      ]),
    ) as Record<
      (typeof LB_FIT_PAIRS)[number][0],
      {
        vs: string;
        c1: { p50: number | null; p99: number | null };
        loaded: { p50: number | null; p99: number | null };
        rps_loaded: number | null;
        cpu_loaded: number | null;
      }
    >,
    /** Each TLS scenario ÷ its plaintext counterpart (TLS_PAIRS), and what terminating TLS adds. */
    price_of_tls: {
      ratios: Object.fromEntries(
        TLS_PAIRS.map(([tls, plain]) => [
          tls,
          {
            vs: plain,
            c1: { p50: times(tls, plain, 'c1', 'p50_ms'), p99: times(tls, plain, 'c1', 'p99_ms') },
            loaded: { p50: times(tls, plain, loaded, 'p50_ms'), p99: times(tls, plain, loaded, 'p99_ms') },
            rps_loaded: times(tls, plain, loaded, 'rps'),
            cpu_loaded: ratio(tls, plain, loaded),
            cpu_added_us_loaded: cpuAdded(tls, plain, loaded),
          },
        ]),
      ) as Record<
        (typeof TLS_PAIRS)[number][0],
        {
          vs: string;
          c1: { p50: number | null; p99: number | null };
          loaded: { p50: number | null; p99: number | null };
          rps_loaded: number | null;
          cpu_loaded: number | null;
          cpu_added_us_loaded: number | null;
        }
      >,
      /** TLS termination, HTTP/1.1 keep-alive: prism-proxy (owner-tls − owner) beside HAProxy (haproxy-tls-hop − haproxy-hop). */
      termination: {
        cpu_added_us_loaded: termination,
        prism_vs_haproxy_cpu_added_loaded:
          termination.prism !== null && termination.haproxy ? r2(termination.prism / termination.haproxy) : null,
        added_p50_ms_c1: {
          prism: diff('owner-tls', 'owner', 'c1', 'p50_ms'),
          haproxy: diff('haproxy-tls-hop', 'haproxy-hop', 'c1', 'p50_ms'),
        },
      },
    },
    /** The owner path with tracing on (every request sampled, exported to a local sink) against tracing off. */
    price_of_tracing: {
      cpu_added_us_loaded: cpuAdded(TRACED_SCENARIO, 'owner', loaded),
      cpu_loaded: ratio(TRACED_SCENARIO, 'owner', loaded),
      rps_loaded: times(TRACED_SCENARIO, 'owner', loaded, 'rps'),
      added_ms_c1: {
        p50: diff(TRACED_SCENARIO, 'owner', 'c1', 'p50_ms'),
        p99: diff(TRACED_SCENARIO, 'owner', 'c1', 'p99_ms'),
      },
      added_ms_loaded: {
        p50: diff(TRACED_SCENARIO, 'owner', loaded, 'p50_ms'),
        p99: diff(TRACED_SCENARIO, 'owner', loaded, 'p99_ms'),
      },
    },
  };
}

export interface Target {
  name: string;
  value: number | null;
  max: number;
  met: boolean;
}

/** The issue's targets (bench/README.md), each with the value this run measured. */
export function targets(results: Results, derived: ReturnType<typeof derive>, loaded: string): Target[] {
  const v = (s: string, c: string, k: 'p50_ms' | 'p99_ms') => results[s]?.[c]?.[k] ?? null;
  const list: [string, number | null, number][] = [
    ['forwarding overhead p50 at concurrency 1 (ms)', derived.forwarding_overhead_ms.c1.p50, 0.15],
    ['forwarding overhead p99 at concurrency 1 (ms)', derived.forwarding_overhead_ms.c1.p99, 1],
    ['prism-proxy CPU per request ÷ HAProxy hop, loaded', derived.prism_hop_vs_haproxy_hop.cpu_ratio_loaded, 2.5],
    ['owner p50 at concurrency 1 (ms)', v('owner', 'c1', 'p50_ms'), 0.3],
    ['owner p99 at concurrency 1 (ms)', v('owner', 'c1', 'p99_ms'), 2],
    [`owner p50 at ${loaded} (ms)`, v('owner', loaded, 'p50_ms'), 0.3],
    [`owner p99 at ${loaded} (ms)`, v('owner', loaded, 'p99_ms'), 2],
  ];
  return list.map(([name, value, max]) => ({ name, value, max, met: value !== null && value <= max }));
}

export interface Threshold {
  name: string;
  /** Dotted path into { results, derived }, e.g. derived.prism_hop_vs_haproxy_hop.cpu_ratio_loaded */
  path: string;
  max: number;
}

/** --ci: each threshold with the run's value; a value that is missing or not a number fails. */
export function checkThresholds(
  checks: Threshold[],
  results: Results,
  derived: ReturnType<typeof derive>,
): (Threshold & { value: number; ok: boolean })[] {
  const at = (path: string) =>
    path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], { results, derived });
  return checks.map((t) => {
    const raw = at(t.path);
    const value = typeof raw === 'number' ? raw : Number.NaN;
    return { ...t, value, ok: Number.isFinite(value) && value <= t.max };
  });
}

export function table(results: Results): string {
  // haproxy-fragment-affinity is longer than the 18 characters the column had: it grows to fit.
  const w = Math.max(18, ...Object.keys(results).map((n) => n.length));
  const lines = [`${'scenario'.padEnd(w)} conc   p50 ms   p90 ms   p99 ms     req/s  CPU µs/req  forwarded`];
  for (const [name, byC] of Object.entries(results)) {
    for (const [c, s] of Object.entries(byC)) {
      lines.push(
        `${name.padEnd(w)} ${c.padStart(4)} ${s.p50_ms.toFixed(3).padStart(8)} ${s.p90_ms.toFixed(3).padStart(8)} ${s.p99_ms.toFixed(3).padStart(8)} ${Math.round(s.rps).toString().padStart(9)} ${r1(s.cpu_us_per_req).toString().padStart(11)} ${`${Math.round(s.forwarded_ratio * 100)}%`.padStart(10)}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Two panels of horizontal bars: latency percentiles per scenario at concurrency 1, and CPU time per
 * request of each path's proxies at the loaded level, with the HAProxy hop marked.
 */
export function svg(results: Results, loaded = 'c10'): string {
  const W = 760;
  const left = 140;
  const out: string[] = [];
  let y = 0;

  const latency = Object.entries(results)
    .map(([name, byC]) => ({ name, s: byC.c1 }))
    .filter((r) => r.s);
  const maxMs = Math.max(...latency.map((r) => r.s.p99_ms)) * 1.1;
  const barH = 7;
  const rowH = 3 * barH + 12;
  const x = (v: number, max: number) => left + (v / max) * (W - left - 80);
  const colors = { p50_ms: '#2b6cb0', p90_ms: '#63b3ed', p99_ms: '#bee3f8' } as const;
  out.push('<text x="10" y="20" font-size="14" font-weight="bold">Latency at concurrency 1 (ms): p50, p90, p99</text>');
  y = 40;
  for (const r of latency) {
    out.push(`<text x="10" y="${y + 2 * barH}">${r.name}</text>`);
    (['p50_ms', 'p90_ms', 'p99_ms'] as const).forEach((k, j) => {
      const by = y + j * barH;
      out.push(
        `<rect x="${left}" y="${by}" width="${Math.max(1, x(r.s[k], maxMs) - left).toFixed(1)}" height="${barH - 1}" fill="${colors[k]}"/>`,
      );
      out.push(
        `<text x="${(x(r.s[k], maxMs) + 4).toFixed(1)}" y="${by + barH - 1}" font-size="9">${r.s[k].toFixed(3)}</text>`,
      );
    });
    y += rowH;
  }
  y += 10;
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(
      `<text x="${x(maxMs * f, maxMs).toFixed(1)}" y="${y + 12}" font-size="9" text-anchor="middle">${(maxMs * f).toFixed(2)}</text>`,
    );
  }
  y += 40;

  const cpu = Object.entries(results)
    .map(([name, byC]) => ({ name, s: byC[loaded] }))
    .filter((r) => r.s && r.s.cpu_us_per_req > 0);
  if (cpu.length) {
    const maxUs = Math.max(...cpu.map((r) => r.s.cpu_us_per_req)) * 1.1;
    out.push(
      `<text x="10" y="${y}" font-size="14" font-weight="bold">CPU per request at ${loaded.replace('c', 'concurrency ')} (µs, proxies and load balancers on the path)</text>`,
    );
    y += 20;
    const top = y;
    for (const r of cpu) {
      const w = Math.max(1, x(r.s.cpu_us_per_req, maxUs) - left);
      const fill = r.name.endsWith('-hop') ? '#a0aec0' : '#dd6b20';
      out.push(`<text x="10" y="${y + 10}">${r.name}</text>`);
      out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="12" fill="${fill}"/>`);
      out.push(
        `<text x="${(left + w + 4).toFixed(1)}" y="${y + 10}" font-size="9">${r.s.cpu_us_per_req.toFixed(1)}</text>`,
      );
      y += 18;
    }
    const hop = results['haproxy-hop']?.[loaded]?.cpu_us_per_req;
    if (hop) {
      for (const [k, label, dy] of [
        [1, 'HAProxy hop', 12],
        [2.5, '2.5× HAProxy hop', 24],
      ] as const) {
        const hx = x(hop * k, maxUs).toFixed(1);
        out.push(
          `<line x1="${hx}" y1="${top - 4}" x2="${hx}" y2="${y + dy - 9}" stroke="#2d3748" stroke-dasharray="3,3"/>`,
        );
        out.push(`<text x="${hx}" y="${y + dy}" font-size="9" text-anchor="middle">${label}</text>`);
      }
    }
    y += 36;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif" font-size="12">\n${out.join('\n')}\n</svg>\n`;
}

/** A line per LB_FIT_PAIRS scenario that ran: its figures ÷ the whole-config scenario's. */
function lbFit(results: Results, d: ReturnType<typeof derive>, loadedConcurrency: string): string {
  const pairs = LB_FIT_PAIRS.filter(([fit]) => results[fit]);
  if (!pairs.length) return '';
  const x = (v: number | null) => (v === null ? 'n/a' : `${v}×`);
  const lines = pairs.map(([fit, whole]) => {
    const r = d.lb_fit[fit];
    return `- **${fit} ÷ ${whole}**: p50 ${x(r.c1.p50)}, p99 ${x(r.c1.p99)} at concurrency 1; p50 ${x(r.loaded.p50)}, req/s ${x(r.rps_loaded)}, CPU per request ${x(r.cpu_loaded)} at concurrency ${loadedConcurrency}.`;
  });
  return `## Fitted into the operator's load balancer

Each way of adding Prism to a load balancer the operator already runs, against the configuration
Prism owns whole in the same run (same routing, same checks: the same cost is expected; 1× is equal).

${lines.join('\n')}

`;
}

/** The "Price of TLS" section: each TLS scenario beside its plaintext counterpart (TLS_PAIRS). */
function priceOfTls(results: Results, d: ReturnType<typeof derive>, loadedConcurrency: string): string {
  const loaded = `c${loadedConcurrency}`;
  const pairs = TLS_PAIRS.filter(([tls]) => results[tls]);
  if (!pairs.length) return '';
  const ms = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));
  const times = (x: number | null) => (x === null ? '' : ` (${x}×)`);
  const rows = pairs.map(([tls, plain]) => {
    const t = results[tls];
    const p = results[plain];
    const r = d.price_of_tls.ratios[tls];
    const cell = (c: string, k: 'p50_ms' | 'p99_ms', ratio: number | null) =>
      `${ms(t[c]?.[k])} / ${ms(p?.[c]?.[k])}${times(ratio)}`;
    const rps = `${t[loaded] ? Math.round(t[loaded].rps) : 'n/a'} / ${p?.[loaded] ? Math.round(p[loaded].rps) : 'n/a'}${times(r.rps_loaded)}`;
    const cpu = `${t[loaded] ? r1(t[loaded].cpu_us_per_req) : 'n/a'} / ${p?.[loaded] ? r1(p[loaded].cpu_us_per_req) : 'n/a'}${times(r.cpu_loaded)}`;
    return `| ${tls} | ${plain} | ${cell('c1', 'p50_ms', r.c1.p50)} | ${cell('c1', 'p99_ms', r.c1.p99)} | ${cell(loaded, 'p50_ms', r.loaded.p50)} | ${cell(loaded, 'p99_ms', r.loaded.p99)} | ${rps} | ${cpu} |`;
  });
  const term = d.price_of_tls.termination;
  return `## Price of TLS

Each TLS scenario beside its plaintext counterpart of the same run: TLS / plaintext (TLS ÷ plaintext).
The clients keep their connections alive (wrk, h2load), so a connection's TLS handshake is paid once,
before its first request, and these figures are the per-request cost of encryption that a keep-alive
client sees — not the cost of a handshake per request. The TLS scenarios run on their own proxies
(and their own admin) with the same build and configuration but the certificates; forward-mtls-h2 is
set against forward, HTTP/1.1 in cleartext being what peers speak without a fleet CA.

| TLS | plaintext | p50 c=1 ms | p99 c=1 ms | p50 c=${loadedConcurrency} ms | p99 c=${loadedConcurrency} ms | req/s c=${loadedConcurrency} | CPU µs/req c=${loadedConcurrency} |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

**TLS termination** (HTTP/1.1, keep-alive), added CPU per request at concurrency ${loadedConcurrency}: prism-proxy ${term.cpu_added_us_loaded.prism ?? 'n/a'} µs (owner-tls − owner), HAProxy ${term.cpu_added_us_loaded.haproxy ?? 'n/a'} µs (haproxy-tls-hop − haproxy-hop)${term.prism_vs_haproxy_cpu_added_loaded === null ? '' : `, ${term.prism_vs_haproxy_cpu_added_loaded}× HAProxy's`}; added p50 at concurrency 1: prism-proxy ${term.added_p50_ms_c1.prism ?? 'n/a'} ms, HAProxy ${term.added_p50_ms_c1.haproxy ?? 'n/a'} ms.

`;
}

/** The tracing section: owner-traced beside owner, when both ran. */
function priceOfTracing(d: ReturnType<typeof derive>, loadedConcurrency: string): string {
  const t = d.price_of_tracing;
  if (t.cpu_loaded === null) return '';
  return `## The price of tracing

The owner path with tracing on (owner-traced: every request sampled, a span per request batched to a
local OTLP/HTTP sink as JSON) beside the same path with tracing off (owner, the default: no tracing
code loaded). Added CPU per request at concurrency ${loadedConcurrency}: ${t.cpu_added_us_loaded} µs (${t.cpu_loaded}× owner's); req/s
there ${t.rps_loaded}× owner's; added p50 / p99 at concurrency 1: ${t.added_ms_c1.p50} / ${t.added_ms_c1.p99} ms, at concurrency ${loadedConcurrency}: ${t.added_ms_loaded.p50} / ${t.added_ms_loaded.p99} ms.
With a lower tracing.sampleRatio the unsampled requests still continue or start a trace context and
pass a traceparent on, but record and export nothing.

`;
}

export function markdown(
  results: Results,
  derived: ReturnType<typeof derive>,
  meta: Record<string, unknown>,
  goals: Target[],
): string {
  const d = derived;
  const hop = (s: string, c: string) => results[s]?.[c];
  return `# Prism Edge benchmark

${meta.date} · ${meta.cpus} CPUs · node ${meta.node} · mode ${meta.mode} · ${meta.reps} interleaved run(s) of ${meta.seconds} s per scenario and concurrency, medians · HTTP/1.1 with wrk and h2c with h2load, keep-alive

![latency percentiles at concurrency 1 and CPU per request loaded](latest.svg)

| scenario | path |
|---|---|
| direct | client → backend (the floor) |
| owner | client → owning prism-proxy → backend |
| forward | client → non-owner prism-proxy → owner → backend |
| haproxy-hop / nginx-hop | client → HAProxy / NGINX → backend (no prism-proxy): one hop in a C proxy |
| node-hop | client → the leanest Node forwarder (node:http + undici, no Prism logic) → backend: the floor of any Node proxy |
| haproxy-affinity / nginx-affinity / envoy-affinity | client → LB with the generated config → owner → backend (64 namespaces over 4 proxies) |
| haproxy-fragment-affinity | haproxy-affinity with the generated fragment (\`--fragment\`) loaded beside an operator's own haproxy.cfg (their defaults and frontend, one \`use_backend\` line) |
| envoy-xds-affinity | envoy-affinity with Envoy started from \`lb xds --print-bootstrap\` alone, its listener, routes and clusters served over xDS |
| random-lb | client → HAProxy round robin over 4 proxies → (mostly forwarded) → backend |
| owner-h2c / forward-h2c | the owner and forward paths with the client speaking h2c (h2load); proxies reach the backend over HTTP/1.1 |
| owner-tls / owner-tls-h2 | client → owning prism-proxy over TLS (HTTP/1.1 with wrk, h2 by ALPN with h2load) → backend |
| forward-tls | client → non-owner over TLS → owner (peers in cleartext, as in forward) → backend |
| forward-mtls / forward-mtls-h2 | client → non-owner in cleartext → owner over mutual TLS (peers HTTP/1.1, or h2 with forwarding.h2) → backend: the secure fleet's forward |
| haproxy-tls-hop | client → HAProxy terminating TLS → backend (haproxy-hop with \`ssl crt\` on its listener) |
| haproxy-tls | client → HAProxy with the generated config, terminating TLS → owner in cleartext → backend: TLS at the load balancer |
| owner-traced | the owner path with tracing on (its own one-proxy fleet; every request sampled, spans batched to a local OTLP/HTTP sink); owner is the same path with tracing off, the default |

\`\`\`
${table(results)}
\`\`\`

CPU µs/req counts every proxy and load-balancer process on the path (not the backend, not wrk).

## Against the seed's assumptions

- **Forwarding overhead** (forward − owner): p50 ${d.forwarding_overhead_ms.c1.p50} ms, p99 ${d.forwarding_overhead_ms.c1.p99} ms at concurrency 1; p50 ${d.forwarding_overhead_ms.loaded.p50} ms, p99 ${d.forwarding_overhead_ms.loaded.p99} ms loaded; over h2c at concurrency 1, p50 ${d.forwarding_overhead_ms.h2c_c1.p50} ms. The seed assumed ${d.forwarding_overhead_ms.seed_claim}.
- **Affinity gain** (random-lb − haproxy-affinity): p50 ${d.affinity_gain_ms.c1.p50} ms, p99 ${d.affinity_gain_ms.c1.p99} ms at concurrency 1; p50 ${d.affinity_gain_ms.loaded.p50} ms loaded. The seed computed ${d.affinity_gain_ms.seed_claim}.
- **A prism-proxy hop vs a C proxy hop**, added p50 over direct at concurrency 1: prism-proxy ${d.prism_hop_vs_haproxy_hop.added_p50_ms_c1.prism} ms, HAProxy ${d.prism_hop_vs_haproxy_hop.added_p50_ms_c1.haproxy} ms, NGINX ${d.prism_hop_vs_haproxy_hop.added_p50_ms_c1.nginx} ms. CPU per request loaded, prism-proxy owner ÷ HAProxy hop: ${d.prism_hop_vs_haproxy_hop.cpu_ratio_loaded}× (forward path, two proxies: ${d.prism_hop_vs_haproxy_hop.forward_cpu_ratio_loaded}×, ${d.prism_hop_vs_haproxy_hop.forward_cpu_ratio_per_hop_loaded}× per hop).
- **The Node floor**: the leanest Node hop adds p50 ${d.node_floor.added_p50_ms_c1} ms over direct at concurrency 1 and costs ${d.node_floor.node_hop_vs_haproxy_cpu_ratio_loaded}× HAProxy's CPU per request loaded; prism-proxy (namespace, partition, table lookup, metrics, header rewriting) costs ${d.node_floor.prism_vs_node_hop_cpu_ratio_loaded}× the leanest Node hop, ${d.node_floor.prism_minus_node_hop_cpu_us_loaded} µs more per request.

${lbFit(results, d, String(meta.loaded_concurrency))}${priceOfTls(results, d, String(meta.loaded_concurrency))}${priceOfTracing(d, String(meta.loaded_concurrency))}## Targets

| target | measured | limit | |
|---|---:|---:|---|
${goals.map((g) => `| ${g.name} | ${g.value ?? 'n/a'} | ≤ ${g.max} | ${g.met ? 'met' : 'missed'} |`).join('\n')}

Where a target is missed, [bench/README.md](../README.md) says where the CPU goes; changes to the hot path are measured build against build with \`npm run bench:ab\` ([ab.md](ab.md): the proxy before and after this work).

At concurrency ${String(meta.loaded_concurrency)} the load is closed-loop on ${meta.cpus} shared cores, so p50 ≈ ${String(meta.loaded_concurrency)} ÷ req/s (Little's law): it measures throughput more than the hop. For scale, the plain HAProxy hop's p50 there is ${hop('haproxy-hop', `c${String(meta.loaded_concurrency)}`)?.p50_ms.toFixed(3) ?? 'n/a'} ms.
`;
}
