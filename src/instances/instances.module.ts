import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InstanceOpsService } from './instance-ops.service';
import { InstanceStore } from './instance-store';
import { InstancesService } from './instances.service';
import { ModuleDirectory } from './module-directory';
import { ReconcileQueue } from './reconcile-queue.port';
import { TypeormInstanceStore } from './typeorm-instance.store';
import { TypeormModuleDirectory } from './typeorm-module-directory';

/**
 * The instances domain: its store, the module directory, and the services the entry points call
 * (InstancesService for REST, InstanceOpsService for OSB and BlueKing). It takes from the app's global modules
 * the DataSource (TypeORM), AppConfig, SecretBox, CatalogService and UpstreamRegistry (the core module), and a
 * ReconcileQueue (the store enqueues inside its own transactions; the reconcile folder implements the port).
 */
@Module({
  providers: [
    {
      provide: InstanceStore,
      useFactory: (ds: DataSource, queue: ReconcileQueue) => new TypeormInstanceStore(ds, queue),
      inject: [DataSource, ReconcileQueue],
    },
    { provide: ModuleDirectory, useFactory: (ds: DataSource) => new TypeormModuleDirectory(ds), inject: [DataSource] },
    InstancesService,
    InstanceOpsService,
  ],
  exports: [InstanceStore, ModuleDirectory, InstancesService, InstanceOpsService],
})
export class InstancesModule {}
