import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CatalogService } from '../catalog/catalog.service';
import { BearerTokenGuard } from '../common/auth/bearer-token.guard';
import { ModuleDirectory } from '../instances/module-directory';
import { ProblemDto } from './dto';
import { ModuleListQueryDto, ModulePageDto, PlanSummaryDto } from './monitoring-list.dto';

/** The list of app modules (with each environment's state) and the plans: what a developer-center page needs to browse. */
@ApiTags('monitoring')
@ApiBearerAuth()
@UseGuards(BearerTokenGuard)
@ApiResponse({ status: 401, description: 'Missing or unknown bearer token', type: ProblemDto })
@Controller('api/v1')
export class MonitoringListController {
  constructor(
    private readonly directory: ModuleDirectory,
    private readonly catalog: CatalogService,
  ) {}

  @Get('monitoring')
  @ApiOperation({
    summary: 'App modules svc-sentry knows, with the state of each environment',
    description:
      'Ordered by app, then module; filter by app (substring), module and state (any environment in it). ' +
      'Paginated with offset and limit; a `Link: <…>; rel="next"` header points at the next page. Instances created over BlueKing or OSB are listed too.',
  })
  @ApiResponse({ status: 200, type: ModulePageDto })
  @ApiResponse({ status: 400, description: 'Bad filter or page', type: ProblemDto })
  async list(@Query() q: ModuleListQueryDto, @Res({ passthrough: true }) res: Response): Promise<ModulePageDto> {
    const page = await this.directory.list({ app: q.app || undefined, module: q.module, state: q.state }, q.offset, q.limit);
    if (q.offset + q.limit < page.total) {
      const next = new URLSearchParams();
      for (const [k, v] of Object.entries({ app: q.app, module: q.module, state: q.state })) if (v) next.set(k, v);
      next.set('offset', String(q.offset + q.limit));
      next.set('limit', String(q.limit));
      res.setHeader('Link', `</api/v1/monitoring?${next.toString()}>; rel="next"`);
    }
    return {
      items: page.items.map((m) => ({ ...m, updatedAt: m.updatedAt.toISOString() })),
      total: page.total,
      offset: q.offset,
      limit: q.limit,
    };
  }

  @Get('plans')
  @ApiOperation({ summary: 'The plans a toggle may name' })
  @ApiResponse({ status: 200, type: [PlanSummaryDto] })
  plans(): PlanSummaryDto[] {
    return this.catalog.list().map((p) => ({ name: p.name, description: p.description, environments: p.environments }));
  }
}
