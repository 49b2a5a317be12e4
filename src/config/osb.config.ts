import { EnvNumber } from './env-transforms';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** Open Service Broker API (`osb:` in the YAML file, plus env vars). Without a password every request gets 401. */
export class OsbConfig {
  @Matches(/^[^:\s]+$/, { message: 'OSB username must not be empty or contain ":"' })
  username = 'broker';

  @IsOptional()
  @IsString()
  @Matches(/^\S{8,}$/, { message: 'OSB password must be at least 8 characters without spaces' })
  password?: string;

  /** How long a synchronous-plan request waits for the reconciler (platforms time out around 60 s). */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(600)
  syncTimeoutSeconds = 50;

  /** Retry-After on last_operation while in progress. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(3600)
  retryAfterSeconds = 2;
}

export const OSB_ENV_VARS: Record<string, string> = {
  SVC_SENTRY_OSB_USERNAME: 'osb.username',
  SVC_SENTRY_OSB_PASSWORD: 'osb.password',
  SVC_SENTRY_OSB_SYNC_TIMEOUT: 'osb.syncTimeoutSeconds',
  SVC_SENTRY_OSB_RETRY_AFTER: 'osb.retryAfterSeconds',
};
