import { Module } from '@nestjs/common';
import { LegacyMigrationController } from './legacy-migration.controller';
import { LegacyMigrationService } from './legacy-migration.service';

/**
 * Legacy PaaS 2.0 → 3.0 migration over REST (`POST /api/v1/legacy-migrations`). Needs `AppConfig` from the app
 * (for BearerTokenGuard); the CLI (`svc-sentry migrate-legacy`) uses the same core without Nest.
 */
@Module({
  controllers: [LegacyMigrationController],
  providers: [LegacyMigrationService],
  exports: [LegacyMigrationService],
})
export class LegacyMigrationModule {}
