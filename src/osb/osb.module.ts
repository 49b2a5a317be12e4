import { Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Response } from 'express';
import { mountProtocolJson } from '../common/protocol-json';
import { AppConfig } from '../config/config.schema';
import { InstancesModule } from '../instances/instances.module';
import { OsbGuard, preflight } from './osb-auth';
import { OsbBindingsService } from './osb-bindings.service';
import { osbAnswer } from './osb-error.filter';
import { OsbInstancesService } from './osb-instances.service';
import { OsbController } from './osb.controller';

/** Open Service Broker API under /v2/ (Basic auth from SVC_SENTRY_OSB_USERNAME / SVC_SENTRY_OSB_PASSWORD). */
@Module({
  imports: [InstancesModule],
  controllers: [OsbController],
  providers: [OsbInstancesService, OsbBindingsService, OsbGuard],
})
export class OsbModule {
  constructor(host: HttpAdapterHost, config: AppConfig) {
    // A body that is not JSON: auth (401) and version (412) still come first, then 400.
    mountProtocolJson(host, '/v2/', (err, req, res: Response) => {
      let answer = osbAnswer(err);
      try {
        preflight(req, res, config);
      } catch (e) {
        answer = osbAnswer(e);
      }
      if (answer.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="svc-sentry broker"');
      res.status(answer.status).json(answer.body);
    });
  }
}
