import { DynamicModule, Module } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { CatalogService } from '../catalog/catalog.service';
import { SecretBox } from '../common/crypto';
import { AppConfig } from '../config/config.schema';
import { InstanceStore } from '../instances/instance-store';
import { InstancesModule } from '../instances/instances.module';
import { ReconcileQueue } from '../instances/reconcile-queue.port';
import { KubernetesTargets } from '../kubernetes/kubernetes-targets.port';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { OperationSettler } from './operation-settler';
import { PgBossQueue } from './pg-boss.queue';
import { PgInstanceLocks } from './pg-instance-locks';
import { ReconcileWorker } from './reconcile.worker';
import { InstanceLocks } from './reconcile-queue';
import { Reconciler } from './reconciler';
import { SecretSweep } from './secret-sweep';

/** What the reconcile modules need besides the app's global providers. */
export interface ReconcileRuntime {
  config: AppConfig;
  databaseUrl: string;
}

/**
 * The job queue (pg-boss), global: the instance store enqueues inside its transactions (ReconcileQueue), the worker
 * takes the jobs and /readyz asks whether it runs (PgBossQueue). It has no shutdown hook: the worker closes it after
 * the running passes end.
 */
@Module({})
export class ReconcileQueueModule {
  static forRoot(rt: ReconcileRuntime): DynamicModule {
    return {
      module: ReconcileQueueModule,
      global: true,
      providers: [
        {
          provide: PgBossQueue,
          useFactory: (log: PinoLogger) =>
            new PgBossQueue(rt.databaseUrl, rt.config.reconcile, {
              supervise: rt.config.role !== 'api',
              // Message and code only: a pg error carries its client (and with it the connection settings).
              onError: (e) => log.warn({ code: (e as { code?: string }).code }, `job queue error: ${e.message}`),
            }),
          inject: [PinoLogger],
        },
        { provide: ReconcileQueue, useExisting: PgBossQueue },
      ],
      exports: [PgBossQueue, ReconcileQueue],
    };
  }
}

/**
 * Reconciliation: the per-instance locks, the reconciler, the Secret sweep and the worker that runs them on the
 * queue's jobs. On shutdown the worker stops taking jobs, lets running passes finish and closes the queue, while
 * the lock pool ends once the last lock is released.
 */
@Module({})
export class ReconcileModule {
  static forRoot(rt: ReconcileRuntime): DynamicModule {
    return {
      module: ReconcileModule,
      imports: [InstancesModule],
      providers: [
        { provide: InstanceLocks, useFactory: () => new PgInstanceLocks(rt.databaseUrl, rt.config.reconcile.concurrency + 2) },
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
        ReconcileWorker,
      ],
      exports: [InstanceLocks, Reconciler, ReconcileWorker],
    };
  }
}
