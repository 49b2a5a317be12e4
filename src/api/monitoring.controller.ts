import { Body, Controller, Get, HttpCode, Param, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { Request, Response } from 'express';
import { BearerTokenGuard } from '../common/auth/bearer-token.guard';
import { DomainError, ErrorCode } from '../common/domain-error';
import { InstancesService } from '../instances/instances.service';
import { MonitoringStatusDto, ProblemDto, TargetDto, ToggleMonitoringDto, ToggleResponseDto } from './dto';

const PATH = 'api/v1/apps/:app/modules/:module/monitoring';

@ApiTags('monitoring')
@ApiBearerAuth()
@UseGuards(BearerTokenGuard)
@ApiResponse({ status: 400, description: 'Bad app/module name, malformed JSON or invalid body', type: ProblemDto })
@ApiResponse({ status: 401, description: 'Missing or unknown bearer token', type: ProblemDto })
@Controller()
export class MonitoringController {
  constructor(private readonly instances: InstancesService) {}

  @Put(PATH)
  @HttpCode(202)
  @ApiOperation({
    summary: 'Turn monitoring of an app module on or off',
    description:
      'Records the wish and answers at once; the reconciler converges in the background. The same body again changes nothing and answers 200 with the current state.',
  })
  @ApiResponse({ status: 202, description: 'Accepted: an operation was started', type: ToggleResponseDto })
  @ApiResponse({ status: 200, description: 'Nothing to change: the current state', type: ToggleResponseDto })
  async toggle(
    @Param('app') app: string,
    @Param('module') module: string,
    @Body() body: ToggleMonitoringDto,
    @Req() req: Request & { user?: { id: string } },
    @Res({ passthrough: true }) res: Response,
  ): Promise<ToggleResponseDto> {
    const result = await this.instances.setMonitoring(
      { app, module, enabled: body.enabled, plan: body.plan, developers: body.developers, targets: validTargets(body.targets) },
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

function validTargets(raw: unknown): Record<string, TargetDto> | undefined {
  if (raw === undefined) return undefined;
  const out: Record<string, TargetDto> = {};
  const problems: string[] = [];
  for (const [env, value] of Object.entries(raw as Record<string, unknown>)) {
    const dto = plainToInstance(TargetDto, value);
    const errors = typeof value === 'object' && value ? validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }) : [];
    if (typeof value !== 'object' || !value) problems.push(`targets.${env} must be an object with a namespace`);
    for (const e of errors) problems.push(...Object.values(e.constraints ?? {}).map((c) => `targets.${env}.${c}`));
    out[env] = { namespace: dto.namespace, ...(dto.cluster ? { cluster: dto.cluster } : {}) };
  }
  if (problems.length) throw new DomainError(ErrorCode.InvalidInput, problems.join('; '), { errors: problems });
  return out;
}
