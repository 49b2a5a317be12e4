import { Counter, Gauge, Histogram, register } from 'prom-client';

/** Prometheus metrics of the Kubernetes part, on prom-client's default registry (idempotent registration). */
function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames });
}

export const secretWrites = counter(
  'svc_sentry_kube_secret_writes_total',
  'Secret operations by outcome (created, updated, unchanged, deleted, absent, not_owned, error)',
  ['cluster', 'outcome'],
);

export const rollouts = counter('svc_sentry_kube_rollouts_total', 'Deployment restarts after a Secret change, by outcome', ['cluster', 'outcome']);

export const webhookDecisions = counter(
  'svc_sentry_webhook_decisions_total',
  'Admission decisions (patched, unchanged, not_enabled, not_labelled, ignored, malformed, error)',
  ['decision', 'dry_run'],
);

export const webhookDuration: Histogram<string> =
  (register.getSingleMetric('svc_sentry_webhook_duration_seconds') as Histogram<string>) ??
  new Histogram({
    name: 'svc_sentry_webhook_duration_seconds',
    help: 'Time to answer one AdmissionReview, from the request arriving to the response written',
    labelNames: ['decision'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  });

export const enabledViewRefreshes = counter('svc_sentry_webhook_view_refreshes_total', 'Refreshes of the in-memory view of enabled targets, by outcome', [
  'outcome',
]);

function gauge(name: string, help: string): Gauge<string> {
  return (register.getSingleMetric(name) as Gauge<string>) ?? new Gauge({ name, help });
}

export const enabledViewReloads = counter(
  'svc_sentry_webhook_view_reloads_total',
  'Full loads of the webhook view: at start, after the change feed reconnected, or polls of a source without a feed',
  ['reason'],
);

export const enabledViewChanges = counter('svc_sentry_webhook_view_changes_total', 'Changed instances re-read into the webhook view, by outcome', ['outcome']);

export const enabledViewStale = gauge(
  'svc_sentry_webhook_view_stale',
  '1 while the webhook view may miss changes (its change feed is down or its last load failed), else 0',
);

export const enabledViewSize = gauge('svc_sentry_webhook_view_targets', 'Enabled targets in the webhook view');
