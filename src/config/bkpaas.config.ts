import { EnvNumber, EnvList } from './env-transforms';
import { IsArray, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** BlueKing PaaS 3.0 remote-service protocol (`bkpaas:` in the YAML file, plus env vars). */
export class BkpaasConfig {
  /** URL prefix the protocol is mounted under (the endpoint_url registered in the apiserver). */
  @Matches(/^\/([a-z0-9_-]+\/)*$/, { message: 'bkpaas prefix must look like /bkpaas/ (slashes at both ends)' })
  prefix = '/bkpaas/';

  /** `iss:key` pairs, one per apiserver (PAAS_SERVICE_JWT_CLIENTS); empty = every request is refused. */
  @EnvList()
  @IsArray()
  @Matches(/^[^:\s]+:\S{8,}$/, { each: true, message: 'each JWT client must be iss:key with a key of at least 8 characters' })
  jwtClients: string[] = [];

  /** How long a synchronous provision or delete waits for the reconciler before giving up. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(300)
  syncTimeoutSeconds = 120;

  /** How long idem_prov waits before answering 202 (the apiserver re-POSTs). */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(300)
  idemWaitSeconds = 10;

  /** BlueKing developers are usernames; with this domain, `alice` becomes alice@<domain> for team membership. */
  @IsOptional()
  @Matches(/^[a-z0-9.-]+\.[a-z]{2,}$/i, { message: 'developer e-mail domain must be a domain name' })
  developerEmailDomain?: string;

  /** Lifetime of the single-sign-on token inside admin_url. */
  @EnvNumber()
  @IsInt()
  @Min(60)
  @Max(2_592_000)
  ssoTokenSeconds = 86_400;
}

export const BKPAAS_ENV_VARS: Record<string, string> = {
  SVC_SENTRY_BKPAAS_PREFIX: 'bkpaas.prefix',
  SVC_SENTRY_BKPAAS_JWT_CLIENTS: 'bkpaas.jwtClients',
  SVC_SENTRY_BKPAAS_SYNC_TIMEOUT: 'bkpaas.syncTimeoutSeconds',
  SVC_SENTRY_BKPAAS_IDEM_WAIT: 'bkpaas.idemWaitSeconds',
  SVC_SENTRY_BKPAAS_DEVELOPER_EMAIL_DOMAIN: 'bkpaas.developerEmailDomain',
  SVC_SENTRY_BKPAAS_SSO_TOKEN_SECONDS: 'bkpaas.ssoTokenSeconds',
};
