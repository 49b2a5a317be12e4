import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { MonitoringListController } from './monitoring-list.controller';
import { MonitoringController } from './monitoring.controller';
import { OperationsController } from './operations.controller';

/** The REST API for developer centers (/api/v1): toggles, module list, operations and audit, over the instances service. */
@Module({
  imports: [InstancesModule],
  controllers: [MonitoringController, MonitoringListController, OperationsController],
})
export class ApiModule {}
