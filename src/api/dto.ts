import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';

/** Optional but not nullable: absent is fine, `null` is refused like any other wrong type. */
const Absent = (field: string) => ValidateIf((o: Record<string, unknown>) => o[field] !== undefined);

export class TargetDto {
  @ApiPropertyOptional({ description: 'Cluster name from the cluster registry (default: the only or default cluster).' })
  @IsOptional()
  @Matches(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
  @MaxLength(63)
  cluster?: string;

  @ApiProperty({ description: 'Namespace where this environment of the app runs.' })
  @Matches(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'namespace must be a DNS-1123 label' })
  @MaxLength(63)
  namespace: string;
}

export class ToggleMonitoringDto {
  @ApiProperty({ description: 'Monitoring wanted (true) or not (false).' })
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled: boolean;

  @ApiPropertyOptional({ description: 'Catalog plan; default: the current plan, or `default`.', example: 'default', nullable: false })
  @Absent('plan')
  @IsString({ message: 'plan must be a string (omit it for the current plan)' })
  @MaxLength(63)
  plan?: string;

  @ApiPropertyOptional({
    description:
      "E-mails of the app developers, added to the app's team upstream (organization members only). svc-sentry removes only members it added " +
      'itself and no module of the app lists any more; an empty list changes nothing; omit it to keep the current list.',
    type: [String],
    nullable: false,
  })
  @Absent('developers')
  @IsArray({ message: 'developers must be a list of e-mails (omit it to leave members alone)' })
  @ArrayMaxSize(500)
  @IsEmail({}, { each: true })
  developers?: string[];

  @ApiPropertyOptional({
    description: 'Where each environment runs (cluster and namespace); default: the namespace template in config.',
    example: { stag: { namespace: 'bkapp-tnfood-stag' }, prod: { namespace: 'bkapp-tnfood-prod' } },
  })
  @Absent('targets')
  @IsObject({ message: 'targets must be an object of environment → {cluster?, namespace}' })
  targets?: Record<string, TargetDto>;
}

export class PageQueryDto {
  @ApiPropertyOptional({ type: Number, default: 0, minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  offset: number = 0;

  @ApiPropertyOptional({ type: Number, default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}

export class ProjectRefDto {
  @ApiProperty() slug: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
  @ApiProperty({ nullable: true, type: String }) adminUrl: string | null;
}

export class SecretRefDto {
  @ApiProperty() cluster: string;
  @ApiProperty() namespace: string;
  @ApiProperty() name: string;
}

export class ConditionDto {
  @ApiProperty({ enum: ['ProjectReady', 'KeyReady', 'SecretReady', 'MembersSynced'] }) type: string;
  @ApiProperty({ enum: ['True', 'False', 'Unknown'] }) status: string;
  @ApiProperty({
    description:
      'CamelCase reason, stable for machines: e.g. Created, Exists, Adopted, Active, Applied, NoCluster, NotRequested, Synced, NoDevelopers, ' +
      'NotSupported, Pending, Waiting, PermissionDenied, or the error code of the failure (UpstreamUnavailable, UpstreamRejected, NotOwned, ClusterUnavailable, …).',
    example: 'UpstreamUnavailable',
  })
  reason: string;
  @ApiProperty({ description: 'For humans: what happened; when False, what comes next (e.g. the next retry time).' }) message: string;
  @ApiProperty({ description: 'The generation of the desired state this condition was determined for.' }) observedGeneration: number;
  @ApiProperty({ format: 'date-time', description: 'When `status` last changed (not reason or message).' }) lastTransitionTime: string;
}

export class EnvironmentStatusDto {
  @ApiProperty({ enum: ['pending', 'provisioning', 'ready', 'failed', 'deprovisioning', 'disabled'] }) state: string;
  @ApiProperty({ type: ProjectRefDto, nullable: true }) project: ProjectRefDto | null;
  @ApiProperty({ nullable: true, type: String, description: 'The public DSN (never the legacy secret form).' }) dsn: string | null;
  @ApiPropertyOptional({ description: 'Why the environment is failed, or what the last attempt hit.' }) error?: string;
  @ApiPropertyOptional({ type: SecretRefDto, nullable: true, description: 'The Kubernetes Secret holding SENTRY_DSN for this environment.' })
  secret?: SecretRefDto | null;
  @ApiProperty({ description: 'Generation of the desired state (bumped by every change of the wish).' }) generation: number;
  @ApiProperty({ description: 'The generation the last completed reconcile pass converged.' }) observedGeneration: number;
  @ApiProperty({
    type: [ConditionDto],
    description: 'ProjectReady, KeyReady, SecretReady and MembersSynced; `state` is their summary. Empty before the first pass and once disabled.',
  })
  conditions: ConditionDto[];
}

export class MonitoringStatusDto {
  @ApiProperty() app: string;
  @ApiProperty() module: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty() plan: string;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/EnvironmentStatusDto' } })
  environments: Record<string, EnvironmentStatusDto>;
}

export class ToggleResponseDto extends MonitoringStatusDto {
  @ApiProperty({ nullable: true, type: String, description: 'The operation that made (or last changed) this state.' })
  operationId: string | null;
}

export class OperationDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'enable' }) kind: string;
  @ApiProperty() app: string;
  @ApiProperty({ nullable: true, type: String }) module: string | null;
  @ApiProperty({ enum: ['rest', 'bkpaas', 'osb', 'system'] }) protocol: string;
  @ApiProperty() actor: string;
  @ApiProperty({ nullable: true, type: Object }) originatingIdentity: Record<string, unknown> | null;
  @ApiProperty({ type: Object }) request: Record<string, unknown>;
  @ApiProperty({ enum: ['in progress', 'succeeded', 'failed'] }) state: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) finishedAt: string | null;
}

export class OperationPageDto {
  @ApiProperty({ type: [OperationDto] }) items: OperationDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class ProblemDto {
  @ApiProperty() type: string;
  @ApiProperty() title: string;
  @ApiProperty() status: number;
  @ApiProperty() detail: string;
  @ApiProperty({ description: 'Stable machine-readable error code, e.g. InvalidInput, PlanNotFound, NotFound, Unauthorized.' }) code: string;
}
