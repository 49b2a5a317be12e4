import { DynamicModule, Module, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiModule } from './api/api.module';
import { CatalogService } from './catalog/catalog.service';
import { BearerTokenGuard } from './common/auth/bearer-token.guard';
import { SecretBox } from './common/crypto';
import { REDACT_PATHS, scrub } from './common/redact';
import { AppConfig } from './config/config.schema';
import { dataSourceOptions } from './database/database';
import { HealthController } from './health/health.controller';
import { InstancesModule } from './instances/instances.module';
import { MetricsController } from './metrics/metrics.controller';
import { ReconcileModule, ReconcileQueueModule } from './reconcile/reconcile.module';
import { UpstreamRegistry } from './upstreams/upstream-registry';
import { WebModule } from './web/web.controller';
import type { WorkerProcess } from './worker-process';
import { OtherProcessMetrics } from './metrics/process-metrics';

/** What main.ts resolved before Nest starts: the config, the database URL and the encryption key. */
export interface Runtime {
  config: AppConfig;
  databaseUrl: string;
  encryptionKey: string;
  /** Extra modules (protocols, Kubernetes) to mount. */
  imports?: Array<Type<unknown> | DynamicModule>;
  /** Role all's reconcile worker process, when this process supervises one (/metrics adds its metrics). */
  workerProcess?: WorkerProcess;
}

/** What every module may inject: the config, the credential box, the plan catalog, the upstreams and the REST guard. */
@Module({})
class CoreModule {
  static forRoot(rt: Runtime): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      providers: [
        { provide: AppConfig, useValue: rt.config },
        { provide: SecretBox, useValue: new SecretBox(rt.encryptionKey) },
        CatalogService,
        { provide: UpstreamRegistry, useFactory: (c: AppConfig) => new UpstreamRegistry(c), inject: [AppConfig] },
        BearerTokenGuard,
        ...(rt.workerProcess ? [{ provide: OtherProcessMetrics, useValue: rt.workerProcess }] : []),
      ],
      exports: [AppConfig, SecretBox, CatalogService, UpstreamRegistry, BearerTokenGuard, ...(rt.workerProcess ? [OtherProcessMetrics] : [])],
    };
  }
}

/**
 * The application: logging, the database, the core providers, the job queue, the instances domain, reconciliation,
 * the REST API, health and metrics, plus the feature modules in `rt.imports` (Kubernetes, the platform protocols,
 * legacy migration), which import InstancesModule themselves.
 */
@Module({})
export class AppModule {
  static forRoot(rt: Runtime): DynamicModule {
    const { config } = rt;
    const secrets = [...config.apiTokens, ...config.upstreams.map((u) => u.token), rt.encryptionKey];
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [
            {
              level: config.logLevel,
              redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
              genReqId: (req, res) => {
                const id = (req.headers['x-request-id'] as string) || randomUUID();
                res.setHeader('X-Request-Id', id);
                return id;
              },
              autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
              // A request's line names the request and its answer, not their headers: serializing and redacting every
              // header cost about 0.4 ms of CPU per request (bench:api's profile), and headers are where credentials travel.
              wrapSerializers: false,
              serializers: {
                req: (req: IncomingMessage & { id?: unknown; originalUrl?: string }) => ({
                  id: req.id,
                  method: req.method,
                  url: req.originalUrl ?? req.url,
                  remoteAddress: req.socket?.remoteAddress,
                }),
                res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
              },
              hooks: {
                logMethod(args, method) {
                  method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a, secrets) : a)) as Parameters<typeof method>);
                },
              },
            },
            // Lines go to stdout asynchronously: those logged while a write is in flight go out together in the next one,
            // off the request's path (a synchronous write per request line cost about 0.3 ms of CPU on bench:api's GET).
            // pino writes what is left synchronously when the process exits.
            pino.destination({ dest: 1, sync: false }),
          ],
        }),
        TypeOrmModule.forRoot(dataSourceOptions(rt.databaseUrl)),
        // /readyz logs readiness itself, once per change (HealthController); terminus would log an error per failing probe.
        TerminusModule.forRoot({ logger: false }),
        CoreModule.forRoot(rt),
        ReconcileQueueModule.forRoot(rt),
        InstancesModule,
        ReconcileModule.forRoot(rt),
        ApiModule,
        WebModule,
        ...(rt.imports ?? []),
      ],
      controllers: [HealthController, MetricsController],
    };
  }
}
