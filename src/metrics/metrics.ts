import { Counter, Histogram, register } from 'prom-client';

/** Prometheus metrics of the spine; served at /metrics from the default registry. */
function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames });
}
function histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram<string> {
  return (register.getSingleMetric(name) as Histogram<string>) ?? new Histogram({ name, help, labelNames, buckets });
}

export const metrics = {
  toggles: counter('svc_sentry_toggles_total', 'Monitoring toggles received, by protocol and wanted state.', ['protocol', 'enabled']),
  reconciles: counter('svc_sentry_reconcile_total', 'Reconcile passes by outcome (ready, disabled, retry, failed).', ['outcome']),
  reconcileSeconds: histogram(
    'svc_sentry_reconcile_duration_seconds',
    'Duration of one reconcile pass.',
    ['outcome'],
    [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
  ),
  upstreamCalls: counter('svc_sentry_upstream_calls_total', 'Calls to upstream error trackers by upstream, method and status (or error).', [
    'upstream',
    'method',
    'status',
  ]),
  upstreamSeconds: histogram(
    'svc_sentry_upstream_call_duration_seconds',
    'Latency of upstream calls.',
    ['upstream', 'method'],
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15],
  ),
  workerProcessRestarts: counter('svc_sentry_worker_process_restarts_total', 'Times role all started its reconcile worker process again after it exited.', []),
  // The store waiting for a pooled connection: all of the pool's are taken, e.g. by transactions slowed down on a
  // saturated machine or waiting on an app module's lock another replica holds. A wait ends at 5 s (POOL_WAIT_MS).
  dbConnectionWaitSeconds: histogram(
    'svc_sentry_db_connection_wait_seconds',
    'Time the store waited for a pooled PostgreSQL connection (toggle transactions, status reads, reconcile reads and writes).',
    [],
    [0.001, 0.005, 0.025, 0.1, 0.25, 1, 5],
  ),
  upstreamThrottled: counter('svc_sentry_upstream_throttled_total', 'Upstream 429 answers that made svc-sentry wait.', ['upstream']),
};
