import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultsOn = false;

/** Prometheus exposition of the default registry. */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor() {
    if (!defaultsOn) {
      collectDefaultMetrics({ prefix: 'svc_sentry_' });
      defaultsOn = true;
    }
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
