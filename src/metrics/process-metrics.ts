import { register } from 'prom-client';

/** One process's metrics as prom-client JSON (`register.getMetricsAsJSON()`). */
export type MetricsJson = Awaited<ReturnType<typeof register.getMetricsAsJSON>>;

/** Another process of this pod whose metrics /metrics sums with its own (role all's reconcile worker process). */
export abstract class OtherProcessMetrics {
  abstract metrics(): Promise<MetricsJson>;
}
