import { Controller, Get, Header, Optional } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AggregatorRegistry, collectDefaultMetrics, register } from 'prom-client';
import { OtherProcessMetrics } from './process-metrics';

let defaultsOn = false;

/** Prometheus exposition of the default registry, summed with role all's worker process's (same names, one pod). */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(@Optional() private readonly worker?: OtherProcessMetrics) {
    if (!defaultsOn) {
      collectDefaultMetrics({ prefix: 'svc_sentry_' });
      defaultsOn = true;
    }
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  async metrics(): Promise<string> {
    if (!this.worker) return register.metrics();
    const [own, worker] = await Promise.all([register.getMetricsAsJSON(), this.worker.metrics()]);
    return AggregatorRegistry.aggregate(worker.length ? [own, worker] : [own]).metrics();
  }
}
