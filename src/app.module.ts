import { DynamicModule, Module, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MonitoringController } from './api/monitoring.controller';
import { MonitoringListController } from './api/monitoring-list.controller';
import { OperationsController } from './api/operations.controller';
import { CatalogService } from './catalog/catalog.service';
import { BearerTokenGuard } from './common/auth/bearer-token.guard';
import { SecretBox } from './common/crypto';
import { REDACT_PATHS, scrub } from './common/redact';
import { AppConfig } from './config/config.schema';
import { dataSourceOptions } from './database/database';
import { HealthController } from './health/health.controller';
import { InstanceStore } from './instances/instance-store';
import { InstancesService } from './instances/instances.service';
import { ModuleDirectory } from './instances/module-directory';
import { TypeormModuleDirectory } from './instances/typeorm-module-directory';
import { TypeormInstanceStore } from './instances/typeorm-instance.store';
import { KubernetesTargets } from './kubernetes/kubernetes-targets.port';
import { MetricsController } from './metrics/metrics.controller';
import { OperationSettler } from './reconcile/operation-settler';
import { PgBossQueue } from './reconcile/pg-boss.queue';
import { PgInstanceLocks } from './reconcile/pg-instance-locks';
import { ReconcileWorker } from './reconcile/reconcile.worker';
import { InstanceLocks, ReconcileQueue } from './reconcile/reconcile-queue';
import { Reconciler } from './reconcile/reconciler';
import { SecretSweep } from './reconcile/secret-sweep';
import { UpstreamRegistry } from './upstreams/upstream-registry';
import { WebModule } from './web/web.controller';

/** What main.ts resolved before Nest starts: the config, the database URL and the encryption key. */
export interface Runtime {
  config: AppConfig;
  databaseUrl: string;
  encryptionKey: string;
  /** Extra modules (protocols, Kubernetes) to mount. */
  imports?: Array<Type<unknown> | DynamicModule>;
}

@Module({})
export class AppModule {
  static forRoot(rt: Runtime): DynamicModule {
    const { config } = rt;
    const secrets = [...config.apiTokens, ...config.upstreams.map((u) => u.token), rt.encryptionKey];
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
            genReqId: (req, res) => {
              const id = (req.headers['x-request-id'] as string) || randomUUID();
              res.setHeader('X-Request-Id', id);
              return id;
            },
            autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
            hooks: {
              logMethod(args, method) {
                method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a, secrets) : a)) as Parameters<typeof method>);
              },
            },
          },
        }),
        TypeOrmModule.forRoot(dataSourceOptions(rt.databaseUrl)),
        TerminusModule,
        WebModule,
        ...(rt.imports ?? []),
      ],
      controllers: [MonitoringController, MonitoringListController, OperationsController, HealthController, MetricsController],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: SecretBox, useValue: new SecretBox(rt.encryptionKey) },
        CatalogService,
        { provide: UpstreamRegistry, useFactory: (c: AppConfig) => new UpstreamRegistry(c), inject: [AppConfig] },
        {
          provide: PgBossQueue,
          useFactory: (log: PinoLogger) =>
            new PgBossQueue(rt.databaseUrl, config.reconcile, {
              supervise: config.role !== 'api',
              // Message and code only: a pg error carries its client (and with it the connection settings).
              onError: (e) => log.warn({ code: (e as { code?: string }).code }, `job queue error: ${e.message}`),
            }),
          inject: [PinoLogger],
        },
        { provide: ReconcileQueue, useExisting: PgBossQueue },
        { provide: InstanceLocks, useFactory: () => new PgInstanceLocks(rt.databaseUrl, config.reconcile.concurrency + 2) },
        { provide: InstanceStore, useFactory: (ds: DataSource, q: ReconcileQueue) => new TypeormInstanceStore(ds, q), inject: [DataSource, ReconcileQueue] },
        { provide: OperationSettler, useFactory: (s: InstanceStore) => new OperationSettler(s), inject: [InstanceStore] },
        {
          provide: Reconciler,
          useFactory: (
            s: InstanceStore,
            u: UpstreamRegistry,
            c: CatalogService,
            b: SecretBox,
            l: InstanceLocks,
            k: KubernetesTargets | null,
            o: OperationSettler,
            log: PinoLogger,
          ) => {
            log.setContext('reconciler');
            return new Reconciler(s, u, c, b, l, k, o, log);
          },
          inject: [
            InstanceStore,
            UpstreamRegistry,
            CatalogService,
            SecretBox,
            InstanceLocks,
            { token: KubernetesTargets, optional: true },
            OperationSettler,
            PinoLogger,
          ],
        },
        {
          provide: SecretSweep,
          useFactory: (s: InstanceStore, c: CatalogService, b: SecretBox, k: KubernetesTargets | null) => new SecretSweep(s, c, b, k),
          inject: [InstanceStore, CatalogService, SecretBox, { token: KubernetesTargets, optional: true }],
        },
        { provide: ModuleDirectory, useFactory: (ds: DataSource) => new TypeormModuleDirectory(ds), inject: [DataSource] },
        InstancesService,
        BearerTokenGuard,
        ReconcileWorker,
      ],
      exports: [AppConfig, SecretBox, CatalogService, UpstreamRegistry, InstanceStore, InstancesService, BearerTokenGuard, ReconcileQueue, PgBossQueue],
    };
  }
}
