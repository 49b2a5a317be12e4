import { Body, Controller, Get, HttpCode, Param, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { Request, Response } from 'express';
import { BearerTokenGuard } from '../common/auth/bearer-token.guard';
import { DomainError, ErrorCode } from '../common/domain-error';
import { InstancesService } from '../instances/instances.service';
import { KubernetesTargets } from '../kubernetes/kubernetes-targets.port';
import { MonitoringStatusDto, ProblemDto, TargetDto, ToggleMonitoringDto, ToggleResponseDto } from './dto';

const PATH = 'api/v1/apps/:app/modules/:module/monitoring';

@ApiTags('monitoring')
@ApiBearerAuth()
@UseGuards(BearerTokenGuard)
@ApiResponse({ status: 400, description: 'Bad app/module name, malformed JSON or invalid body', type: ProblemDto })
@ApiResponse({ status: 401, description: 'Missing or unknown bearer token', type: ProblemDto })
@ApiResponse({
  status: 503,
  description: '`DatabaseUnavailable`: PostgreSQL cannot be reached, or every pooled connection stayed busy for 5 s. Nothing was changed; send it again later',
  type: ProblemDto,
})
@Controller()
export class MonitoringController {
  constructor(
    private readonly instances: InstancesService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The Kubernetes port when the Kubernetes module is wired (null in slimmed-down test apps). */
  private kubernetes(): KubernetesTargets | null {
    try {
      return this.moduleRef.get(KubernetesTargets, { strict: false });
    } catch {
      return null;
    }
  }

  @Put(PATH)
  @HttpCode(202)
  @ApiOperation({
    summary: 'Turn monitoring of an app module on or off',
    description:
      'Records the wish and answers at once; the reconciler converges in the background. The same body again changes nothing and answers 200 with the current state.',
  })
  @ApiResponse({ status: 202, description: 'Accepted: an operation was started', type: ToggleResponseDto })
  @ApiResponse({ status: 200, description: 'Nothing to change: the current state', type: ToggleResponseDto })
  @ApiResponse({ status: 404, description: '`{"enabled": false}` for an app module never seen', type: ProblemDto })
  @ApiResponse({ status: 409, description: 'The app module is provisioned through another protocol instance, or a Secret is not ours', type: ProblemDto })
  @ApiResponse({ status: 413, description: 'The body is larger than 1 MB', type: ProblemDto })
  async toggle(
    @Param('app') app: string,
    @Param('module') module: string,
    @Body() body: ToggleMonitoringDto,
    @Req() req: Request & { user?: { id: string } },
    @Res({ passthrough: true }) res: Response,
  ): Promise<ToggleResponseDto> {
    const result = await this.instances.setMonitoring(
      { app, module, enabled: body.enabled, plan: body.plan, developers: body.developers, targets: validTargets(body.targets, this.kubernetes()) },
      { protocol: 'rest', actor: req.user?.id ?? 'unknown', originatingIdentity: null },
    );
    if (!result.changed) res.status(200);
    if (result.operationId) res.setHeader('Location', `/api/v1/operations/${result.operationId}`);
    return { operationId: result.operationId, ...result.status };
  }

  @Get(PATH)
  @ApiOperation({ summary: 'Monitoring state of an app module, per environment' })
  @ApiResponse({ status: 200, type: MonitoringStatusDto })
  @ApiResponse({ status: 404, description: 'This app module was never seen', type: ProblemDto })
  status(@Param('app') app: string, @Param('module') module: string): Promise<MonitoringStatusDto> {
    return this.instances.status(app, module);
  }
}

function validTargets(raw: unknown, kubernetes: KubernetesTargets | null): Record<string, TargetDto> | undefined {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new DomainError(ErrorCode.InvalidInput, 'targets must be an object of environment → {cluster?, namespace}');
  const out: Record<string, TargetDto> = {};
  const problems: string[] = [];
  for (const [env, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'object' || !value || Array.isArray(value)) {
      problems.push(`targets.${env} must be an object with a namespace`);
      continue;
    }
    const dto = plainToInstance(TargetDto, value);
    for (const e of validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }))
      problems.push(...Object.values(e.constraints ?? {}).map((c) => `targets.${env}.${c}`));
    // A cluster is only meaningful when svc-sentry can reach one: otherwise the Secret would silently never come.
    if (dto.cluster && !kubernetes?.configured())
      problems.push(
        `targets.${env}.cluster "${dto.cluster}" names a cluster, but no Kubernetes cluster is configured (SVC_SENTRY_KUBECONFIG, SVC_SENTRY_IN_CLUSTER)`,
      );
    out[env] = { namespace: dto.namespace, ...(dto.cluster ? { cluster: dto.cluster } : {}) };
  }
  if (problems.length) throw new DomainError(ErrorCode.InvalidInput, problems.join('; '), { errors: problems });
  return out;
}
