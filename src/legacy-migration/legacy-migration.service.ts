import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { SDK_MODES, SdkMode } from './core/types';
import { ARCHIVE_CONTENT_TYPES } from './io/archive';
import { DEFAULT_LIMITS, Limits } from './io/limits';
import { ArchiveResult, migrateArchiveBufferAsync } from './io/run';

export interface MigrationRequest {
  archive: Buffer;
  sdk?: string;
  dryRun?: string;
  revert?: string;
}

const flag = (name: string, v: string | undefined): boolean => {
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new DomainError(ErrorCode.InvalidInput, `Query parameter ${name} must be true or false, not "${v}".`, { parameter: name });
};

/** The REST edge's use of the patcher: same core as the CLI, on an archive held in memory. */
@Injectable()
export class LegacyMigrationService {
  readonly limits: Limits = DEFAULT_LIMITS;

  async migrate(req: MigrationRequest): Promise<ArchiveResult & { contentType: string }> {
    const sdk = (req.sdk ?? 'raven') as SdkMode;
    if (!SDK_MODES.includes(sdk)) {
      throw new DomainError(ErrorCode.InvalidInput, `Query parameter sdk must be one of ${SDK_MODES.join(', ')}, not "${req.sdk}".`, { parameter: 'sdk' });
    }
    if (req.archive.length === 0) throw new DomainError(ErrorCode.InvalidInput, 'The request body is empty: send the app as a .tar.gz or .zip archive.');
    const result = await migrateArchiveBufferAsync(req.archive, {
      sdk,
      dryRun: flag('dryRun', req.dryRun),
      revert: flag('revert', req.revert),
      limits: this.limits,
    });
    return { ...result, contentType: ARCHIVE_CONTENT_TYPES[result.kind] };
  }
}
