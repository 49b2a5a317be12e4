import { Type } from 'class-transformer';
import { EnvList, EnvNumber } from './env-transforms';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { KubernetesConfig } from './kubernetes.config';
import { BkpaasConfig } from './bkpaas.config';
import { OsbConfig } from './osb.config';

/** The validated configuration of svc-sentry: YAML (SVC_SENTRY_CONFIG) merged with environment variables. */

export const UPSTREAM_KINDS = ['sentry', 'glitchtip', 'bugsink'] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];
export const ROLES = ['api', 'worker', 'all', 'migrate'] as const;
export type Role = (typeof ROLES)[number];
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class UpstreamConfig {
  @Matches(LABEL, { message: 'upstream name must be a DNS-1123 label' })
  name: string;

  @IsIn(UPSTREAM_KINDS as unknown as string[], { message: `kind must be one of ${UPSTREAM_KINDS.join(', ')}` })
  kind: UpstreamKind;

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'url must be an http(s) URL' })
  url: string;

  @IsString()
  @Matches(/\S/, { message: 'token must not be empty' })
  token: string;

  /** Organization slug (Sentry, GlitchTip). Bugsink has no organizations: optional there and ignored. */
  @ValidateIf((u: UpstreamConfig) => u.kind !== 'bugsink' || u.org !== undefined)
  @Matches(/^[a-z0-9_-]+$/, { message: 'org must be an organization slug' })
  org: string;

  /** Client-side request budget per organization (Sentry allows ~40 req/s per caller and endpoint). */
  @EnvNumber()
  @IsNumber()
  @Min(0.1)
  @Max(1000)
  rateLimitPerSecond = 20;

  /** Per-request timeout. */
  @EnvNumber()
  @IsInt()
  @Min(100)
  @Max(120000)
  timeoutMs = 15000;
}

export class KeyRateLimitConfig {
  @EnvNumber() @IsInt() @Min(0) count: number;
  @EnvNumber() @IsInt() @Min(1) @Max(86400) window: number;
}

export class PlanConfig {
  @Matches(LABEL, { message: 'plan name must be a DNS-1123 label' })
  name: string;

  @IsOptional()
  @IsString()
  description?: string;

  /** Name of the upstream (see upstreams); default: the default upstream. */
  @IsOptional()
  @IsString()
  upstream?: string;

  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @Matches(LABEL, { each: true })
  environments?: string[];

  /** Per-environment settings keyed by environment name. */
  @IsOptional()
  envs?: Record<string, { tracesSampleRate: number }>;

  @IsOptional()
  @IsIn(['keep', 'delete'])
  deletePolicy?: 'keep' | 'delete';

  @IsOptional()
  @IsIn(['modern', 'legacy'])
  dsnFormat?: 'modern' | 'legacy';

  @IsOptional()
  @IsString()
  platform?: string;

  @IsOptional()
  @IsBoolean()
  defaultAlertRule?: boolean;

  /** Restart the app's Deployments after its Secret changes (default: kubernetes.rollout). */
  @IsOptional()
  @IsBoolean()
  rollout?: boolean;

  /** Optional per-key rate limit upstream (Sentry only): events per window seconds. */
  @IsOptional()
  @Type(() => KeyRateLimitConfig)
  @ValidateNested()
  keyRateLimit?: KeyRateLimitConfig;
}

export class ReconcileConfig {
  /** Attempts per reconcile job before the instance is marked failed. */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(100)
  retryLimit = 8;

  /** First retry delay; doubles each attempt (pg-boss retryBackoff). */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(3600)
  retryDelaySeconds = 2;

  /** Period of the drift-repair resync over all instances; 0 disables it. */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(86400)
  resyncIntervalSeconds = 300;

  /**
   * The most of each upstream's rate limit that resync's upstream calls (bulk drift checks and the repairs they
   * enqueue) may use; user-initiated work takes the rest and always goes first. Also sizes the key checks per cycle.
   */
  @EnvNumber()
  @IsNumber()
  @Min(0.01)
  @Max(1)
  resyncUpstreamShare = 0.5;

  /** Jobs worked at once by one worker process. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(256)
  concurrency = 16;

  /** A job still active after this long (e.g. its worker was killed) is retried. */
  @EnvNumber()
  @IsInt()
  @Min(5)
  @Max(3600)
  jobExpireSeconds = 120;

  /** How often the worker polls for new jobs. */
  @EnvNumber()
  @IsNumber()
  @Min(0.5)
  @Max(60)
  pollingIntervalSeconds = 1;
}

export class AppConfig {
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(65535)
  port = 8080;

  @IsString()
  host = '0.0.0.0';

  @IsIn(ROLES as unknown as string[], { message: `role must be one of ${ROLES.join(', ')}` })
  role: Role = 'all';

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  databaseUrl?: string;

  /** Directory for embedded PostgreSQL data and the generated encryption key (npm start). */
  @IsString()
  dataDir = './.data';

  @IsOptional()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'SVC_SENTRY_ENCRYPTION_KEY must be 32 bytes as 64 hex characters' })
  encryptionKey?: string;

  @EnvList()
  @IsArray()
  @IsString({ each: true })
  @Matches(/^\S{8,}$/, { each: true, message: 'each API token must be at least 8 characters without spaces' })
  apiTokens: string[] = [];

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => UpstreamConfig)
  upstreams: UpstreamConfig[] = [];

  @IsOptional()
  @IsString()
  defaultUpstream?: string;

  @EnvList()
  @IsArray()
  @ArrayNotEmpty()
  @Matches(LABEL, { each: true, message: 'environment names must be DNS-1123 labels' })
  environments: string[] = ['stag', 'prod'];

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PlanConfig)
  plans: PlanConfig[] = [];

  @ValidateNested()
  @Type(() => ReconcileConfig)
  reconcile: ReconcileConfig = new ReconcileConfig();

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  logLevel = 'info';

  /** Base URL of this service as users reach it (links in responses); optional. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  publicUrl?: string;

  /** Clusters, namespace template, Pod label keys, rollout and the admission webhook (src/kubernetes/kubernetes.config.ts). */
  @ValidateNested()
  @Type(() => KubernetesConfig)
  kubernetes: KubernetesConfig = new KubernetesConfig();

  /** BlueKing remote-service protocol (src/bkpaas/bkpaas.config.ts). */
  @ValidateNested()
  @Type(() => BkpaasConfig)
  bkpaas: BkpaasConfig = new BkpaasConfig();

  /** Open Service Broker API (src/osb/osb.config.ts). */
  @ValidateNested()
  @Type(() => OsbConfig)
  osb: OsbConfig = new OsbConfig();
}
