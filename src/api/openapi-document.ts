import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CatalogService } from '../catalog/catalog.service';
import { BearerTokenGuard } from '../common/auth/bearer-token.guard';
import { AppConfig } from '../config/config.schema';
import { InstancesService } from '../instances/instances.service';
import { LegacyMigrationController } from '../legacy-migration/legacy-migration.controller';
import { LegacyMigrationService } from '../legacy-migration/legacy-migration.service';
import { ModuleDirectory } from '../instances/module-directory';
import { MonitoringListController } from './monitoring-list.controller';
import { MonitoringController } from './monitoring.controller';
import { buildOpenApi } from './openapi';
import { OperationsController } from './operations.controller';

/** The REST controllers alone (no database), enough for Swagger to read their decorators. */
@Module({
  controllers: [MonitoringController, MonitoringListController, OperationsController, LegacyMigrationController],
  providers: [
    { provide: AppConfig, useValue: new AppConfig() },
    { provide: InstancesService, useValue: {} },
    { provide: CatalogService, useValue: {} },
    { provide: ModuleDirectory, useValue: {} },
    { provide: LegacyMigrationService, useValue: {} },
    BearerTokenGuard,
  ],
})
class OpenApiModule {}

/** The OpenAPI document as the stable, pretty-printed JSON that is checked in as openapi.json. */
export async function openApiJson(): Promise<string> {
  const app = await NestFactory.create(OpenApiModule, { logger: false });
  try {
    return `${JSON.stringify(buildOpenApi(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
