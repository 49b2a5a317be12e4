import { DynamicModule, Module } from '@nestjs/common';
import { HttpAdapterHost, RouterModule } from '@nestjs/core';
import { mountProtocolJson } from '../common/protocol-json';
import { AppConfig } from '../config/config.schema';
import { InstancesModule } from '../instances/instances.module';
import { BkpaasAuthGuard } from './bkpaas-auth.guard';
import { BkpaasCatalog } from './bkpaas-catalog';
import { bkError } from './bkpaas-error.filter';
import { BkpaasRecords } from './bkpaas-records.store';
import { BkpaasController } from './bkpaas.controller';
import { BkpaasService } from './bkpaas.service';

export type SsoRequest = { url: string; originalUrl: string; bkSsoToken?: string };

/** BlueKing PaaS 3.0 remote service, mounted under `bkpaas.prefix` (default /bkpaas/). */
@Module({})
export class BkpaasModule {
  constructor(host: HttpAdapterHost, config: AppConfig) {
    mountProtocolJson(host, config.bkpaas.prefix, (err, _req, res) => {
      const { status, body } = bkError(err);
      res.status(status).json(body);
    });
    // The SSO token arrives in the query string: take it out before the request logger records the URL.
    const base = config.bkpaas.prefix.replace(/\/+$/, '');
    host.httpAdapter.getInstance().use(`${base}/authenticate`, (req: SsoRequest, _res: unknown, next: () => void) => {
      const m = /[?&]token=([^&]*)/.exec(req.url);
      if (m) {
        req.bkSsoToken = decodeURIComponent(m[1]);
        const redact = (u: string) => u.replace(/([?&]token=)[^&]*/g, '$1[REDACTED]');
        req.url = redact(req.url);
        req.originalUrl = redact(req.originalUrl);
      }
      next();
    });
  }

  static forRoot(prefix: string): DynamicModule {
    return {
      module: BkpaasModule,
      imports: [RouterModule.register([{ path: prefix.replace(/^\/+|\/+$/g, ''), module: BkpaasModule }]), InstancesModule],
      controllers: [BkpaasController],
      providers: [BkpaasRecords, BkpaasCatalog, BkpaasService, BkpaasAuthGuard],
    };
  }
}
