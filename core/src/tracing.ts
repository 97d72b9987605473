import type { TextMapPropagator, Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { ProxyConfig } from './config/proxy-schema.js';
import { PrismError } from './errors.js';
import { describe } from './names.js';

type TracingConfig = ProxyConfig['tracing'];
type Env = Record<string, string | undefined>;

/** Where spans go and under which name: the options, else the OTel variables an operator already sets. */
export interface TracingSettings {
  endpoint: string;
  /** Which option or variable the endpoint came from (for messages). */
  endpointFrom: string;
  serviceName: string;
}

const DEFAULT_ENDPOINT = 'http://localhost:4318/v1/traces';
/** RFC 9110 token: a field name that can be sent as it is. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, space and tab (RFC 9110 field-value), so a value cannot start another field. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The OTLP endpoint and service name, by the precedence the OpenTelemetry SDKs use: what the
 * configuration says, else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as it is), else
 * OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended, else the collector's default on localhost;
 * OTEL_SERVICE_NAME, else prism-proxy. Refuses a URL that is not http(s) (PRISM-CONFIG-010) and a
 * header that could not be sent (PRISM-CONFIG-011) before anything starts.
 */
export function tracingSettings(config: TracingConfig, env: Env = process.env): TracingSettings {
  let endpoint = config.otlpEndpoint;
  let endpointFrom = 'tracing.otlpEndpoint';
  if (!endpoint && env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.trim();
    endpointFrom = '$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  } else if (!endpoint && env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    endpoint = `${env.OTEL_EXPORTER_OTLP_ENDPOINT.trim().replace(/\/+$/, '')}/v1/traces`;
    endpointFrom = '$OTEL_EXPORTER_OTLP_ENDPOINT';
  } else if (!endpoint) {
    endpoint = DEFAULT_ENDPOINT;
    endpointFrom = 'the OTLP default';
  }
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new PrismError('PRISM-CONFIG-010', `${endpointFrom} = ${describe(endpoint)} is not an http or https URL`);
  }
  for (const [name, value] of Object.entries(config.headers)) {
    if (!FIELD_NAME.test(name) || !FIELD_VALUE.test(value)) {
      throw new PrismError(
        'PRISM-CONFIG-011',
        `tracing.headers field ${describe(name)} ${FIELD_NAME.test(name) ? 'has a value with control characters' : 'is not a valid field name'}`,
      );
    }
  }
  const serviceName = config.serviceName || env.OTEL_SERVICE_NAME?.trim() || 'prism-proxy';
  return { endpoint, endpointFrom, serviceName };
}

/** A running tracer: spans go to a bounded queue that a batch processor sends over OTLP/HTTP. */
export interface Tracing {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  readonly settings: TracingSettings;
  /** Sends the spans still queued (within tracing.exportTimeoutMs) and stops. */
  shutdown(): Promise<void>;
}

/** How often a failing export is logged at most: a collector that is down must not flood the log. */
const EXPORT_WARNING_MS = 60_000;

/**
 * Starts the OpenTelemetry SDK for one program. The SDK is imported here, dynamically, so a program
 * with tracing off never loads it. Nothing is registered globally: each proxy (several share a
 * process in the tests) has its own provider, and contexts are passed explicitly.
 */
export async function startTracing(
  config: TracingConfig,
  { instance, log, env = process.env }: { instance: string; log: Logger; env?: Env },
): Promise<Tracing> {
  const settings = tracingSettings(config, env);
  const [sdk, { OTLPTraceExporter }, { resourceFromAttributes }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ]);
  const otlp = new OTLPTraceExporter({
    url: settings.endpoint,
    headers: { ...config.headers },
    timeoutMillis: config.exportTimeoutMs,
  });
  let warnedAt = Number.NEGATIVE_INFINITY;
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      otlp.export(spans, (result) => {
        if (result.code !== 0 && Date.now() - warnedAt >= EXPORT_WARNING_MS) {
          warnedAt = Date.now();
          log.warn(
            { endpoint: settings.endpoint, spans: spans.length, err: result.error?.message },
            'tracing: spans could not be sent to the OTLP endpoint and were dropped (logged at most once a minute)',
          );
        }
        done(result);
      });
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const provider = new sdk.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.instance.id': instance }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [
      new sdk.BatchSpanProcessor(exporter, {
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: Math.min(512, config.maxQueueSize),
        scheduledDelayMillis: config.batchDelayMs,
        exportTimeoutMillis: config.exportTimeoutMs,
      }),
    ],
  });
  log.info(
    {
      endpoint: settings.endpoint,
      endpointFrom: settings.endpointFrom,
      serviceName: settings.serviceName,
      sampleRatio: config.sampleRatio,
    },
    'tracing on: spans are exported over OTLP/HTTP',
  );
  let closing: Promise<void> | undefined;
  return {
    tracer: provider.getTracer('prism-proxy'),
    propagator: new W3CTraceContextPropagator(),
    settings,
    shutdown() {
      closing ??= Promise.race([
        provider.shutdown().catch((err: Error) => log.warn({ err }, 'tracing: flushing the last spans failed')),
        new Promise<void>((resolve) => setTimeout(resolve, config.exportTimeoutMs + 1_000).unref()),
      ]);
      return closing;
    },
  };
}
