import { DynamicModule, Module } from '@nestjs/common';
import { HttpAdapterHost, RouterModule } from '@nestjs/core';
import { mountProtocolJson } from '../common/protocol-json';
import { AppConfig } from '../config/config.schema';
import { InstanceOpsService } from '../instances/instance-ops.service';
import { BkpaasAuthGuard } from './bkpaas-auth.guard';
import { BkpaasCatalog } from './bkpaas-catalog';
import { bkError } from './bkpaas-error.filter';
import { BkpaasRecords } from './bkpaas-records.store';
import { BkpaasController } from './bkpaas.controller';
import { BkpaasService } from './bkpaas.service';

/** BlueKing PaaS 3.0 remote service, mounted under `bkpaas.prefix` (default /bkpaas/). */
@Module({})
export class BkpaasModule {
  constructor(host: HttpAdapterHost, config: AppConfig) {
    mountProtocolJson(host, config.bkpaas.prefix, (err, _req, res) => {
      const { status, body } = bkError(err);
      res.status(status).json(body);
    });
  }

  static forRoot(prefix: string): DynamicModule {
    return {
      module: BkpaasModule,
      imports: [RouterModule.register([{ path: prefix.replace(/^\/+|\/+$/g, ''), module: BkpaasModule }])],
      controllers: [BkpaasController],
      providers: [InstanceOpsService, BkpaasRecords, BkpaasCatalog, BkpaasService, BkpaasAuthGuard],
    };
  }
}
